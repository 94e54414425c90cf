//go:build packaging

package installer

// These tests read what `make dist` built (STOLIK_DIST) and install the
// .deb on this machine with dpkg, so they need root: run them with
// `make test-packaging`. A stolik-agent package already installed is
// purged first.

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type distEnv struct {
	dir        string // STOLIK_DIST
	version    string // the stamped version (make's VERSION)
	pkgVersion string // the package version
	nfpm       string
}

func dist(t testing.TB) distEnv {
	t.Helper()
	d := distEnv{dir: os.Getenv("STOLIK_DIST"), version: os.Getenv("STOLIK_VERSION"),
		pkgVersion: os.Getenv("STOLIK_PKG_VERSION"), nfpm: os.Getenv("NFPM")}
	if d.dir == "" || d.version == "" || d.pkgVersion == "" || d.nfpm == "" {
		t.Fatal("STOLIK_DIST, STOLIK_VERSION, STOLIK_PKG_VERSION and NFPM are not set; " +
			"run make test-packaging")
	}
	return d
}

// sh runs a command and returns its stdout; it fails the test on an error.
func sh(t testing.TB, name string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func sha(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

func TestBinariesStamped(t *testing.T) {
	d := dist(t)
	for _, b := range []struct{ path, goos, goarch string }{
		{"windows-amd64/stolik-agent.exe", "windows", "amd64"},
		{"linux-amd64/stolik-agent", "linux", "amd64"},
		{"linux-arm64/stolik-agent", "linux", "arm64"},
	} {
		path := filepath.Join(d.dir, b.path)
		info := sh(t, "go", "version", "-m", path)
		for _, want := range []string{"GOOS=" + b.goos, "GOARCH=" + b.goarch,
			"CGO_ENABLED=0", "-trimpath=true"} {
			if !strings.Contains(info, want) {
				t.Errorf("%s: build info lacks %q:\n%s", b.path, want, info)
			}
		}
		// -trimpath keeps -ldflags out of the build info; the stamped
		// string itself is in the binary.
		bin, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(bin, []byte(d.version)) {
			t.Errorf("%s: no version %q stamped in", b.path, d.version)
		}
	}
	got := sh(t, filepath.Join(d.dir, "linux-amd64/stolik-agent"), "version")
	if got != d.version+"\n" {
		t.Errorf("stolik-agent version = %q, want %q", got, d.version)
	}
}

// msiTable exports one table of the MSI as rows of named columns.
func msiTable(t testing.TB, msi, table string) []map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(sh(t, "msiinfo", "export", msi, table), "\r\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("table %s: %q", table, lines)
	}
	cols := strings.Split(strings.TrimRight(lines[0], "\r"), "\t")
	var rows []map[string]string
	for _, l := range lines[3:] { // names, types, keys
		f := strings.Split(strings.TrimRight(l, "\r"), "\t")
		row := map[string]string{}
		for i, c := range cols {
			if i < len(f) {
				row[c] = f[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func rowBy(rows []map[string]string, col, val string) map[string]string {
	for _, r := range rows {
		if r[col] == val {
			return r
		}
	}
	return nil
}

func TestMSI(t *testing.T) {
	d := dist(t)
	msi := filepath.Join(d.dir, "stolik-agent-"+d.pkgVersion+"-x64.msi")

	t.Run("service", func(t *testing.T) {
		got := rowBy(msiTable(t, msi, "ServiceInstall"), "Name", "stolik-agent")
		want := map[string]string{
			"ServiceInstall": "AgentService", "Name": "stolik-agent",
			"DisplayName": "Stolik agent", "ServiceType": "16", // own process
			"StartType": "2", "ErrorControl": "1", // automatic; normal
			"StartName": "LocalSystem", "Component_": "AgentExe",
			"Arguments": `run --service --config "[CommonAppDataFolder]Stolik\agent.yaml"`,
			"Description": "Reads the restaurant's RMS and streams every change " +
				"to the Stolik hub.",
			"LoadOrderGroup": "", "Dependencies": "", "Password": "",
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("ServiceInstall (-got +want):\n%s", diff)
		}
		ctl := rowBy(msiTable(t, msi, "ServiceControl"), "Name", "stolik-agent")
		// 1 start on install, 2 stop on install, 32 stop and 128 delete on uninstall.
		if ctl == nil || ctl["Event"] != "163" || ctl["Wait"] != "1" {
			t.Errorf("ServiceControl = %v, want Event 163 and Wait 1", ctl)
		}
	})

	t.Run("recovery and enrollment", func(t *testing.T) {
		ca := msiTable(t, msi, "CustomAction")
		seq := map[string]map[string]string{}
		for _, r := range msiTable(t, msi, "InstallExecuteSequence") {
			seq[r["Action"]] = r
		}
		n := func(action string) int {
			v, err := strconv.Atoi(seq[action]["Sequence"])
			if err != nil {
				t.Fatalf("action %s not sequenced: %v", action, seq[action])
			}
			return v
		}
		for _, order := range [][2]string{
			{"InstallFiles", "Enroll"}, {"WriteRegistryValues", "Enroll"},
			{"Enroll", "InstallServices"}, {"InstallServices", "SetRecovery"},
			{"SetRecovery", "SetRecoveryFlag"}, {"SetRecoveryFlag", "StartServices"},
			{"CostFinalize", "FindSc"}, {"FindSc", "InstallInitialize"},
			{"StartServices", "InstallFinalize"},
		} {
			if n(order[0]) >= n(order[1]) {
				t.Errorf("%s (%d) must come before %s (%d)", order[0], n(order[0]),
					order[1], n(order[1]))
			}
		}
		if c := seq["Enroll"]["Condition"]; c != "HUB_URL AND ENROLL_CODE AND NOT REMOVE" {
			t.Errorf("Enroll runs on %q", c)
		}
		want := map[string][2]string{ // action: type, target
			// 18 (exe from an installed file) + deferred 1024 + no impersonation 2048
			"Enroll": {"3090", `enroll --force --hub "[HUB_URL]" --code "[ENROLL_CODE]" ` +
				`--config "[CommonAppDataFolder]Stolik\agent.yaml"`},
			// 50 (exe named by a property) + ignore exit code 64 + 1024 + 2048
			"SetRecovery": {"3186", "failure stolik-agent reset= 86400 " +
				"actions= restart/5000/restart/30000/restart/60000"},
			"SetRecoveryFlag": {"3186", "failureflag stolik-agent 1"},
		}
		for action, w := range want {
			r := rowBy(ca, "Action", action)
			if r == nil || r["Type"] != w[0] || r["Target"] != w[1] {
				t.Errorf("custom action %s = %v, want type %s, target %s", action, r, w[0], w[1])
			}
		}
		if r := rowBy(ca, "Action", "FindSc"); r == nil || r["Target"] != `[SystemFolder]sc.exe` {
			t.Errorf("FindSc = %v", r)
		}
	})

	t.Run("properties reach the config", func(t *testing.T) {
		// Run the MSI's enroll command line, with its properties filled in
		// as msiexec HUB_URL=... ENROLL_CODE=... would, against a hub.
		hub := enrollHub(t)
		dataDir := t.TempDir() + string(filepath.Separator)
		target := rowBy(msiTable(t, msi, "CustomAction"), "Action", "Enroll")["Target"]
		line := strings.NewReplacer("[HUB_URL]", hub.URL, "[ENROLL_CODE]", "GOOD-CODE",
			"[CommonAppDataFolder]", dataDir, `Stolik\agent.yaml`, "Stolik/agent.yaml").
			Replace(target)
		out := sh(t, filepath.Join(d.dir, "linux-amd64/stolik-agent"), splitQuoted(line)...)
		b, err := os.ReadFile(filepath.Join(dataDir, "Stolik", "agent.yaml"))
		if err != nil {
			t.Fatalf("%v (enroll said %q)", err, out)
		}
		for _, want := range []string{"urls: ['" + hub.URL + "']", "agent_id: agt_pkg",
			"secret: pkg-secret"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("config lacks %q:\n%s", want, b)
			}
		}
	})

	t.Run("properties and registry", func(t *testing.T) {
		props := map[string]string{}
		for _, r := range msiTable(t, msi, "Property") {
			props[r["Property"]] = r["Value"]
		}
		for k, v := range map[string]string{"ProductVersion": d.pkgVersion,
			"ProductName": "Stolik agent", "MsiHiddenProperties": "ENROLL_CODE",
			"UpgradeCode": "{f0c4bd54-29e3-4fc1-b4b3-b63b50f18a65}", "ALLUSERS": "1"} {
			if props[k] != v {
				t.Errorf("property %s = %q, want %q", k, props[k], v)
			}
		}
		if up := msiTable(t, msi, "Upgrade"); len(up) != 2 {
			t.Errorf("Upgrade table %v: want the major upgrade and downgrade rows", up)
		}
		reg := msiTable(t, msi, "Registry")
		src := rowBy(reg, "Name", "EventMessageFile")
		if src == nil || !strings.HasPrefix(src["Key"],
			`SYSTEM\CurrentControlSet\Services\EventLog\Application\stolik-agent`) {
			t.Errorf("Event Log source = %v", src)
		}
	})

	t.Run("msiextract gives back the exe", func(t *testing.T) {
		dir := t.TempDir()
		sh(t, "msiextract", "-C", dir, msi)
		var found []string
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Name() == "stolik-agent.exe" {
				found = append(found, p)
			}
			return nil
		})
		if len(found) != 1 {
			t.Fatalf("msiextract gave %v", found)
		}
		if got, want := sha(t, found[0]), sha(t, filepath.Join(d.dir,
			"windows-amd64/stolik-agent.exe")); got != want {
			t.Errorf("extracted exe sha256 %s, built %s", got, want)
		}
	})
}

// splitQuoted splits a command line on spaces outside double quotes.
func splitQuoted(s string) []string {
	var args []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case r == ' ' && !quoted:
			if any {
				args = append(args, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		args = append(args, cur.String())
	}
	return args
}

// enrollHub answers POST /api/v1/enroll as the hub does; GOOD-CODE works.
func enrollHub(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Code string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/api/v1/enroll" || req.Code != "GOOD-CODE" {
			w.WriteHeader(http.StatusGone)
			json.NewEncoder(w).Encode(map[string]string{"error": "code used"})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"agent_id": "agt_pkg",
			"secret": "pkg-secret", "venue_id": "ven_pkg"})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRPMBuilt(t *testing.T) {
	d := dist(t)
	for _, name := range []string{"stolik-agent-" + d.pkgVersion + "-1.x86_64.rpm",
		"stolik-agent-" + d.pkgVersion + "-1.aarch64.rpm"} {
		b, err := os.ReadFile(filepath.Join(d.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0xed, 0xab, 0xee, 0xdb}) {
			t.Errorf("%s does not start with the RPM lead", name)
		}
	}
}
