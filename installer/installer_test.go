// Package installer holds the agent's packages (installer/linux: nfpm,
// systemd unit, maintainer scripts; installer/windows: the WiX source for
// wixl) and their tests. The tests in this file need nothing but Go; those
// in packaging_test.go (build tag packaging, run by make test-packaging)
// build and install the packages.
package installer

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/config"
)

// TestLinuxConfigIsTheTemplate: the config the packages install is the one
// enrollment would create.
func TestLinuxConfigIsTheTemplate(t *testing.T) {
	b, err := os.ReadFile("linux/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(b), config.Template("linux")); diff != "" {
		t.Errorf("installer/linux/agent.yaml differs from config.Template(\"linux\") "+
			"(-file +template):\n%s", diff)
	}
}

// TestWXSIsWellFormed catches a broken edit before wixl runs.
func TestWXSIsWellFormed(t *testing.T) {
	f, err := os.Open("windows/stolik-agent.wxs")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	services := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatal(err)
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "ServiceInstall" {
			services++
			for _, a := range s.Attr {
				if a.Name.Local == "Name" && a.Value != "stolik-agent" {
					t.Errorf("service name %q", a.Value)
				}
			}
		}
	}
	if services != 1 {
		t.Errorf("%d ServiceInstall elements, want 1", services)
	}
}

// unitLines returns the unit's directives, without comments and blank lines.
func unitLines(unit string) []string {
	var out []string
	for _, l := range strings.Split(unit, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
