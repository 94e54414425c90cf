package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/shared/wire"
)

// openStore opens an embedded store in a fresh file.
func openStore(tb testing.TB) hub.Store {
	tb.Helper()
	s, err := bolt.Open(filepath.Join(tb.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// testVenue is the venue every test agent belongs to.
const testVenue = "ven_test"

// clock is a settable time source for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a gateway on a test server with its store.
type env struct {
	gw    *gateway.Gateway
	store hub.Store
	srv   *httptest.Server
	clock *clock
}

// newEnv starts a gateway over store (a fresh one when nil) on a test
// server. It fills in the test clock, the test log and, when zero, a short
// WriteWait.
func newEnv(tb testing.TB, store hub.Store, opts gateway.Options) *env {
	tb.Helper()
	if store == nil {
		store = openStore(tb)
	}
	ctx := context.Background()
	if _, err := store.Venue(ctx, testVenue); errors.Is(err, hub.ErrNotFound) {
		v := hub.Venue{ID: testVenue, Name: "Test", TimeZone: "UTC", CreatedAt: time.Now()}
		if err := store.CreateVenue(ctx, v); err != nil {
			tb.Fatalf("create venue: %v", err)
		}
	}

	e := &env{store: store, clock: newClock()}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(tb)
	}
	if opts.WriteWait == 0 {
		opts.WriteWait = 2 * time.Second
	}
	e.gw = gateway.New(store, opts)
	e.srv = httptest.NewServer(e.gw)
	tb.Cleanup(func() {
		if err := e.gw.Close(); err != nil {
			tb.Error(err)
		}
		e.srv.Close()
	})
	return e
}

// testLogger writes the gateway's logs into the test log.
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{
		Level: slog.LevelDebug,
	}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// addAgent creates an agent in the test venue and returns its secret.
func addAgent(tb testing.TB, store hub.Store, id string) string {
	tb.Helper()
	secret := hub.NewSecret()
	a := hub.Agent{ID: id, VenueID: testVenue, SecretHash: hub.HashSecret(secret),
		CreatedAt: time.Now()}
	if err := store.CreateAgent(context.Background(), a); err != nil {
		tb.Fatalf("create agent %s: %v", id, err)
	}
	return secret
}

func (e *env) url(path string) string {
	return "ws" + strings.TrimPrefix(e.srv.URL, "http") + path
}

// dial connects as an agent without sending hello.
func (e *env) dial(tb testing.TB, id, secret string) *websocket.Conn {
	tb.Helper()
	h := http.Header{}
	wire.SetCredential(h, id, secret)
	ws, resp, err := websocket.DefaultDialer.Dial(e.url(wire.ConnectPath), h)
	if err != nil {
		tb.Fatalf("dial as %s: %v (%s)", id, err, respText(resp))
	}
	tb.Cleanup(func() { ws.Close() })
	return ws
}

// connect dials as a new or existing agent, says hello and returns the
// welcome.
func (e *env) connect(tb testing.TB, id, secret string) (*websocket.Conn, wire.Welcome) {
	tb.Helper()
	ws := e.dial(tb, id, secret)
	send(tb, ws, wire.TypeHello, hello(id))
	var w wire.Welcome
	expect(tb, ws, wire.TypeWelcome, &w)
	return ws, w
}

// hello is an agent's hello. Its LastSeq is above anything a test applies:
// an outbox behind the hub is tested on its own.
func hello(id string) wire.Hello {
	return wire.Hello{Protocol: wire.Version, AgentID: id, Version: "1.2.3", OS: "windows",
		Connector: "iiko", Capabilities: []string{"reservations"}, RMSAccount: "cafe",
		LastSeq: 1 << 40}
}

func respText(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
}

// send writes one message.
func send(tb testing.TB, ws *websocket.Conn, t wire.Type, body any) {
	tb.Helper()
	frame, err := wire.Encode(t, body)
	if err != nil {
		tb.Fatal(err)
	}
	sendRaw(tb, ws, frame)
}

func sendRaw(tb testing.TB, ws *websocket.Conn, frame []byte) {
	tb.Helper()
	ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		tb.Fatalf("send: %v", err)
	}
}

// read returns the next message, failing after a deadline.
func read(tb testing.TB, ws *websocket.Conn) wire.Envelope {
	tb.Helper()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, frame, err := ws.ReadMessage()
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	env, err := wire.Decode(frame)
	if err != nil {
		tb.Fatalf("decode %s: %v", frame, err)
	}
	return env
}

// expect reads the next message, requires its type and decodes its body.
func expect(tb testing.TB, ws *websocket.Conn, t wire.Type, body any) {
	tb.Helper()
	env := read(tb, ws)
	if env.Type != t {
		tb.Fatalf("got %s %s, want %s", env.Type, env.Body, t)
	}
	if err := wire.DecodeBody(env, body); err != nil {
		tb.Fatal(err)
	}
}

// expectError reads an Error with code, then the close of the connection.
func expectError(tb testing.TB, ws *websocket.Conn, code string) wire.Error {
	tb.Helper()
	var e wire.Error
	expect(tb, ws, wire.TypeError, &e)
	if e.Code != code {
		tb.Fatalf("error code %q (%s), want %q", e.Code, e.Message, code)
	}
	expectClosed(tb, ws)
	return e
}

// expectClosed reads until the connection ends and returns the close code
// (-1 if it ended without a close frame).
func expectClosed(tb testing.TB, ws *websocket.Conn) int {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	ws.SetReadDeadline(deadline)
	for {
		_, frame, err := ws.ReadMessage()
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce):
			return ce.Code
		case err != nil && time.Now().After(deadline):
			tb.Fatalf("connection still open: %v", err)
		case err != nil:
			return -1
		}
		tb.Logf("message before close: %s", frame)
	}
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func getAgent(tb testing.TB, store hub.Store, id string) hub.Agent {
	tb.Helper()
	a, err := store.Agent(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func TestRefusedBeforeUpgrade(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	secret := addAgent(t, e.store, "agt_a")
	revokedSecret := addAgent(t, e.store, "agt_r")
	if err := e.store.RevokeAgent(context.Background(), "agt_r", time.Now()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		path     string
		auth     string // Authorization header; empty sends none
		status   int
		wantBody string
	}{
		{"no header", wire.ConnectPath, "", 401, "missing or malformed agent credential"},
		{"other scheme", wire.ConnectPath, "Bearer x", 401,
			"missing or malformed agent credential"},
		{"wrong secret", wire.ConnectPath, "Stolik-Agent agt_a:nope", 401,
			"invalid agent credential"},
		{"unknown agent", wire.ConnectPath, "Stolik-Agent agt_zz:" + secret, 401,
			"invalid agent credential"},
		{"revoked", wire.ConnectPath, "Stolik-Agent agt_r:" + revokedSecret, 401,
			"agent credential revoked"},
		{"revoked wrong secret", wire.ConnectPath, "Stolik-Agent agt_r:nope", 401,
			"invalid agent credential"},
		{"newer version", "/agent/v9/connect", "Stolik-Agent agt_a:" + secret, 426,
			"this hub speaks agent protocol versions 1 to 1, not 9; update the agent"},
		{"version zero", "/agent/v0/connect", "Stolik-Agent agt_a:" + secret, 426,
			"versions 1 to 1, not 0"},
		{"bad path", "/agent/vx/connect", "Stolik-Agent agt_a:" + secret, 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.gw.Stats()
			h := http.Header{}
			if tt.auth != "" {
				h.Set("Authorization", tt.auth)
			}
			ws, resp, err := websocket.DefaultDialer.Dial(e.url(tt.path), h)
			if err == nil {
				ws.Close()
				t.Fatal("upgraded, want refusal")
			}
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("body %q, want it to contain %q", body, tt.wantBody)
			}
			if got := e.gw.Stats().Accepted; got != before.Accepted {
				t.Errorf("accepted %d connections, want none", got-before.Accepted)
			}
		})
	}
	if live := e.gw.Live("agt_a"); live.Connected {
		t.Errorf("agent live after refusals: %+v", live)
	}
}

