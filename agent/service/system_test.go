package service_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/service"
)

// TestServeRealAgent runs the real agent (outbox, simulated venue, uplink
// to a hub that is not there) through Serve, the way `stolik-agent run`
// does, in the foreground and as systemd runs it (--service): it starts,
// writes agent.log, and stops within its bound when asked.
func TestServeRealAgent(t *testing.T) {
	for _, managed := range []bool{false, true} {
		name := map[bool]string{false: "foreground", true: "service manager"}[managed]
		t.Run(name, func(t *testing.T) {
			path := writeConfig(t, validConfig)
			sys := &sysLog{}
			p := &service.Program{ConfigPath: path, Version: "v9", Managed: managed,
				System: sys, StopTimeout: 5 * time.Second}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- service.Serve(ctx, p) }()

			logPath := filepath.Join(filepath.Dir(path), "data", service.LogFile)
			waitFor(t, 10*time.Second, "agent started in agent.log", func() bool {
				b, _ := os.ReadFile(logPath)
				return strings.Contains(string(b), "agent started")
			})

			begin := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve = %v", err)
				}
			case <-time.After(p.StopTimeout + time.Second):
				t.Fatalf("Serve did not return within the stop bound %v", p.StopTimeout)
			}
			t.Logf("stopped in %v", time.Since(begin))
			b, _ := os.ReadFile(logPath)
			if !strings.Contains(string(b), "agent stopped") {
				t.Errorf("agent.log lacks the stop:\n%s", b)
			}
			for _, want := range []string{"agent v9 starting", "agent stopped"} {
				if !strings.Contains(sys.text(), want) {
					t.Errorf("system log lacks %q:\n%s", want, sys.text())
				}
			}
		})
	}
}

// TestServeFailsOnSecondAgent: a second agent on the data directory of a
// running one fails at once, under a service manager too (so systemd
// restarts it by its policy, and the journal says why).
func TestServeFailsOnSecondAgent(t *testing.T) {
	path := writeConfig(t, validConfig)
	first := &service.Program{ConfigPath: path, System: &sysLog{}}
	if err := first.Start(nil); err != nil {
		t.Fatal(err)
	}
	defer first.Stop(nil)
	logPath := filepath.Join(filepath.Dir(path), "data", service.LogFile)
	waitFor(t, 10*time.Second, "the first agent", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "agent started")
	})

	sys := &sysLog{}
	second := &service.Program{ConfigPath: path, Managed: true, System: sys}
	done := make(chan error, 1)
	go func() { done <- service.Serve(context.Background(), second) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "another agent is using this data "+
			"directory") || !strings.Contains(err.Error(), "stop the other agent") {
			t.Errorf("second agent: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second agent did not give up")
	}
	if !strings.Contains(sys.text(), "error: agent failed: open outbox: another agent") {
		t.Errorf("system log:\n%s", sys.text())
	}
	select {
	case <-first.Done():
		t.Errorf("the first agent stopped: %v", first.Err())
	default:
	}
}

func TestSystemConfig(t *testing.T) {
	c := service.SystemConfig("agent.yaml")
	abs, _ := filepath.Abs("agent.yaml")
	if c.Name != "stolik-agent" || strings.Join(c.Arguments, " ") != "run --service --config "+abs {
		t.Errorf("service config %+v", c)
	}
}
