package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/shared/wire"
)

// hookStore lets a test act around ApplyBatch of a real store.
type hookStore struct {
	hub.Store
	// before runs before the batch is applied; an error fails the call.
	before func() error
	// after runs once the batch is applied, before ApplyBatch returns.
	after func()
}

func (s *hookStore) ApplyBatch(ctx context.Context, agentID string,
	events []wire.Event) (hub.ApplyResult, error) {
	if s.before != nil {
		if err := s.before(); err != nil {
			return hub.ApplyResult{}, err
		}
	}
	r, err := s.Store.ApplyBatch(ctx, agentID, events)
	if s.after != nil {
		s.after()
	}
	return r, err
}

func sendBatch(tb testing.TB, ws *websocket.Conn, es []wire.Event) {
	tb.Helper()
	send(tb, ws, wire.TypeBatch, wire.Batch{Events: es})
}

func expectAck(tb testing.TB, ws *websocket.Conn, seq uint64) {
	tb.Helper()
	var ack wire.Ack
	expect(tb, ws, wire.TypeAck, &ack)
	if ack.Seq != seq {
		tb.Fatalf("ack %d, want %d", ack.Seq, seq)
	}
}

// reader delivers a connection's messages on a channel.
func reader(ws *websocket.Conn) <-chan wire.Envelope {
	ch := make(chan wire.Envelope, 16)
	go func() {
		defer close(ch)
		for {
			_, frame, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if env, err := wire.Decode(frame); err == nil {
				ch <- env
			}
		}
	}()
	return ch
}

func TestAckOnlyAfterApply(t *testing.T) {
	applied := make(chan struct{})
	release := make(chan struct{})
	store := &hookStore{Store: openStore(t), after: func() {
		close(applied)
		<-release
	}}
	e := newEnv(t, store, gateway.Options{})
	ws, _ := e.connect(t, "agt_a", addAgent(t, store, "agt_a"))
	msgs := reader(ws)

	sendBatch(t, ws, events(1, 3))
	<-applied
	// Nothing may arrive while ApplyBatch has not returned; give it a while.
	select {
	case m := <-msgs:
		t.Fatalf("got %s %s before ApplyBatch returned", m.Type, m.Body)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)

	m := <-msgs
	var ack wire.Ack
	if err := wire.DecodeBody(m, &ack); m.Type != wire.TypeAck || err != nil || ack.Seq != 3 {
		t.Fatalf("got %s %s, want ack 3", m.Type, m.Body)
	}
	if a := getAgent(t, store, "agt_a"); a.AppliedSeq != 3 || a.AppliedEvents != 3 {
		t.Errorf("store applied seq %d events %d, want 3 3", a.AppliedSeq, a.AppliedEvents)
	}
}

func TestDuplicateBatch(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	secret := addAgent(t, e.store, "agt_a")
	ws, _ := e.connect(t, "agt_a", secret)

	sendBatch(t, ws, events(1, 3))
	expectAck(t, ws, 3)
	sendBatch(t, ws, events(1, 3))
	expectAck(t, ws, 3)

	// After a reconnect the agent resends an overlapping batch.
	ws.Close()
	ws, w := e.connect(t, "agt_a", secret)
	if w.AppliedSeq != 3 {
		t.Fatalf("welcome applied seq %d, want 3", w.AppliedSeq)
	}
	sendBatch(t, ws, events(2, 5))
	expectAck(t, ws, 5)

	if a := getAgent(t, e.store, "agt_a"); a.AppliedEvents != 5 {
		t.Errorf("applied events %d, want 5", a.AppliedEvents)
	}
	if s := e.gw.Stats(); s.Batches != 3 || s.Events != 5 || s.Duplicates != 5 {
		t.Errorf("stats batches %d events %d duplicates %d, want 3 5 5",
			s.Batches, s.Events, s.Duplicates)
	}
}