func TestWelcome(t *testing.T) {
	settings := wire.Settings{PollInterval: wire.Duration(5 * time.Second), MaxBatch: 100,
		Window: 4}
	e := newEnv(t, nil, gateway.Options{Settings: settings})
	secret := addAgent(t, e.store, "agt_a")
	_, err := e.store.ApplyBatch(context.Background(), "agt_a", events(1, 7))
	if err != nil {
		t.Fatal(err)
	}

	ws, w := e.connect(t, "agt_a", secret)
	want := wire.Welcome{Protocol: wire.Version, AppliedSeq: 7, VenueID: testVenue,
		Settings: settings, ServerTime: e.clock.Now()}
	if !w.ServerTime.Equal(want.ServerTime) {
		t.Errorf("server time %v, want %v", w.ServerTime, want.ServerTime)
	}
	w.ServerTime = want.ServerTime
	if fmt.Sprint(w) != fmt.Sprint(want) {
		t.Errorf("welcome %+v, want %+v", w, want)
	}

	st := getAgent(t, e.store, "agt_a").Status
	if st.Version != "1.2.3" || st.OS != "windows" || st.Connector != "iiko" ||
		len(st.Capabilities) != 1 || st.RMSAccount != "cafe" || !st.LastSeen.Equal(e.clock.Now()) {
		t.Errorf("stored status %+v, want the hello's and last seen now", st)
	}
	live := e.gw.Live("agt_a")
	if !live.Connected || live.Remote != ws.LocalAddr().String() ||
		!live.Since.Equal(e.clock.Now()) {
		t.Errorf("live %+v, want connected from %s", live, ws.LocalAddr())
	}
	if s := e.gw.Stats(); s.Connections != 1 || s.Accepted != 1 {
		t.Errorf("stats %+v, want one connection", s)
	}
}

