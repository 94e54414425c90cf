package service

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	ksvc "github.com/kardianos/service"
	"golang.org/x/sys/windows/svc/mgr"
)

// RecoveryActions are what the service control manager does when the agent
// ends without being asked to: restart it after 5 s, again after 30 s, and
// after 60 s from then on; a day without a failure resets the count. The
// MSI sets them with sc.exe (wixl has no table for them), `stolik-agent
// install` through kardianos/service, and the running service checks them
// at every start, so each way of installing ends the same.
var RecoveryActions = []mgr.RecoveryAction{
	{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
	{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
	{Type: mgr.ServiceRestart, Delay: 60 * time.Second},
}

// RecoveryResetPeriod is the failure-free time after which the count of
// failures starts again, in seconds.
const RecoveryResetPeriod = 24 * 60 * 60

// SystemConfig describes the agent's service to kardianos/service: started
// automatically, as LocalSystem, restarted after a failure.
func SystemConfig(configPath string) *ksvc.Config {
	if abs, err := filepath.Abs(configPath); err == nil {
		configPath = abs
	}
	return &ksvc.Config{
		Name: Name, DisplayName: DisplayName, Description: Description,
		Arguments: []string{"run", "--service", "--config", configPath},
		Option: ksvc.KeyValue{
			"StartType":              "automatic",
			"OnFailure":              "restart",
			"OnFailureDelayDuration": "5s",
			"OnFailureResetPeriod":   RecoveryResetPeriod,
		},
	}
}

// CheckInstall has nothing to check on Windows.
func CheckInstall(string) error { return nil }

// StartedByManager reports whether a service manager started this process,
// where the process can tell: on Windows it asks the service control
// manager; elsewhere the unit passes run --service instead.
func StartedByManager() bool { return !ksvc.Interactive() }

// prepareManaged makes sure the service's recovery actions are in place
// and that they also apply when the agent exits with an error rather than
// crashing.
func prepareManaged(p *Program) {
	if err := setRecovery(); err != nil {
		p.system(ksvc.Logger.Warning, "cannot set the service's recovery actions: "+
			err.Error())
	}
}

func setRecovery() error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(Name)
	if err != nil {
		return fmt.Errorf("open service %s: %w", Name, err)
	}
	defer s.Close()
	if err := s.SetRecoveryActions(RecoveryActions, RecoveryResetPeriod); err != nil {
		return err
	}
	return s.SetRecoveryActionsOnNonCrashFailures(true)
}

// fatal ends a managed process with exit code 1 once the agent has failed:
// the service control manager sees the service end without being asked and
// applies its recovery actions. (Its stop protocol has no other way for a
// service to say that it failed.)
func fatal(p *Program) {
	if p.Managed {
		os.Exit(1)
	}
}
