// Command stolik-demo runs Stolik on one machine for a newcomer: a hub on
// its embedded store and an agent on a simulated venue, started from the
// built binaries, and a running commentary of what reaches the hub.
// Ctrl-C stops everything it started.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stolik-demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stolik-demo", flag.ContinueOnError)
	bin := fs.String("bin", "bin", "directory with stolik-hub and stolik-agent")
	dir := fs.String("dir", ".demo", "working directory for the demo's data and logs (recreated)")
	listen := fs.String("listen", "127.0.0.1:8080", "hub address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	hubBin, agentBin := filepath.Join(*bin, "stolik-hub"), filepath.Join(*bin, "stolik-agent")
	for _, b := range []string{hubBin, agentBin} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%s is missing: run make build first", b)
		}
	}
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	base := "http://" + *listen
	hubEnv := append(os.Environ(), "STOLIK_LISTEN="+*listen,
		"STOLIK_DATA_DIR="+filepath.Join(*dir, "hub"))

	fmt.Fprintln(out, "Stolik demo: one hub, one agent on a simulated restaurant.")
	cred, err := addAgent(ctx, hubBin, hubEnv, "Демо: кафе «Пушкин»")
	if err != nil {
		return err
	}
	key, err := hubLines(ctx, hubBin, hubEnv, "apikey", "add", "--role", "support",
		"--name", "demo")
	if err != nil {
		return fmt.Errorf("make the demo's support key: %w", err)
	}
	supportKey = key["key"]
	password := rand.Text()
	if _, err := hubLines(ctx, hubBin, append(hubEnv, "STOLIK_USER_PASSWORD="+password),
		"user", "add", "--email", "demo@stolik.local", "--role", "support"); err != nil {
		return fmt.Errorf("make the demo's dashboard account: %w", err)
	}
	agentCfg := filepath.Join(*dir, "agent.yaml")
	cfg := fmt.Sprintf(`version: 1
hub:
  urls: [%q]
  agent_id: %s
  secret: %s
data_dir: agent
poll_interval: 1s
connector:
  kind: sim
  sim: {seed: 7, halls: 2, tables: 16, step: 2s, changes_per_step: 2}
`, "ws://"+*listen, cred["agent_id"], cred["secret"])
	if err := os.WriteFile(agentCfg, []byte(cfg), 0o600); err != nil {
		return err
	}

	hub, err := start(hubBin, hubEnv, filepath.Join(*dir, "hub.log"), "serve")
	if err != nil {
		return err
	}
	defer hub.stop()
	if err := waitHealthy(ctx, base); err != nil {
		return err
	}
	agent, err := start(agentBin, os.Environ(), filepath.Join(*dir, "agent.log"),
		"run", "--config", agentCfg)
	if err != nil {
		return err
	}
	defer agent.stop()

	fmt.Fprintf(out, `
The hub is up. Look at:
  %[1]s/fleet      the dashboard: sign in as demo@stolik.local, password %[4]s
  %[1]s/api/v1/agents                      every agent (header Authorization: Bearer %[5]s)
  %[1]s/api/v1/venues/%[2]s/state   the restaurant as the hub mirrors it
Logs: %[3]s/hub.log and %[3]s/agent.log. Press Ctrl-C to stop.

`, base, cred["venue_id"], *dir, password, supportKey)
	return narrate(ctx, out, base, cred["venue_id"])
}

// supportKey is the demo's support API key, sent by getJSON.
var supportKey string

// hubLines runs a stolik-hub command and returns the "key: value" lines it
// printed.
func hubLines(ctx context.Context, hubBin string, env []string, args ...string) (
	map[string]string, error) {
	cmd := exec.CommandContext(ctx, hubBin, args...)
	cmd.Env = env
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("stolik-hub %s: %w", args[0], err)
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(outb)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok && !strings.HasPrefix(k, "#") {
			kv[k] = strings.TrimSpace(v)
		}
	}
	return kv, nil
}

// addAgent registers the demo venue and agent and returns the credential
// lines the hub printed.
func addAgent(ctx context.Context, hubBin string, env []string, venue string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, hubBin, "agent", "add", "--venue", venue)
	cmd.Env = env
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("register the demo agent: %w", err)
	}
	cred := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(outb)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok && !strings.HasPrefix(k, "#") {
			cred[k] = strings.TrimSpace(v)
		}
	}
	if cred["agent_id"] == "" || cred["secret"] == "" {
		return nil, fmt.Errorf("unexpected answer from stolik-hub agent add: %q", outb)
	}
	return cred, nil
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func start(bin string, env []string, logPath string, args ...string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	return p, nil
}

// stop asks the process to end and kills it if it has not within 10s.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("the hub did not become healthy within 15s; see its log")
}

type agentView struct {
	Connected     bool   `json:"connected"`
	AppliedSeq    uint64 `json:"applied_seq"`
	AppliedEvents uint64 `json:"applied_events"`
	Backlog       uint64 `json:"backlog"`
	Health        struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"connector_health"`
}

type stateView struct {
	Tables       []json.RawMessage `json:"tables"`
	Orders       []json.RawMessage `json:"orders"`
	Reservations []json.RawMessage `json:"reservations"`
}

// narrate prints, every few seconds, what the hub has received, in plain
// words, until ctx ends.
func narrate(ctx context.Context, out io.Writer, base, venueID string) error {
	var last uint64
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(out, "\nstopping the agent and the hub…")
			return nil
		case <-time.After(3 * time.Second):
		}
		var agents []agentView
		var st stateView
		if err := getJSON(base+"/api/v1/agents", &agents); err != nil || len(agents) == 0 {
			fmt.Fprintln(out, "waiting for the hub to answer…")
			continue
		}
		if err := getJSON(base+"/api/v1/venues/"+venueID+"/state", &st); err != nil {
			continue
		}
		a := agents[0]
		conn := "connected"
		if !a.Connected {
			conn = "not connected"
		}
		fmt.Fprintf(out, "%s  agent %s, %d new changes applied (%d in all), backlog %d; "+
			"the restaurant now: %d tables, %d open orders, %d reservations\n",
			time.Now().Format("15:04:05"), conn, a.AppliedEvents-last, a.AppliedEvents,
			a.Backlog, len(st.Tables), len(st.Orders), len(st.Reservations))
		last = a.AppliedEvents
	}
}

func getJSON(url string, v any) error {
	c := http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+supportKey)
	r, err := c.Do(req)
	if err != nil {
		return err
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, r.Status)
	}
	return json.NewDecoder(r.Body).Decode(v)
}
