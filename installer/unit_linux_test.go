package installer

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/service"
)

// TestUnitInStepWithInstall: the unit the packages install is the unit that
// `stolik-agent install` writes, but for the path of the binary.
func TestUnitInStepWithInstall(t *testing.T) {
	b, err := os.ReadFile("linux/stolik-agent.service")
	if err != nil {
		t.Fatal(err)
	}
	const packaged = "ExecStart=/usr/bin/stolik-agent run --service --config /etc/stolik/agent.yaml"
	if !strings.Contains(string(b), packaged+"\n") {
		t.Errorf("packaged unit lacks %q", packaged)
	}
	norm := func(unit string) []string {
		var out []string
		for _, l := range unitLines(unit) {
			if !strings.HasPrefix(l, "ExecStart=") {
				out = append(out, l)
			}
		}
		return out
	}
	if diff := cmp.Diff(norm(string(b)), norm(service.SystemdUnit)); diff != "" {
		t.Errorf("installer/linux/stolik-agent.service and service.SystemdUnit differ "+
			"(-packaged +install):\n%s", diff)
	}
	for _, want := range []string{"Restart=on-failure", "User=stolik", "TimeoutStopSec=30s",
		"StartLimitIntervalSec=0", "WantedBy=multi-user.target"} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("unit lacks %s", want)
		}
	}
}