func TestBatchOutOfOrder(t *testing.T) {
	tests := []struct {
		name string
		seqs []uint64
	}{
		{"decreasing", []uint64{1, 3, 2}},
		{"repeated", []uint64{1, 1}},
		{"zero", []uint64{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, gateway.Options{})
			ws, _ := e.connect(t, "agt_a", addAgent(t, e.store, "agt_a"))

			var es []wire.Event
			for _, seq := range tt.seqs {
				es = append(es, events(1, 1)...)
				es[len(es)-1].Seq = seq
			}
			sendBatch(t, ws, es)
			msg := expectError(t, ws, wire.ErrCodeProtocol).Message
			if !strings.Contains(msg, "nothing applied") {
				t.Errorf("error message %q does not say nothing was applied", msg)
			}
			if a := getAgent(t, e.store, "agt_a"); a.AppliedSeq != 0 || a.AppliedEvents != 0 {
				t.Errorf("store applied seq %d events %d, want nothing", a.AppliedSeq,
					a.AppliedEvents)
			}
		})
	}
}

func TestStoreFailureNotAcked(t *testing.T) {
	store := &hookStore{Store: openStore(t), before: func() error {
		return errors.New("disk full")
	}}
	e := newEnv(t, store, gateway.Options{})
	ws, _ := e.connect(t, "agt_a", addAgent(t, store, "agt_a"))

	sendBatch(t, ws, events(1, 2))
	if code := expectClosed(t, ws); code != websocket.CloseInternalServerErr {
		t.Errorf("close code %d, want %d", code, websocket.CloseInternalServerErr)
	}
	if s := e.gw.Stats(); s.StoreErrors != 1 || s.Batches != 0 {
		t.Errorf("stats %+v, want one store error and no batch", s)
	}
}

func TestHelloRefused(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		code  string
		text  string
	}{
		{"batch first", `{"type":"batch","body":{"events":[]}}`, wire.ErrCodeProtocol,
			"first message must be hello"},
		{"newer protocol", `{"type":"hello","body":{"protocol":2,"agent_id":"agt_a"}}`,
			wire.ErrCodeVersion, "versions 1 to 1, the agent speaks 2; update the agent"},
		{"other agent", `{"type":"hello","body":{"protocol":1,"agent_id":"agt_b"}}`,
			wire.ErrCodeProtocol, "does not match the credential"},
		{"malformed body", `{"type":"hello","body":{"protocol":"one"}}`,
			wire.ErrCodeProtocol, "malformed message"},
		{"no body", `{"type":"hello"}`, wire.ErrCodeProtocol, "without body"},
		{"not json", `hello`, wire.ErrCodeProtocol, "malformed message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, gateway.Options{})
			ws := e.dial(t, "agt_a", addAgent(t, e.store, "agt_a"))
			sendRaw(t, ws, []byte(tt.frame))
			if msg := expectError(t, ws, tt.code).Message; !strings.Contains(msg, tt.text) {
				t.Errorf("error message %q, want it to contain %q", msg, tt.text)
			}
			waitFor(t, "connection gone", func() bool { return !e.gw.Live("agt_a").Connected })
			if got := getAgent(t, e.store, "agt_a").Status.Version; got != "" {
				t.Errorf("status recorded (version %q) for a refused hello", got)
			}
		})
	}
}

func TestMalformedClosesOnlyThatAgent(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	bad, _ := e.connect(t, "agt_bad", addAgent(t, e.store, "agt_bad"))
	good, _ := e.connect(t, "agt_good", addAgent(t, e.store, "agt_good"))

	sendRaw(t, bad, []byte(`{"type":"batch","body":{"events":[{"seq":"x"}]}}`))
	expectError(t, bad, wire.ErrCodeProtocol)

	sendBatch(t, good, events(1, 2))
	expectAck(t, good, 2)
	if !e.gw.Live("agt_good").Connected {
		t.Error("good agent disconnected")
	}
	waitFor(t, "bad agent gone", func() bool { return !e.gw.Live("agt_bad").Connected })
	if s := e.gw.Stats(); s.ProtocolErrors != 1 || s.Connections != 1 {
		t.Errorf("stats %+v, want one protocol error and one connection", s)
	}
}

