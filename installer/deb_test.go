//go:build packaging && linux

package installer

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	etcConfig = "/etc/stolik/agent.yaml"
	dataDir   = "/var/lib/stolik"
	unitPath  = "/lib/systemd/system/stolik-agent.service"
	agentBin  = "/usr/bin/stolik-agent"
)

// TestDebInstallUpgradeRemove installs the .deb with dpkg, enrolls and runs
// the agent as its service account, upgrades to a newer package (the
// config and the outbox stay), removes it (they still stay) and purges it
// (they go). There is no running systemd here, so the maintainer scripts
// take their path for that case.
func TestDebInstallUpgradeRemove(t *testing.T) {
	d := dist(t)
	if os.Geteuid() != 0 {
		t.Fatal("installing the .deb needs root: run make test-packaging as root")
	}
	if pkgStatus(t) != "" {
		t.Log("purging a stolik-agent package installed before the test")
		sh(t, "dpkg", "--purge", "stolik-agent")
	}
	t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", "stolik-agent").Run() })

	// Install.
	out := sh(t, "dpkg", "-i", filepath.Join(d.dir, "stolik-agent_"+d.pkgVersion+"-1_amd64.deb"))
	if !strings.Contains(out, "now enroll it: sudo stolik-agent enroll") {
		t.Errorf("install did not say what next:\n%s", out)
	}
	if st := pkgStatus(t); st != "install ok installed "+d.pkgVersion+"-1" {
		t.Fatalf("after install: %q", st)
	}
	if v := sh(t, agentBin, "version"); v != d.version+"\n" {
		t.Errorf("installed version %q, want %q", v, d.version)
	}
	u, err := user.Lookup("stolik")
	if err != nil {
		t.Fatalf("service account: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	assertOwned(t, "/etc/stolik", 0, gid, 0o750)
	assertOwned(t, etcConfig, uid, gid, 0o600)
	assertOwned(t, dataDir, uid, gid, 0o700)
	if sha(t, unitPath) != sha(t, "linux/stolik-agent.service") {
		t.Error("installed unit differs from installer/linux/stolik-agent.service")
	}
	verifyUnit(t)

	// Enroll with the installed binary at the default config path; the file
	// stays the service account's.
	hub := enrollHub(t)
	sh(t, agentBin, "enroll", "--hub", hub.URL, "--code", "GOOD-CODE")
	assertOwned(t, etcConfig, uid, gid, 0o600)

	// Run it as the unit does, as the service account.
	agent := startAsService(t, uid, gid)
	waitForFile(t, filepath.Join(dataDir, "agent.log"), "agent started")
	second := exec.Command(agentBin, "run", "--service", "--config", etcConfig)
	second.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: uint32(uid), Gid: uint32(gid)}}
	msg, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 ||
		!strings.Contains(string(msg), "another agent is using this data directory") {
		t.Errorf("second agent: %v, %s; want exit 1 (Restart=on-failure) saying why", err, msg)
	}
	stopped := agent.stop(t)
	t.Logf("agent stopped %v after SIGTERM", stopped)
	if stopped > 15*time.Second {
		t.Errorf("stop took %v, over the 15 s bound", stopped)
	}
	config := sha(t, etcConfig)
	outbox := sha(t, filepath.Join(dataDir, "outbox.db"))

	// Upgrade.
	newer := d.pkgVersion + "+upgrade"
	sh(t, "dpkg", "-i", buildDeb(t, d, newer))
	if st := pkgStatus(t); st != "install ok installed "+newer+"-1" {
		t.Fatalf("after upgrade: %q", st)
	}
	if v := sh(t, agentBin, "version"); v != d.version+"-upgrade\n" {
		t.Errorf("upgraded binary says %q", v)
	}
	if sha(t, etcConfig) != config {
		t.Error("upgrade changed the enrolled config")
	}
	if sha(t, filepath.Join(dataDir, "outbox.db")) != outbox {
		t.Error("upgrade changed the outbox")
	}
	assertOwned(t, etcConfig, uid, gid, 0o600)

	// Remove: the config and the outbox stay.
	sh(t, "dpkg", "-r", "stolik-agent")
	if st := pkgStatus(t); !strings.HasPrefix(st, "deinstall ok config-files") {
		t.Errorf("after remove: %q", st)
	}
	for _, gone := range []string{agentBin, unitPath} {
		if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after remove", gone)
		}
	}
	if sha(t, etcConfig) != config || sha(t, filepath.Join(dataDir, "outbox.db")) != outbox {
		t.Error("remove changed the config or the outbox")
	}

	// Purge: they go too.
	sh(t, "dpkg", "--purge", "stolik-agent")
	for _, gone := range []string{etcConfig, dataDir} {
		if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after purge", gone)
		}
	}
	if st := pkgStatus(t); st != "" {
		t.Errorf("after purge: %q", st)
	}
}

