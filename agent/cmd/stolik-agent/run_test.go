package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
)

// hubStub answers enrollment (code GOOD works once) and /healthz.
func hubStub(t testing.TB) *httptest.Server {
	t.Helper()
	used := false
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/enroll", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Code string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		if req.Code != "GOOD" || used {
			w.WriteHeader(http.StatusGone)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "code used"})
			return
		}
		used = true
		_ = json.NewEncoder(w).Encode(map[string]string{
			"agent_id": "agt_cmd", "secret": "s3cret", "venue_id": "ven_cmd"})
	})
	mux.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func runCmd(t testing.TB, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out, &out)
	return out.String(), err
}

func TestEnrollCommand(t *testing.T) {
	hub := hubStub(t)
	path := filepath.Join(t.TempDir(), "stolik", "agent.yaml")

	out, err := runCmd(t, "enroll", "--hub", hub.URL, "--code", "GOOD", "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "enrolled as agent agt_cmd of venue ven_cmd") {
		t.Errorf("output: %s", out)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("enrolled config does not load: %v", err)
	}
	if c.Hub.AgentID != "agt_cmd" || c.Hub.Secret != "s3cret" || c.Hub.URLs[0] != hub.URL {
		t.Errorf("hub = %+v", c.Hub)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "https://" + l.Addr().String()
	l.Close()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"already enrolled", []string{"--hub", hub.URL, "--code", "GOOD"},
			"already holds the credential of agent agt_cmd; to replace it"},
		{"used code", []string{"--hub", hub.URL, "--code", "GOOD", "--force"},
			"code used; ask Stolik support for a new code"},
		{"wrong hub URL", []string{"--hub", closed, "--code", "GOOD", "--force"},
			"cannot reach the hub at " + closed},
		{"missing flags", []string{"--code", "GOOD"}, "needs --hub URL and --code CODE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCmd(t, append([]string{"enroll", "--config", path}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if c2, _ := config.Load(path); c2.Hub.AgentID != "agt_cmd" {
		t.Errorf("a failed enrollment changed the config: %+v", c2.Hub)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	body := "version: 1\nhub:\n  urls: [wss://hub.example.ru]\n  agent_id: a\n  secret: s\n" +
		"pol_interval: 5s\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := runCmd(t, "run", "--config", path)
	if err == nil || !strings.Contains(err.Error(),
		"line 6: pol_interval: unknown key; did you mean poll_interval?") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunStopsWhenAsked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.yaml")
	body := "version: 1\nhub: {urls: [ws://127.0.0.1:1], agent_id: a, secret: s}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- run(ctx, []string{"run", "--config", path}, &out, &out) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "data", "agent.log"))
		if strings.Contains(string(b), "agent started") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("agent did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(16 * time.Second):
		t.Fatal("run did not return within the stop bound")
	}
}

func TestCheckCommand(t *testing.T) {
	hub := hubStub(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "ws://" + l.Addr().String()
	l.Close()
	path := filepath.Join(t.TempDir(), "agent.yaml")
	body := "version: 1\nhub: {urls: [\"" + hub.URL + "\", \"" + closed +
		"\"], agent_id: a, secret: s}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "check", "--config", path)
	if err == nil || !strings.Contains(err.Error(), "1 of the checks failed") {
		t.Errorf("err = %v", err)
	}
	for _, want := range []string{"ok   конфигурация " + path, "     config " + path,
		"ok   хаб " + hub.URL + ": отвечает", "     hub " + hub.URL + ": answers",
		"FAIL хаб " + closed, "что делать: проверьте адрес в hub.urls",
		"next step:  check the address in hub.urls",
		"ok   RMS (sim): 2 зала, 20 столов", "     RMS (sim): 2 halls, 20 tables",
		"не пройдено проверок: 1 из 8 / 1 of 8 checks failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("version: 1\npoll_interval: 1ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "check", "--lang", "en", "--config", path)
	if err == nil {
		t.Fatal("check passed a config without a hub")
	}
	for _, want := range []string{"FAIL config " + path, "poll_interval", "hub.urls",
		"next step: correct the lines named above"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "что делать") {
		t.Errorf("--lang en printed Russian:\n%s", out)
	}
	if _, err := runCmd(t, "check", "--lang", "de", "--config", path); err == nil ||
		!strings.Contains(err.Error(), "use ru or en") {
		t.Errorf("--lang de: %v", err)
	}
}

func TestUsage(t *testing.T) {
	out, err := runCmd(t, "version")
	if err != nil || out != "dev\n" {
		t.Errorf("version: %q, %v", out, err)
	}
	_, err = runCmd(t, "frobnicate")
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) ||
		!strings.Contains(err.Error(), "enroll --hub URL --code CODE") {
		t.Errorf("err = %v", err)
	}
	_, err = runCmd(t, "status", "extra")
	if err == nil || !strings.Contains(err.Error(), `unexpected "extra"`) {
		t.Errorf("err = %v", err)
	}
}