func TestOversizedMessage(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	secret := addAgent(t, e.store, "agt_a")
	ws, _ := e.connect(t, "agt_a", secret)

	big := make([]byte, wire.MaxMessageSize+1)
	for i := range big {
		big[i] = ' '
	}
	sendRaw(t, ws, big)
	if code := expectClosed(t, ws); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want %d", code, websocket.CloseMessageTooBig)
	}
	waitFor(t, "connection gone", func() bool { return !e.gw.Live("agt_a").Connected })
	if s := e.gw.Stats(); s.ProtocolErrors != 1 || s.Batches != 0 {
		t.Errorf("stats %+v, want one protocol error", s)
	}

	// A message of exactly the limit is accepted.
	ws, _ = e.connect(t, "agt_a", secret)
	frame, _ := wire.Encode(wire.TypeBatch, wire.Batch{Events: events(1, 1)})
	pad := wire.MaxMessageSize - len(frame)
	frame = append(frame[:len(frame)-1], []byte(strings.Repeat(" ", pad)+"}")...)
	if len(frame) != wire.MaxMessageSize {
		t.Fatalf("frame is %d bytes", len(frame))
	}
	sendRaw(t, ws, frame)
	expectAck(t, ws, 1)
}

func TestUnknownTypeIgnored(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	ws, _ := e.connect(t, "agt_a", addAgent(t, e.store, "agt_a"))

	sendRaw(t, ws, []byte(`{"type":"telemetry","body":{"cpu":0.5},"extra":true}`))
	sendRaw(t, ws, []byte(`{"type":"telemetry"}`))
	sendRaw(t, ws, []byte(`{"type":"welcome","body":{}}`))
	sendBatch(t, ws, events(1, 1))
	expectAck(t, ws, 1)
	if s := e.gw.Stats(); s.ProtocolErrors != 0 {
		t.Errorf("%d protocol errors, want none", s.ProtocolErrors)
	}
}

func enqueue(tb testing.TB, store hub.Store, agentID, id string, at time.Time, body string) {
	tb.Helper()
	c := hub.Command{ID: id, AgentID: agentID, Kind: wire.CommandResync, CreatedAt: at,
		Body: json.RawMessage(body), State: hub.CommandPending}
	if err := store.EnqueueCommand(context.Background(), c); err != nil {
		tb.Fatal(err)
	}
}

func expectCommand(tb testing.TB, ws *websocket.Conn, id string) {
	tb.Helper()
	var c wire.Command
	expect(tb, ws, wire.TypeCommand, &c)
	if c.ID != id {
		tb.Fatalf("command %s, want %s", c.ID, id)
	}
}

func TestCommands(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	secret := addAgent(t, e.store, "agt_a")
	t0 := time.Now()
	enqueue(t, e.store, "agt_a", "cmd_2", t0.Add(time.Second), `{"n":2}`)
	enqueue(t, e.store, "agt_a", "cmd_1", t0, `{"n":1}`)

	ws, _ := e.connect(t, "agt_a", secret)
	expectCommand(t, ws, "cmd_1")
	expectCommand(t, ws, "cmd_2")

	enqueue(t, e.store, "agt_a", "cmd_3", t0.Add(2*time.Second), `{}`)
	e.gw.Poke("agt_a")
	expectCommand(t, ws, "cmd_3")

	// Nothing new: a poke sends nothing, the next message is the ack.
	e.gw.Poke("agt_a")
	e.gw.Poke("agt_nobody")
	sendBatch(t, ws, events(1, 1))
	expectAck(t, ws, 1)

	// A new connection gets every command still pending.
	ws, _ = e.connect(t, "agt_a", secret)
	for _, id := range []string{"cmd_1", "cmd_2", "cmd_3"} {
		expectCommand(t, ws, id)
	}
	waitFor(t, "6 commands counted", func() bool { return e.gw.Stats().Commands == 6 })
}