// pkgStatus is dpkg's status and version of stolik-agent, or "".
func pkgStatus(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Status} ${Version}",
		"stolik-agent").Output()
	if err != nil || strings.HasPrefix(string(out), "unknown") ||
		strings.HasPrefix(string(out), "purge ok not-installed") {
		return ""
	}
	return string(out)
}

func assertOwned(t testing.TB, path string, uid, gid int, mode os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid || fi.Mode().Perm() != mode {
		t.Errorf("%s: owner %d:%d mode %v, want %d:%d %v", path, st.Uid, st.Gid,
			fi.Mode().Perm(), uid, gid, mode)
	}
}

// verifyUnit runs systemd-analyze verify on the installed unit; it passes
// only without a word of warning (the tool exits 0 on unknown keys).
func verifyUnit(t testing.TB) {
	t.Helper()
	out, err := exec.Command("systemd-analyze", "verify", unitPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitPath, err, out)
	}
}

type running struct {
	cmd  *exec.Cmd
	done chan error
	out  *bytes.Buffer
}

func startAsService(t testing.TB, uid, gid int) *running {
	t.Helper()
	cmd := exec.Command(agentBin, "run", "--service", "--config", etcConfig)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: uint32(uid), Gid: uint32(gid)}}
	r := &running{cmd: cmd, done: make(chan error, 1), out: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return r
}

// stop sends SIGTERM, as systemd does, and returns how long the agent took.
func (r *running) stop(t testing.TB) time.Duration {
	t.Helper()
	begin := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("agent exited with %v:\n%s", err, r.out)
		}
	case <-time.After(30 * time.Second): // the unit's TimeoutStopSec
		t.Fatalf("agent still running 30 s after SIGTERM:\n%s", r.out)
	}
	return time.Since(begin)
}

func waitForFile(t testing.TB, path, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(text)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no %q after 15 s:\n%s", path, text, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// buildDeb builds the .deb again as version pkgVersion, with a binary that
// says it is the dist version plus "-upgrade".
func buildDeb(t testing.TB, d distEnv, pkgVersion string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "stolik-agent")
	build := exec.Command("go", "build", "-trimpath", "-ldflags",
		"-s -w -X main.version="+d.version+"-upgrade", "-o", bin, "./agent/cmd/stolik-agent")
	build.Dir = ".."
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cfg, err := os.ReadFile("linux/nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "nfpm.yaml")
	err = os.WriteFile(cfgPath, bytes.ReplaceAll(cfg, []byte("@AGENT_BIN@"), []byte(bin)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	pkg := exec.Command(d.nfpm, "pkg", "--config", cfgPath, "--packager", "deb", "--target", dir)
	pkg.Dir = ".."
	pkg.Env = append(os.Environ(), "GOARCH=amd64", "PKG_VERSION="+pkgVersion)
	if out, err := pkg.CombinedOutput(); err != nil {
		t.Fatalf("nfpm: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("nfpm made %v", debs)
	}
	return debs[0]
}
