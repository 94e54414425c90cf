package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/postgres/pgtest"
)

var bins struct {
	hub, agent, demo string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stolik-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins.hub = filepath.Join(dir, "stolik-hub")
	bins.agent = filepath.Join(dir, "stolik-agent")
	bins.demo = filepath.Join(dir, "stolik-demo")
	for pkg, out := range map[string]string{
		"github.com/stolik/stolik/hub/cmd/stolik-hub":     bins.hub,
		"github.com/stolik/stolik/agent/cmd/stolik-agent": bins.agent,
		"github.com/stolik/stolik/hub/cmd/stolik-demo":    bins.demo,
	} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkg, err)
			os.Exit(1)
		}
	}
	// pgtest.Run stops the throwaway PostgreSQL cluster, if a test
	// started one.
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running binary whose output goes to a log file.
type proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func startProc(t testing.TB, name, logPath string, env []string, bin string, args ...string) *proc {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{t: t, name: name, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill ends the process with SIGKILL, as a power cut or an OOM kill would.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to end and waits for it.
func (p *proc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Errorf("%s did not stop within 15s of SIGTERM", p.name)
		p.kill()
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hubEnv is a hub's data directory, address and log.
type hubEnv struct {
	t    testing.TB
	dir  string
	addr string
	log  string
	// config is a hub config file, or "" for none.
	config string
	// key is a support API key, made before the hub first starts.
	key string
}

// newHub prepares a hub; yaml, if not empty, is its config file.
func newHub(t testing.TB, yaml string) *hubEnv {
	t.Helper()
	dir := t.TempDir()
	h := &hubEnv{t: t, dir: dir, addr: freeAddr(t), log: filepath.Join(dir, "hub.log")}
	if yaml != "" {
		h.config = filepath.Join(dir, "hub.yaml")
		if err := os.WriteFile(h.config, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *hubEnv) args(args ...string) []string {
	if h.config != "" {
		args = append(args, "--config", h.config)
	}
	return args
}

func (h *hubEnv) env() []string {
	return []string{
		"STOLIK_LISTEN=" + h.addr,
		"STOLIK_DATA_DIR=" + filepath.Join(h.dir, "data"),
		"STOLIK_LOG_LEVEL=debug",
	}
}

func (h *hubEnv) url() string { return "http://" + h.addr }

// credential is what stolik-hub agent add prints.
type credential struct {
	VenueID, AgentID, Secret string
}

func (h *hubEnv) addAgent(venue string) credential {
	h.t.Helper()
	cmd := exec.Command(bins.hub, h.args("agent", "add", "--venue", venue)...)
	cmd.Env = append(os.Environ(), h.env()...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("agent add: %v: %s", err, stderr.String())
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			kv[k] = v
		}
	}
	c := credential{VenueID: kv["venue_id"], AgentID: kv["agent_id"], Secret: kv["secret"]}
	if c.AgentID == "" || c.Secret == "" || c.VenueID == "" {
		h.t.Fatalf("agent add printed %q", out)
	}
	return c
}

// supportKey makes a support API key with stolik-hub apikey add (while
// the hub is stopped, as the embedded store needs).
func (h *hubEnv) supportKey() {
	h.t.Helper()
	cmd := exec.Command(bins.hub, h.args("apikey", "add", "--role", "support",
		"--name", "e2e")...)
	cmd.Env = append(os.Environ(), h.env()...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("apikey add: %v: %s", err, stderr.String())
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "key: "); ok {
			h.key = v
		}
	}
	if h.key == "" {
		h.t.Fatalf("apikey add printed %q", out)
	}
}

// start runs the hub and waits until it answers /healthz.
func (h *hubEnv) start() *proc {
	h.t.Helper()
	if h.key == "" {
		h.supportKey()
	}
	p := startProc(h.t, "hub", h.log, h.env(), bins.hub, h.args("serve")...)
	waitFor(h.t, 20*time.Second, "hub healthy", func() bool {
		if p.exited() {
			h.t.Fatalf("hub exited; log:\n%s", tail(h.log, 30))
		}
		r, err := http.Get(h.url() + "/healthz")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	})
	return p
}

type agentView struct {
	ID            string `json:"id"`
	Connected     bool   `json:"connected"`
	AppliedSeq    uint64 `json:"applied_seq"`
	AppliedEvents uint64 `json:"applied_events"`
	Backlog       uint64 `json:"backlog"`
	Counters      struct {
		Stored, Sent, Acked, Compacted uint64
	} `json:"counters"`
}

func (h *hubEnv) agent(id string) (agentView, error) {
	var v agentView
	err := h.getJSON("/api/v1/agents/"+id, &v)
	return v, err
}

func (h *hubEnv) state(venueID string) (hub.VenueState, error) {
	var s hub.VenueState
	err := h.getJSON("/api/v1/venues/"+venueID+"/state", &s)
	return s, err
}

// getJSON reads a support API path with the hub's support key.
func (h *hubEnv) getJSON(path string, v any) error {
	c := http.Client{Timeout: 5 * time.Second}
	url := h.url() + path
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.key)
	r, err := c.Do(req)
	if err != nil {
		return err
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, r.Status)
	}
	return json.NewDecoder(r.Body).Decode(v)
}

// agentConfig writes an agent config file and returns its path.
func agentConfig(t testing.TB, dir string, c credential, urls []string, body string) string {
	t.Helper()
	q := make([]string, len(urls))
	for i, u := range urls {
		q[i] = fmt.Sprintf("%q", u)
	}
	cfg := fmt.Sprintf("version: 1\nhub:\n  urls: [%s]\n  agent_id: %s\n  secret: %s\n"+
		"data_dir: data\nlog: {level: debug}\n%s", strings.Join(q, ", "), c.AgentID, c.Secret, body)
	path := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startAgent(t testing.TB, cfgPath string) *proc {
	t.Helper()
	return startProc(t, "agent", filepath.Join(filepath.Dir(cfgPath), "agent.log"), nil,
		bins.agent, "run", "--config", cfgPath)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// items encodes a venue state the way the agent's change detector does, so
// two states compare byte for byte.
func items(t testing.TB, s agent.State) map[string]string {
	t.Helper()
	its, err := s.Items()
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string, len(its))
	for _, it := range its {
		m[string(it.Entity)+"/"+it.ID] = string(it.Data)
	}
	return m
}

func mirrorState(s hub.VenueState) agent.State {
	return agent.State{Halls: s.Halls, Tables: s.Tables, Orders: s.Orders, Reservations: s.Reservations}
}

var _ = context.Background
var _ sync.Mutex