func TestResult(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	secret := addAgent(t, e.store, "agt_a")
	enqueue(t, e.store, "agt_a", "cmd_1", time.Now(), `{}`)
	ws, _ := e.connect(t, "agt_a", secret)
	expectCommand(t, ws, "cmd_1")

	for _, id := range []string{"cmd_1", "cmd_unknown"} {
		res := wire.Result{CommandID: id, OK: true, Body: json.RawMessage(`{"rid":"r1"}`)}
		send(t, ws, wire.TypeResult, res)
		var ack wire.ResultAck
		expect(t, ws, wire.TypeResultAck, &ack)
		if ack.CommandID != id {
			t.Errorf("result ack for %s, want %s", ack.CommandID, id)
		}
	}

	c, err := e.store.Command(context.Background(), "cmd_1")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != hub.CommandDone || c.Result == nil || string(c.Result.Body) != `{"rid":"r1"}` {
		t.Errorf("stored command %+v, want done with the result", c)
	}
	pending, err := e.store.PendingCommands(context.Background(), "agt_a")
	if err != nil || len(pending) != 0 {
		t.Errorf("pending %v %v, want none", pending, err)
	}
	if got := e.gw.Stats().Results; got != 1 {
		t.Errorf("%d results stored, want 1", got)
	}

	send(t, ws, wire.TypeResult, wire.Result{OK: true})
	expectError(t, ws, wire.ErrCodeProtocol)
}

func TestStatusAndLastSeen(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	ws, _ := e.connect(t, "agt_a", addAgent(t, e.store, "agt_a"))
	t0 := e.clock.Now()

	st := wire.Status{Backlog: 12, Connector: wire.ConnectorHealth{OK: false,
		Error: "iiko: 401"}, Counters: wire.Counters{Stored: 30, Sent: 20, Acked: 18}}
	e.clock.Advance(time.Second)
	send(t, ws, wire.TypeStatus, st)
	waitFor(t, "status stored", func() bool {
		return getAgent(t, e.store, "agt_a").Status.Backlog == 12
	})
	got := getAgent(t, e.store, "agt_a").Status
	if got.Health != st.Connector || got.Counters != st.Counters ||
		got.Version != "1.2.3" || !got.LastSeen.Equal(t0.Add(time.Second)) {
		t.Errorf("stored status %+v, want the report, the hello and last seen t0+1s", got)
	}

	// Messages within LastSeenEvery do not touch the store.
	e.clock.Advance(gateway.LastSeenEvery - 2*time.Second)
	sendBatch(t, ws, events(1, 1))
	expectAck(t, ws, 1)
	if ls := getAgent(t, e.store, "agt_a").Status.LastSeen; !ls.Equal(t0.Add(time.Second)) {
		t.Errorf("last seen %v written within %v", ls, gateway.LastSeenEvery)
	}

	e.clock.Advance(2 * time.Second)
	sendBatch(t, ws, events(2, 2))
	expectAck(t, ws, 2)
	want := t0.Add(gateway.LastSeenEvery + time.Second)
	got = getAgent(t, e.store, "agt_a").Status
	if !got.LastSeen.Equal(want) || got.Backlog != 12 {
		t.Errorf("last seen %v backlog %d, want %v and the status kept", got.LastSeen,
			got.Backlog, want)
	}
}

func TestReplaced(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	secret := addAgent(t, e.store, "agt_a")
	old, _ := e.connect(t, "agt_a", secret)
	ws, _ := e.connect(t, "agt_a", secret)

	expectError(t, old, wire.ErrCodeReplaced)
	sendBatch(t, ws, events(1, 1))
	expectAck(t, ws, 1)
	if live := e.gw.Live("agt_a"); live.Remote != ws.LocalAddr().String() {
		t.Errorf("live remote %s, want the new connection %s", live.Remote, ws.LocalAddr())
	}
	waitFor(t, "one connection", func() bool { return e.gw.Stats().Connections == 1 })
	if got := e.gw.Stats().Replaced; got != 1 {
		t.Errorf("%d replaced, want 1", got)
	}
}