// events returns upserts of tables with sequence numbers from..to.
func events(from, to uint64) []wire.Event {
	var es []wire.Event
	for seq := from; seq <= to; seq++ {
		id := fmt.Sprint(seq)
		data, _ := json.Marshal(wire.Table{ID: id, HallID: "h1", Number: id, Seats: 4})
		es = append(es, wire.Event{Seq: seq, Entity: wire.EntityTable, ID: id,
			Op: wire.OpUpsert, Data: data})
	}
	return es
}

func TestClose(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	var conns []*websocket.Conn
	secrets := map[string]string{}
	for i := range 3 {
		id := fmt.Sprintf("agt_%d", i)
		secrets[id] = addAgent(t, e.store, id)
		ws, _ := e.connect(t, id, secrets[id])
		conns = append(conns, ws)
	}
	// One agent is mid-handshake: connected, no hello yet.
	late := e.dial(t, "agt_late", addAgent(t, e.store, "agt_late"))

	start := time.Now()
	if err := e.gw.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("close took %v", d)
	}
	for i, ws := range conns {
		if code := expectClosed(t, ws); code != websocket.CloseGoingAway {
			t.Errorf("agent %d: close code %d, want %d", i, code, websocket.CloseGoingAway)
		}
	}
	expectClosed(t, late)
	if s := e.gw.Stats(); s.Connections != 0 {
		t.Errorf("%d connections after close", s.Connections)
	}

	h := http.Header{}
	wire.SetCredential(h, "agt_0", secrets["agt_0"])
	_, resp, err := websocket.DefaultDialer.Dial(e.url(wire.ConnectPath), h)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after close: %v (%s), want 503", err, respText(resp))
	}
}

// TestOutboxBehindHub: an agent whose data directory was wiped (last seq 0)
// or restored from a backup (last seq 3) comes back behind what the hub
// applied. The hub forgets the venue's mirror and takes the agent's
// sequence; after a restore it also asks for the whole state again.
func TestOutboxBehindHub(t *testing.T) {
	for _, last := range []uint64{0, 3} {
		t.Run(fmt.Sprint("last seq ", last), func(t *testing.T) {
			e := newEnv(t, nil, gateway.Options{})
			secret := addAgent(t, e.store, "agt_a")
			ctx := context.Background()
			if _, err := e.store.ApplyBatch(ctx, "agt_a", events(1, 7)); err != nil {
				t.Fatal(err)
			}

			ws := e.dial(t, "agt_a", secret)
			h := hello("agt_a")
			h.LastSeq = last
			send(t, ws, wire.TypeHello, h)
			var w wire.Welcome
			expect(t, ws, wire.TypeWelcome, &w)
			if w.AppliedSeq != last {
				t.Errorf("welcome applied seq %d, want the agent's %d", w.AppliedSeq, last)
			}
			st, err := e.store.VenueState(ctx, testVenue)
			if err != nil || len(st.Tables) != 0 {
				t.Errorf("mirror after reset: %d tables, %v; want none", len(st.Tables), err)
			}
			if last == 0 {
				return
			}
			var c wire.Command
			expect(t, ws, wire.TypeCommand, &c)
			if c.Kind != wire.CommandResync {
				t.Errorf("command %+v, want a resync", c)
			}
		})
	}
}
