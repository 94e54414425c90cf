package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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

// narratedChange matches a line of the demo's narration that tells a
// change at a restaurant's till.
var narratedChange = regexp.MustCompile(`guests sat down at table|is free again|` +
	`the RMS now holds the Stolik booking|a phone booking for \d+ at|was cancelled|is gone from the RMS`)

// TestDemoCtrlCStopsEverything runs the demo as a person does (not
// headless), presses Ctrl-C once the narration has told a change at a till,
// and checks that the demo told how to reach the dashboard and that no
// hub or agent it started outlives it.
func TestDemoCtrlCStopsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the hub and two agents")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	addr := freeAddr(t)
	var out lockedBuffer
	cmd := exec.Command(bins.demo, "--bin", filepath.Dir(bins.hub), "--listen", addr, "--dir", dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited closes when the demo has ended, with its error in waitErr.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	deadline := time.Now().Add(2 * time.Minute)
	for !narratedChange.MatchString(out.String()) {
		select {
		case <-exited:
			t.Fatalf("the demo ended before telling a change (%v):\n%s", waitErr, out.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no change at a till narrated within 2 minutes:\n%s", out.String())
		}
	}
	children := childrenOf(t, cmd.Process.Pid)
	var names []string
	for _, argv0 := range children {
		names = append(names, filepath.Base(argv0))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"stolik-agent", "stolik-agent", "stolik-hub"}) {
		t.Fatalf("the demo's children are %q, want the hub and two agents", names)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("the demo ended with %v after Ctrl-C:\n%s", waitErr, out.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("the demo did not end within a minute of Ctrl-C:\n%s", out.String())
	}
	for pid, argv0 := range children {
		if cur := procArgv0(pid); cur == argv0 {
			t.Errorf("%s (pid %d) still runs after the demo ended", filepath.Base(argv0), pid)
		}
	}
	// Nor any other hub or agent of this demo.
	for pid, argv0 := range allProcs() {
		if argv0 != bins.hub && argv0 != bins.agent {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if bytes.Contains(cmdline, []byte(dir)) || bytes.Contains(environ, []byte(dir)) {
			t.Errorf("%s (pid %d) of this demo still runs", filepath.Base(argv0), pid)
		}
	}

	text := out.String()
	for _, want := range []string{
		"http://" + addr + "/fleet",
		"sign in as demo@stolik.local, password ",
		"stopping the agents and the hub",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo did not tell %q:\n%s", want, text)
		}
	}
}

// TestDemoOldHubStillListening starts the demo where a hub already
// answers on its address, as one of an earlier demo killed hard would: the
// demo must say what to do and leave that demo's directory alone.
func TestDemoOldHubStillListening(t *testing.T) {
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer old.Close()
	addr := strings.TrimPrefix(old.URL, "http://")
	_, port, _ := strings.Cut(addr, ":")
	dir := filepath.Join(t.TempDir(), "demo")
	if err := os.MkdirAll(filepath.Join(dir, "hub"), 0o700); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "hub", "hub.db")
	if err := os.WriteFile(marker, []byte("the old hub's"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bins.demo, "--bin", filepath.Dir(bins.hub), "--listen", addr,
		"--dir", dir).CombinedOutput()
	if err == nil {
		t.Fatalf("the demo started beside a hub on its address:\n%s", out)
	}
	for _, want := range []string{
		"a hub (its /healthz answers)", "already listening on " + addr,
		"ss -ltnp 'sport = :" + port + "'", "kill <pid>", "--listen 127.0.0.1:8081",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the demo did not say %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the demo removed the old demo's files: %v", err)
	}
}

// lockedBuffer is an output buffer a child writes and the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// allProcs maps the pid of every process this user can see to its argv[0].
func allProcs() map[int]string {
	procs := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if argv0 := procArgv0(pid); argv0 != "" {
			procs[pid] = argv0
		}
	}
	return procs
}

// childrenOf maps the pids of parent's children to their argv[0].
func childrenOf(t *testing.T, parent int) map[int]string {
	t.Helper()
	kids := map[int]string{}
	for pid, argv0 := range allProcs() {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(status)) {
			if v, ok := strings.CutPrefix(line, "PPid:"); ok && strings.TrimSpace(v) == strconv.Itoa(parent) {
				kids[pid] = argv0
			}
		}
	}
	return kids
}

// procArgv0 returns a running process's argv[0], or "" if there is none
// (or only a zombie).
func procArgv0(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return ""
	}
	argv0, _, _ := bytes.Cut(b, []byte{0})
	return string(argv0)
}