func TestDisconnect(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	secret := addAgent(t, e.store, "agt_a")

	t.Run("connected", func(t *testing.T) {
		ws, _ := e.connect(t, "agt_a", secret)
		e.gw.Disconnect("agt_a")
		if e.gw.Live("agt_a").Connected {
			t.Error("live after Disconnect")
		}
		if code := expectClosed(t, ws); code != websocket.ClosePolicyViolation {
			t.Errorf("close code %d, want %d", code, websocket.ClosePolicyViolation)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		ws, _ := e.connect(t, "agt_a", secret)
		if err := e.store.RevokeAgent(context.Background(), "agt_a", time.Now()); err != nil {
			t.Fatal(err)
		}
		e.gw.Disconnect("agt_a")
		expectError(t, ws, wire.ErrCodeRevoked)

		h := http.Header{}
		wire.SetCredential(h, "agt_a", secret)
		_, resp, err := websocket.DefaultDialer.Dial(e.url(wire.ConnectPath), h)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("reconnect: %v (%s), want 401", err, respText(resp))
		}
	})
	waitFor(t, "no connection", func() bool { return e.gw.Stats().Connections == 0 })
}

func TestRevokedWhileConnected(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	ws, _ := e.connect(t, "agt_a", addAgent(t, e.store, "agt_a"))
	if err := e.store.RevokeAgent(context.Background(), "agt_a", time.Now()); err != nil {
		t.Fatal(err)
	}

	sendBatch(t, ws, events(1, 2))
	expectError(t, ws, wire.ErrCodeRevoked)
	if a := getAgent(t, e.store, "agt_a"); a.AppliedSeq != 0 {
		t.Errorf("applied seq %d for a revoked agent, want 0", a.AppliedSeq)
	}
	if s := e.gw.Stats(); s.StoreErrors != 0 || s.Batches != 0 {
		t.Errorf("stats %+v, want no store error and no batch", s)
	}
}

// dialSmallBuffer connects with a small receive buffer, so that an agent
// that does not read fills the hub's socket quickly.
func (e *env) dialSmallBuffer(tb testing.TB, id, secret string) *websocket.Conn {
	tb.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network,
		addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			err = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	h := http.Header{}
	wire.SetCredential(h, id, secret)
	ws, resp, err := d.Dial(e.url(wire.ConnectPath), h)
	if err != nil {
		tb.Fatalf("dial: %v (%s)", err, respText(resp))
	}
	tb.Cleanup(func() { ws.Close() })
	return ws
}

func TestSlowAgentClosed(t *testing.T) {
	// A long write deadline: the slow agent must be closed because its
	// queue overflowed, not because a write timed out.
	e := newEnv(t, nil, gateway.Options{SendQueue: 4, WriteWait: time.Minute})
	fast, _ := e.connect(t, "agt_fast", addAgent(t, e.store, "agt_fast"))
	slowSecret := addAgent(t, e.store, "agt_slow")
	slow := e.dialSmallBuffer(t, "agt_slow", slowSecret)
	send(t, slow, wire.TypeHello, hello("agt_slow"))
	var w wire.Welcome
	expect(t, slow, wire.TypeWelcome, &w)

	// Commands larger than the socket buffers block the hub's writer...
	body := `"` + strings.Repeat("x", 800<<10) + `"`
	for i := range 10 {
		enqueue(t, e.store, "agt_slow", fmt.Sprintf("cmd_%02d", i),
			time.Now().Add(time.Duration(i)), body)
	}
	e.gw.Poke("agt_slow")
	waitFor(t, "writer blocked", func() bool { return e.gw.Stats().Commands >= 2 })

	// ...and the acks for these batches fill the send queue.
	var sent atomic.Int64
	go func() {
		for i := uint64(1); i <= 20; i++ {
			frame, _ := wire.Encode(wire.TypeBatch, wire.Batch{Events: events(i, i)})
			slow.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if slow.WriteMessage(websocket.TextMessage, frame) != nil {
				return
			}
			sent.Add(1)
		}
	}()

	start := time.Now()
	for i := uint64(1); !e.isGone("agt_slow"); i++ {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("slow agent still connected; %d batches sent", sent.Load())
		}
		// The other agent is served all along.
		sendBatch(t, fast, events(i, i))
		t0 := time.Now()
		expectAck(t, fast, i)
		if d := time.Since(t0); d > 2*time.Second {
			t.Errorf("fast agent waited %v for its ack", d)
		}
	}
	if s := e.gw.Stats(); s.SlowAgents != 1 {
		t.Errorf("%d slow agents closed, want 1", s.SlowAgents)
	}
	sendBatch(t, fast, events(100, 100))
	expectAck(t, fast, 100)
}

