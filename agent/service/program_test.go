package service_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
)

// sysLog records what a Program writes to the system log.
type sysLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *sysLog) add(level string, v ...any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+": "+fmt.Sprint(v...))
	return nil
}

func (l *sysLog) Error(v ...any) error   { return l.add("error", v...) }
func (l *sysLog) Warning(v ...any) error { return l.add("warning", v...) }
func (l *sysLog) Info(v ...any) error    { return l.add("info", v...) }
func (l *sysLog) Errorf(f string, a ...any) error {
	return l.add("error", fmt.Sprintf(f, a...))
}
func (l *sysLog) Warningf(f string, a ...any) error {
	return l.add("warning", fmt.Sprintf(f, a...))
}
func (l *sysLog) Infof(f string, a ...any) error { return l.add("info", fmt.Sprintf(f, a...)) }

func (l *sysLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// count returns how many lines contain s.
func (l *sysLog) count(s string) int {
	return strings.Count(l.text(), s)
}

const validConfig = `version: 1
hub: {urls: ["ws://127.0.0.1:1"], agent_id: agt_t, secret: s}
data_dir: data
poll_interval: 1s
`

func writeConfig(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// blockingRun stands in for the agent: it runs until asked to stop, or
// ignores that when stuck is set.
type blockingRun struct {
	started chan config.Config
	stuck   bool
	fail    error
}

func newBlockingRun() *blockingRun { return &blockingRun{started: make(chan config.Config, 1)} }

func (b *blockingRun) run(ctx context.Context, c config.Config, _ string, log *slog.Logger) error {
	log.Info("agent started")
	b.started <- c
	if b.fail != nil {
		return b.fail
	}
	if b.stuck {
		select {} // never returns: Stop must still come back in time
	}
	<-ctx.Done()
	return nil
}

func TestProgramStartsInBackgroundAndStopsInBound(t *testing.T) {
	tests := []struct {
		name    string
		stuck   bool
		bound   time.Duration
		wantErr string
	}{
		{name: "stops when asked", bound: 2 * time.Second},
		{name: "stuck agent is left behind after the bound", stuck: true,
			bound: 200 * time.Millisecond, wantErr: "did not stop within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := newBlockingRun()
			br.stuck = tt.stuck
			sys := &sysLog{}
			p := &service.Program{ConfigPath: writeConfig(t, validConfig), Version: "v1.2.3",
				System: sys, StopTimeout: tt.bound, Run: br.run}

			begin := time.Now()
			if err := p.Start(nil); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(begin); d > 100*time.Millisecond {
				t.Errorf("Start took %v; it must not wait for the agent", d)
			}
			c := <-br.started
			if !strings.HasSuffix(c.DataDir, "data") || c.Hub.AgentID != "agt_t" {
				t.Errorf("agent got config %+v", c)
			}

			begin = time.Now()
			err := p.Stop(nil)
			took := time.Since(begin)
			if took > tt.bound+500*time.Millisecond {
				t.Errorf("Stop took %v, bound %v", took, tt.bound)
			}
			if tt.wantErr == "" && err != nil {
				t.Errorf("Stop = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Stop = %v, want %q", err, tt.wantErr)
			}
			if !strings.Contains(sys.text(), "agent v1.2.3 starting") {
				t.Errorf("system log lacks the start:\n%s", sys.text())
			}
			if tt.wantErr == "" {
				waitFor(t, time.Second, "the stop in the system log", func() bool {
					return sys.count("info: agent stopped") == 1
				})
			}
		})
	}
}

// TestProgramFailureEndsIt: an agent that fails ends the Program with its
// error, logged to the system log, so that the process exits non-zero and
// the service manager restarts it.
func TestProgramFailureEndsIt(t *testing.T) {
	br := newBlockingRun()
	br.fail = errors.New("open outbox: disk on fire")
	sys := &sysLog{}
	p := &service.Program{ConfigPath: writeConfig(t, validConfig), System: sys, Run: br.run}

	err := service.Serve(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Serve = %v, want the agent's error", err)
	}
	if !strings.Contains(sys.text(), "error: agent failed: open outbox: disk on fire") {
		t.Errorf("system log:\n%s", sys.text())
	}
	log, _ := os.ReadFile(filepath.Join(filepath.Dir(p.ConfigPath), "data", service.LogFile))
	if !strings.Contains(string(log), "agent failed") {
		t.Errorf("agent.log lacks the failure:\n%s", log)
	}
}

// TestManagedProgramWaitsForConfig: a service installed before enrollment
// runs, says in the system log what is missing, and starts the agent once
// the config is fixed. In the foreground the same config is an error.
func TestManagedProgramWaitsForConfig(t *testing.T) {
	path := writeConfig(t, "version: 1\npol_interval: 5s\n")
	if err := service.Serve(context.Background(), &service.Program{ConfigPath: path}); err == nil ||
		!strings.Contains(err.Error(), "line 2: pol_interval: unknown key") {
		t.Fatalf("foreground Serve = %v, want the config's problems", err)
	}

	br := newBlockingRun()
	sys := &sysLog{}
	p := &service.Program{ConfigPath: path, Managed: true, System: sys,
		ConfigRetry: 20 * time.Millisecond, Run: br.run}
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the config's problems in the system log", func() bool {
		return strings.Contains(sys.text(), "waiting for a valid config")
	})
	time.Sleep(100 * time.Millisecond) // several retries
	if n := sys.count("waiting for a valid config"); n != 1 {
		t.Errorf("the same problems logged %d times, want once:\n%s", n, sys.text())
	}
	for _, want := range []string{"pol_interval: unknown key", "hub.agent_id: is empty; " +
		"enroll the agent: stolik-agent enroll --hub URL --code CODE"} {
		if !strings.Contains(sys.text(), want) {
			t.Errorf("system log lacks %q:\n%s", want, sys.text())
		}
	}

	if err := config.WriteCredential(path, config.Hub{URLs: []string{"ws://127.0.0.1:1"},
		AgentID: "agt_late", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	// The file still has pol_interval: fix it too.
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "pol_interval",
		"poll_interval", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-br.started:
		if c.Hub.AgentID != "agt_late" {
			t.Errorf("agent started as %q", c.Hub.AgentID)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("agent did not start after the config was fixed:\n%s", sys.text())
	}
	if err := p.Stop(nil); err != nil {
		t.Error(err)
	}
}

func TestManagedProgramStopsWhileWaiting(t *testing.T) {
	p := &service.Program{ConfigPath: filepath.Join(t.TempDir(), "missing.yaml"),
		Managed: true, System: &sysLog{}, ConfigRetry: time.Hour}
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Errorf("Stop took %v while waiting for a config", d)
	}
}
