package service

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	ksvc "github.com/kardianos/service"
)

// ServiceUser is the account the agent runs as on Linux. The packages
// create it; `stolik-agent install` expects it to exist.
const ServiceUser = "stolik"

// SystemdUnit is the unit that `stolik-agent install` writes, in
// kardianos/service's template syntax. installer/linux/stolik-agent.service,
// which the packages install, is the same unit with the path filled in;
// a test keeps the two in step.
//
// A crash or a fatal error exits non-zero and systemd starts the agent
// again after 5 s, without ever giving up (StartLimitIntervalSec=0). A stop
// sends SIGTERM; the agent closes its outbox within its own 15 s bound, and
// systemd waits 30 s before it kills.
const SystemdUnit = `[Unit]
Description=Stolik agent: streams the restaurant's RMS to the Stolik hub
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
User=stolik
Group=stolik
ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}
Restart=on-failure
RestartSec=5s
TimeoutStopSec=30s
StateDirectory=stolik
StateDirectoryMode=0700
UMask=0077
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`

// packagedUnits are where the .deb and .rpm put the unit.
var packagedUnits = []string{
	"/lib/systemd/system/stolik-agent.service",
	"/usr/lib/systemd/system/stolik-agent.service",
}

// SystemConfig describes the agent's service to kardianos/service.
func SystemConfig(configPath string) *ksvc.Config {
	if abs, err := filepath.Abs(configPath); err == nil {
		configPath = abs
	}
	return &ksvc.Config{
		Name: Name, DisplayName: DisplayName, Description: Description,
		Arguments: []string{"run", "--service", "--config", configPath},
		UserName:  ServiceUser,
		Option:    ksvc.KeyValue{"SystemdScript": SystemdUnit},
	}
}

// CheckInstall says what must change before `stolik-agent install` can
// work, or hands the config file to the service account so that the
// service can read it.
func CheckInstall(configPath string) error {
	for _, u := range packagedUnits {
		if _, err := os.Stat(u); err == nil {
			return fmt.Errorf("the stolik-agent package has installed the service "+
				"already (%s); use stolik-agent start, stop and status", u)
		}
	}
	u, err := user.Lookup(ServiceUser)
	if err != nil {
		return fmt.Errorf("the service account %q does not exist; create it with: "+
			"useradd --system --home-dir /var/lib/stolik --shell /usr/sbin/nologin %s "+
			"(the .deb and .rpm packages do this for you)", ServiceUser, ServiceUser)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = os.Chown(configPath, uid, gid)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("give %s to the service account: %w", configPath, err)
	}
	return nil
}

// StartedByManager reports whether a service manager started this process,
// where the process can tell: on Windows it asks the service control
// manager; elsewhere the unit passes run --service instead.
func StartedByManager() bool { return false }

func prepareManaged(*Program) {}

// fatal needs nothing on Linux: Serve returns the error and the process
// exits non-zero.
func fatal(*Program) {}