func (e *env) isGone(id string) bool { return !e.gw.Live(id).Connected }

func TestMissingPongs(t *testing.T) {
	const pongWait = 400 * time.Millisecond
	e := newEnv(t, nil, gateway.Options{PingInterval: 50 * time.Millisecond,
		PongWait: pongWait})
	silentSecret := addAgent(t, e.store, "agt_silent")
	start := time.Now()
	e.connect(t, "agt_silent", silentSecret) // never reads: never answers a ping
	alive, _ := e.connect(t, "agt_alive", addAgent(t, e.store, "agt_alive"))
	// Reading makes the client answer pings; the silent one never reads.
	reader(alive)

	waitFor(t, "silent agent closed", func() bool { return e.isGone("agt_silent") })
	if d := time.Since(start); d < pongWait {
		t.Errorf("closed after %v, before PongWait %v", d, pongWait)
	}
	for time.Since(start) < 3*pongWait {
		if e.isGone("agt_alive") {
			t.Fatalf("answering agent closed after %v", time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHooks: the booking service hears of applied batches (with the
// agent's venue) and of stored command results, once each.
func TestHooks(t *testing.T) {
	var mu sync.Mutex
	var applied []string
	var results []string
	e := newEnv(t, nil, gateway.Options{
		OnApplied: func(agentID, venueID string) {
			mu.Lock()
			defer mu.Unlock()
			applied = append(applied, agentID+"@"+venueID)
		},
		OnResult: func(agentID string, c hub.Command, r wire.Result) {
			mu.Lock()
			defer mu.Unlock()
			results = append(results, fmt.Sprintf("%s:%s:%v", agentID, c.ID, r.OK))
		},
	})
	secret := addAgent(t, e.store, "agt_a")
	enqueue(t, e.store, "agt_a", "cmd_1", time.Now(), `{}`)
	ws, _ := e.connect(t, "agt_a", secret)
	expectCommand(t, ws, "cmd_1")

	sendBatch(t, ws, events(1, 2))
	expectAck(t, ws, 2)
	sendBatch(t, ws, events(1, 2)) // a duplicate changes nothing: no hook
	expectAck(t, ws, 2)
	send(t, ws, wire.TypeResult, wire.Result{CommandID: "cmd_1", OK: true})
	expect(t, ws, wire.TypeResultAck, &wire.ResultAck{})

	// The hooks run after the ack is queued: wait for them.
	wantApplied := []string{"agt_a@" + testVenue}
	wantResults := []string{"agt_a:cmd_1:true"}
	waitFor(t, "the hooks", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(applied) >= 1 && len(results) >= 1
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(applied, wantApplied) {
		t.Errorf("applied hooks %v, want %v", applied, wantApplied)
	}
	if !slices.Equal(results, wantResults) {
		t.Errorf("result hooks %v, want %v", results, wantResults)
	}
}
