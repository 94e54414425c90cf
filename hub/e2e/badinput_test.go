package e2e_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/shared/wire"
)

// dialRaw opens an agent websocket by hand, to send what no agent would.
func dialRaw(t *testing.T, addr, path, agentID, secret string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	wire.SetCredential(h, agentID, secret)
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	return d.Dial("ws://"+addr+path, h)
}

func send(t *testing.T, c *websocket.Conn, typ wire.Type, body any) {
	t.Helper()
	b, err := wire.Encode(typ, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatal(err)
	}
}

// readUntil reads frames until one of type typ arrives or the connection
// ends; it returns the envelope and whether one came.
func readUntil(t *testing.T, c *websocket.Conn, typ wire.Type) (wire.Envelope, bool) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, frame, err := c.ReadMessage()
		if err != nil {
			return wire.Envelope{}, false
		}
		env, err := wire.Decode(frame)
		if err != nil {
			t.Fatalf("hub sent a malformed frame: %v", err)
		}
		if env.Type == typ {
			return env, true
		}
	}
}

// welcomed connects by hand as the agent of cred and completes the
// handshake.
func welcomed(t *testing.T, addr string, cred credential) (*websocket.Conn, wire.Welcome) {
	t.Helper()
	c, _, err := dialRaw(t, addr, wire.ConnectPath, cred.AgentID, cred.Secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	send(t, c, wire.TypeHello, hello(cred.AgentID, wire.Version))
	env, ok := readUntil(t, c, wire.TypeWelcome)
	if !ok {
		t.Fatal("no welcome")
	}
	var w wire.Welcome
	if err := wire.DecodeBody(env, &w); err != nil {
		t.Fatal(err)
	}
	return c, w
}

// hello is a hand-made agent's hello; its last seq is above anything the
// test sends, as a real agent's is.
func hello(id string, protocol int) wire.Hello {
	return wire.Hello{Protocol: protocol, AgentID: id, Version: "test", OS: "linux",
		Connector: "raw", LastSeq: 1 << 40}
}

// TestBadInput sends the hub what a broken or hostile agent might, while a
// real agent streams beside it: each is refused with a clear error, the
// hub keeps serving the real agent, and nothing is lost.
func TestBadInput(t *testing.T) {
	sr := simRun{
		seed: 5, halls: 2, tables: 30, step: 20 * time.Millisecond,
		changesPerStep: 5, steps: 400, start: time.Now().Add(time.Second),
	}
	h := newHub(t, "")
	good := h.addAgent("Good")
	raw := h.addAgent("Raw")
	hubProc := h.start()
	agentDir := t.TempDir()
	cfg := agentConfig(t, agentDir, good, []string{"ws://" + h.addr},
		"poll_interval: 100ms\nuplink: {backoff_min: 20ms, backoff_max: 200ms}\n"+sr.yaml())
	a := startAgent(t, cfg)

	t.Run("wrong secret", func(t *testing.T) {
		_, resp, err := dialRaw(t, h.addr, wire.ConnectPath, raw.AgentID, "not-the-secret")
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("got %v %v, want 401", resp, err)
		}
	})
	t.Run("unknown protocol in the path", func(t *testing.T) {
		_, resp, err := dialRaw(t, h.addr, "/agent/v9/connect", raw.AgentID, raw.Secret)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUpgradeRequired {
			t.Fatalf("got %v %v, want 426", resp, err)
		}
	})
	t.Run("unknown protocol in hello", func(t *testing.T) {
		c, _, err := dialRaw(t, h.addr, wire.ConnectPath, raw.AgentID, raw.Secret)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		send(t, c, wire.TypeHello, hello(raw.AgentID, 99))
		env, ok := readUntil(t, c, wire.TypeError)
		if !ok {
			t.Fatal("no error frame before close")
		}
		var e wire.Error
		if err := wire.DecodeBody(env, &e); err != nil || e.Code != wire.ErrCodeVersion {
			t.Fatalf("error = %+v %v, want %s", e, err, wire.ErrCodeVersion)
		}
	})
	t.Run("malformed json", func(t *testing.T) {
		c, _ := welcomed(t, h.addr, raw)
		_ = c.WriteMessage(websocket.TextMessage, []byte(`{"type":"batch","body":{"events":[{`))
		env, ok := readUntil(t, c, wire.TypeError)
		if !ok {
			t.Fatal("no error frame before close")
		}
		var e wire.Error
		_ = wire.DecodeBody(env, &e)
		if e.Code != wire.ErrCodeProtocol {
			t.Fatalf("error code %q, want %q", e.Code, wire.ErrCodeProtocol)
		}
	})
	t.Run("unknown type then a batch", func(t *testing.T) {
		c, w := welcomed(t, h.addr, raw)
		send(t, c, "telemetry.v2", map[string]int{"x": 1})
		data, _ := json.Marshal(map[string]string{"id": "h-x", "name": "X"})
		seq := w.AppliedSeq + 1
		send(t, c, wire.TypeBatch, wire.Batch{Events: []wire.Event{
			{Seq: seq, Entity: wire.EntityHall, ID: "h-x", Op: wire.OpUpsert, Data: data},
		}})
		env, ok := readUntil(t, c, wire.TypeAck)
		if !ok {
			t.Fatal("no ack after an unknown message type: the hub dropped the connection")
		}
		var ack wire.Ack
		if err := wire.DecodeBody(env, &ack); err != nil || ack.Seq != seq {
			t.Fatalf("ack %+v %v, want seq %d", ack, err, seq)
		}
	})
	t.Run("oversized message", func(t *testing.T) {
		c, _ := welcomed(t, h.addr, raw)
		big := strings.Repeat("x", wire.MaxMessageSize+1)
		_ = c.WriteMessage(websocket.TextMessage, []byte(big))
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) &&
					!strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "EOF") {
					t.Logf("connection ended with %v", err)
				}
				break
			}
		}
	})

	// The real agent kept streaming through all of it.
	time.Sleep(time.Until(sr.end().Add(time.Second)))
	a.stop()
	converge(t, h, good, agentDir, cfg, sr)

	v, err := h.agent(raw.AgentID)
	if err != nil || v.AppliedEvents != 1 {
		t.Errorf("raw agent applied %d events (%v), want exactly the one valid batch", v.AppliedEvents, err)
	}
	hubProc.stop()
	log := tail(h.log, 10000)
	// Each refusal is one clear, logged line that names the agent.
	for _, want := range []string{
		"agent refused: wrong secret",
		"agent refused: unsupported protocol version",
		"agent refused: unsupported protocol in hello",
		"agent protocol error; closing",
		"ignoring unknown message type from agent",
		"agent message too large",
	} {
		found := false
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, want) && (strings.Contains(line, raw.AgentID) ||
				strings.Contains(want, "protocol version")) {
				found = true
			}
		}
		if !found {
			t.Errorf("hub log has no line %q naming the agent", want)
		}
	}
	if strings.Contains(log, raw.Secret) || strings.Contains(log, "not-the-secret") {
		t.Error("hub log contains an agent secret")
	}
}

// TestSecondAgentOnSameDataDir: a second agent started on the data
// directory of a running one stops at once and says why.
func TestSecondAgentOnSameDataDir(t *testing.T) {
	h := newHub(t, "")
	cred := h.addAgent("Twice")
	dir := t.TempDir()
	cfg := agentConfig(t, dir, cred, []string{"ws://" + h.addr}, "poll_interval: 1s\n")
	first := startAgent(t, cfg)
	waitFor(t, 10*time.Second, "the first agent to open its outbox", func() bool {
		return strings.Contains(tail(filepath.Join(dir, "agent.log"), 50), "agent started")
	})

	out, err := exec.Command(bins.agent, "run", "--config", cfg).CombinedOutput()
	if err == nil {
		t.Fatal("a second agent on the same data directory started")
	}
	if !strings.Contains(string(out), "another agent is using this data directory") {
		t.Errorf("second agent said %q; want it to name the other agent and the directory", out)
	}
	if first.exited() {
		t.Error("the first agent stopped")
	}
}
