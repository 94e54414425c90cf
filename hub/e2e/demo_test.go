package e2e_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoScript runs make demo's program headless: the hub, an agent on
// the iiko fake and one on the R-Keeper fake, and the scripted guest. The
// demo checks each step at the fake tills itself and exits 0 only when all
// happened; the test also reads that each step was told.
func TestDemoScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the hub and two agents")
	}
	dir := t.TempDir()
	cmd := exec.Command(bins.demo, "--bin", filepath.Dir(bins.hub), "--headless",
		"--listen", freeAddr(t), "--dir", filepath.Join(dir, "demo"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"guest: confirmed ✓ — iiko holds reserve",
		"guest: cancelled ✓ — the reserve is cancelled in iiko",
		"guest: R-Keeper refused ✗",
		"guest: confirmed ✓ — R-Keeper holds order",
		"demo script: every step happened",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the demo did not tell %q:\n%s", want, out)
		}
	}
}
