package uplink_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/uplink"
	"github.com/stolik/stolik/shared/wire"
)

func TestHandshakeResendsFromAppliedSeq(t *testing.T) {
	h := newHub(t)
	h.with(func(h *fakeHub) { h.applied = 10; h.holdAcks = true })
	st := newStore(t)
	st.add(t, 20)
	// A command finished and acknowledged earlier: its id goes in Hello.
	ctx := context.Background()
	if _, err := st.BeginCommand(ctx, wire.Command{ID: "c0"}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishCommand(ctx, wire.Result{CommandID: "c0", OK: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.AckResult(ctx, "c0"); err != nil {
		t.Fatal(err)
	}

	var welcomed atomic.Value
	cfg := testConfig(h.srv.URL)
	cfg.OnWelcome = func(w wire.Welcome) { welcomed.Store(w) }
	cfg.Status = func() wire.Status { return wire.Status{Backlog: 42} }
	r := start(t, cfg, st, nil)

	// Welcome said the hub holds 1..10: those are deleted without an ack,
	// 11..20 are sent and kept until the hub acks them.
	eventually(t, "the hub has all events", func() bool {
		var n uint64
		h.with(func(h *fakeHub) { n = h.applied })
		return n == 20
	})
	if got := st.backlog(); got != 10 {
		t.Errorf("backlog before the ack = %d, want 10", got)
	}
	h.releaseAcks()
	eventually(t, "acked events are deleted", func() bool { return st.backlog() == 0 })

	h.with(func(h *fakeHub) {
		want := []wire.Hello{{Protocol: wire.Version, AgentID: testAgent, Version: "1.2.3",
			OS: "linux", Connector: "sim", Capabilities: []string{"reservations.write"},
			LastSeq: 20, LastCommand: "c0"}}
		if d := cmp.Diff(h.hellos, want); d != "" {
			t.Errorf("hello (-got +want):\n%s", d)
		}
		if h.events[0].Seq != 11 || h.dupes != 0 {
			t.Errorf("first event sent is %d with %d dupes; want 11 and none",
				h.events[0].Seq, h.dupes)
		}
		if len(h.statuses) != 1 || h.statuses[0].Backlog != 42 {
			t.Errorf("statuses after welcome = %+v, want one with backlog 42", h.statuses)
		}
	})
	if w, _ := welcomed.Load().(wire.Welcome); w.VenueID != "venue-1" || w.AppliedSeq != 10 {
		t.Errorf("OnWelcome got %+v", w)
	}
	// Stats follow the outbox a moment later.
	eventually(t, "stats show the ack", func() bool { return r.u.Stats().AckedSeq == 20 })
	if s := r.u.Stats(); !s.Connected || s.Connects != 1 || s.EventsSent != 10 {
		t.Errorf("stats = %+v", s)
	}
}

func TestWindow(t *testing.T) {
	tests := []struct {
		name             string
		window, maxBatch int
		settings         wire.Settings
		wantWindow       int
		wantBatch        int
	}{
		{name: "one", window: 1, maxBatch: 10, wantWindow: 1, wantBatch: 10},
		{name: "three", window: 3, maxBatch: 10, wantWindow: 3, wantBatch: 10},
		{name: "hub lowers", window: 4, maxBatch: 10,
			settings: wire.Settings{Window: 2, MaxBatch: 4}, wantWindow: 2, wantBatch: 4},
		{name: "hub cannot raise", window: 2, maxBatch: 5,
			settings: wire.Settings{Window: 8, MaxBatch: 100}, wantWindow: 2, wantBatch: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t)
			h.with(func(h *fakeHub) { h.holdAcks = true; h.settings = tc.settings })
			st := newStore(t)
			last := st.add(t, 60)
			cfg := testConfig(h.srv.URL)
			cfg.Window, cfg.MaxBatch = tc.window, tc.maxBatch
			start(t, cfg, st, nil)

			batches := func() (n int) {
				h.with(func(h *fakeHub) { n = h.batches })
				return n
			}
			eventually(t, "the window is full", func() bool { return batches() == tc.wantWindow })
			consistently(t, 100*time.Millisecond, "a full window",
				func() bool { return batches() == tc.wantWindow })

			// Each ack makes room for exactly one more batch.
			total := (int(last) + tc.wantBatch - 1) / tc.wantBatch
			for acked := 1; acked <= total; acked++ {
				h.ackOldest()
				want := min(acked+tc.wantWindow, total)
				eventually(t, "one more batch", func() bool { return batches() == want })
			}
			eventually(t, "acks delete every event", func() bool { return st.backlog() == 0 })
			h.with(func(h *fakeHub) {
				if h.maxUnacked != tc.wantWindow || h.maxBatch != tc.wantBatch {
					t.Errorf("most unacked batches %d, biggest batch %d; want %d and %d",
						h.maxUnacked, h.maxBatch, tc.wantWindow, tc.wantBatch)
				}
			})
		})
	}
}

func TestCutsMidBatchLoseNothing(t *testing.T) {
	h := newHub(t)
	h.with(func(h *fakeHub) { h.cutEvery = 5 })
	st := newStore(t)
	st.add(t, 300)
	cfg := testConfig(h.srv.URL)
	cfg.Window, cfg.MaxBatch = 3, 7
	r := start(t, cfg, st, nil)

	// More changes arrive while the connection keeps breaking.
	for range 10 {
		var before int
		h.with(func(h *fakeHub) { before = h.batches })
		st.add(t, 30)
		eventually(t, "progress", func() bool {
			var n int
			h.with(func(h *fakeHub) { n = h.batches })
			return n > before
		})
	}
	eventually(t, "the hub has all 600 events", func() bool {
		var n uint64
		h.with(func(h *fakeHub) { n = h.applied })
		return n == 600
	})
	eventually(t, "the outbox is empty", func() bool { return st.backlog() == 0 })

	h.with(func(h *fakeHub) {
		if len(h.events) != 600 {
			t.Fatalf("hub applied %d events, want 600", len(h.events))
		}
		for i, e := range h.events {
			if e.Seq != uint64(i+1) {
				t.Fatalf("event %d has seq %d: lost or repeated", i, e.Seq)
			}
		}
		if len(h.hellos) < 3 {
			t.Errorf("%d connections: the hub did not cut", len(h.hellos))
		}
	})
	// Batches lost in the cuts were sent again.
	eventually(t, "stats show the ack", func() bool { return r.u.Stats().AckedSeq == 600 })
	if s := r.u.Stats(); s.EventsSent <= 600 || s.Disconnects == 0 {
		t.Errorf("stats = %+v, want resends and disconnects", s)
	}
}

func TestFailover(t *testing.T) {
	h := newHub(t)
	dead := deadURL(t)
	// The second URL is an http base URL with a trailing slash.
	r := start(t, testConfig(dead, h.srv.URL+"/"), newStore(t), nil)

	eventually(t, "connected", r.u.Connected)
	s := r.u.Stats()
	if want := "ws" + strings.TrimPrefix(h.srv.URL, "http") + wire.ConnectPath; s.URL != want {
		t.Errorf("URL = %q, want %q", s.URL, want)
	}
	if s.DialFailures < 1 || s.Connects != 1 {
		t.Errorf("stats = %+v, want a dial failure then a connection", s)
	}
}

func TestRefusedAndDownBackoff(t *testing.T) {
	const lo, hi = 5 * time.Millisecond, 40 * time.Millisecond
	tests := []struct {
		name    string
		secret  string
		refuse  int
		down    bool
		wantErr error
		wantLog string
		// want are the first backoff ceilings.
		want []time.Duration
	}{
		{name: "401", secret: "wrong", wantErr: uplink.ErrUnauthorized,
			wantLog: "check agent id/secret or re-enroll", want: []time.Duration{hi, hi, hi}},
		{name: "426", refuse: 426, wantErr: uplink.ErrVersion,
			wantLog: "hub needs another protocol version", want: []time.Duration{hi, hi, hi}},
		{name: "down", down: true, wantLog: "cannot connect to hub",
			want: []time.Duration{lo, 2 * lo, 4 * lo, hi, hi}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t)
			h.with(func(h *fakeHub) { h.refuse = tc.refuse })
			url := h.srv.URL
			if tc.down {
				url = deadURL(t)
			}
			cfg := testConfig(url)
			cfg.BackoffMin, cfg.BackoffMax = lo, hi
			if tc.secret != "" {
				cfg.Secret = tc.secret
			}
			var b backoffs
			r := start(t, cfg, newStore(t), nil, b.hook)

			eventually(t, "several retries", func() bool { return len(b.get()) >= len(tc.want) })
			if d := cmp.Diff(b.get()[:len(tc.want)], tc.want); d != "" {
				t.Errorf("backoff ceilings (-got +want):\n%s", d)
			}
			s := r.u.Stats()
			if tc.wantErr != nil && !isErr(s.LastError, tc.wantErr) {
				t.Errorf("last error %v, want %v", s.LastError, tc.wantErr)
			}
			if !strings.Contains(r.logs.String(), tc.wantLog) {
				t.Errorf("log does not say %q", tc.wantLog)
			}
			if !tc.down {
				h.with(func(h *fakeHub) {
					if h.attempts < len(tc.want) {
						t.Errorf("hub saw %d attempts, want at least %d", h.attempts,
							len(tc.want))
					}
				})
			}
		})
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	const pongWait = 300 * time.Millisecond
	h := newHub(t)
	h.with(func(h *fakeHub) { h.stallNext = true })
	cfg := testConfig(h.srv.URL)
	cfg.PingInterval, cfg.PongWait = 30*time.Millisecond, pongWait
	r := start(t, cfg, newStore(t), nil)

	eventually(t, "a second connection", func() bool { return h.connections() == 2 })
	h.with(func(h *fakeHub) {
		gap := h.helloTimes[1].Sub(h.helloTimes[0])
		if gap < pongWait*9/10 || gap > pongWait+400*time.Millisecond {
			t.Errorf("reconnected %v after the hub went silent, want about %v", gap, pongWait)
		}
	})
	// The second hub answers pings: the connection stays up.
	consistently(t, 3*pongWait, "one healthy connection",
		func() bool { return h.connections() == 2 })
	if s := r.u.Stats(); !s.Connected || s.Disconnects != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestProtocolViolationsReconnect(t *testing.T) {
	tests := []struct {
		name      string
		send      func(h *fakeHub)
		reconnect bool
		wantErr   error
	}{
		{name: "malformed frame", reconnect: true, wantErr: wire.ErrMalformed,
			send: func(h *fakeHub) { h.sendRaw("{not json") }},
		{name: "malformed body", reconnect: true, wantErr: wire.ErrMalformed,
			send: func(h *fakeHub) { h.sendRaw(`{"type":"ack","body":{"seq":"x"}}`) }},
		{name: "ack never sent", reconnect: true, wantErr: uplink.ErrProtocol,
			send: func(h *fakeHub) { h.send(wire.TypeAck, wire.Ack{Seq: 99}) }},
		{name: "hub error", reconnect: true, wantErr: uplink.ErrUnauthorized,
			send: func(h *fakeHub) {
				h.send(wire.TypeError, wire.Error{Code: wire.ErrCodeRevoked, Message: "revoked"})
			}},
		{name: "unknown type", send: func(h *fakeHub) {
			h.sendRaw(`{"type":"gossip","body":{"x":1}}`)
			h.sendRaw(`{"type":"gossip"}`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t)
			st := newStore(t)
			st.add(t, 5)
			r := start(t, testConfig(h.srv.URL), st, nil)
			eventually(t, "events acked", func() bool { return st.backlog() == 0 })

			tc.send(h)
			if !tc.reconnect {
				consistently(t, 100*time.Millisecond, "one connection",
					func() bool { return h.connections() == 1 })
				return
			}
			eventually(t, "a reconnect", func() bool { return h.connections() == 2 })
			if err := r.u.Stats().LastError; !isErr(err, tc.wantErr) {
				t.Errorf("last error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestStopIsPrompt(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, h *fakeHub) string
		ready func(h *fakeHub, r *agentRun, e *blockingExecutor) bool
	}{
		{name: "connected, command running",
			setup: func(t *testing.T, h *fakeHub) string {
				h.command(wire.Command{ID: "slow"})
				return h.srv.URL
			},
			ready: func(h *fakeHub, r *agentRun, e *blockingExecutor) bool {
				return r.u.Connected() && e.count("slow") == 1
			}},
		{name: "waiting for welcome",
			setup: func(t *testing.T, h *fakeHub) string {
				h.with(func(h *fakeHub) { h.silentNext = true })
				return h.srv.URL
			},
			ready: func(h *fakeHub, r *agentRun, e *blockingExecutor) bool {
				return h.connections() == 1
			}},
		{name: "backing off",
			setup: func(t *testing.T, h *fakeHub) string { return deadURL(t) },
			ready: func(h *fakeHub, r *agentRun, e *blockingExecutor) bool {
				return r.u.Stats().DialFailures > 0
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t)
			url := tc.setup(t, h)
			cfg := testConfig(url)
			cfg.BackoffMin, cfg.BackoffMax = time.Minute, time.Minute
			cfg.HandshakeTimeout = time.Minute
			st := newStore(t)
			exec := newBlockingExecutor()
			r := start(t, cfg, st, exec.run)
			eventually(t, "ready", func() bool { return tc.ready(h, r, exec) })

			began := time.Now()
			err := r.stop(t)
			if took := time.Since(began); took > 500*time.Millisecond {
				t.Errorf("Run took %v to return after cancel", took)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
			if exec.count("slow") == 1 {
				// Stopped mid-run: the executor's result is stored.
				rs, _ := st.UnackedResults()
				if len(rs) != 1 || rs[0].Code != wire.CodeInterrupted {
					t.Errorf("stored results %+v, want the interrupted one", rs)
				}
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	st := newStore(t)
	tests := []struct {
		name string
		edit func(c *uplink.Config)
		want []string // parts of the error; none means valid
	}{
		{name: "defaults", edit: func(c *uplink.Config) {}},
		{name: "wss", edit: func(c *uplink.Config) { c.URLs = []string{"wss://hub.example/x/"} }},
		{name: "everything wrong", edit: func(c *uplink.Config) {
			*c = uplink.Config{URLs: []string{"ftp://x", "http://"}, Window: -1,
				BackoffMin: time.Second, BackoffMax: time.Millisecond}
		}, want: []string{"scheme", "no host", "agent id and secret", "LastSeq",
			"window", "backoff"}},
		{name: "no urls", edit: func(c *uplink.Config) { c.URLs = nil },
			want: []string{"no hub URL"}},
		{name: "ping slower than pong wait", edit: func(c *uplink.Config) {
			c.PingInterval, c.PongWait = time.Second, time.Second
		}, want: []string{"ping interval"}},
		{name: "batch bytes over the limit", edit: func(c *uplink.Config) {
			c.MaxBatchBytes = wire.MaxMessageSize
		}, want: []string{"max batch bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := uplink.Config{URLs: []string{"http://127.0.0.1:1"}, AgentID: "a",
				Secret: "s", LastSeq: func() uint64 { return 0 }}
			tc.edit(&cfg)
			_, err := uplink.New(cfg, st, st, okExecutor)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted the config")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestBackoffResetsAfterAStableConnection(t *testing.T) {
	const lo, hi, stable = 5 * time.Millisecond, time.Second, 150 * time.Millisecond
	tests := []struct {
		name string
		up   time.Duration // how long the connection lasts
		want time.Duration // the ceiling after it
	}{
		{name: "stable", up: stable + 50*time.Millisecond, want: lo},
		{name: "brief", up: 0, want: 8 * lo}, // three refusals before it
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(t)
			h.with(func(h *fakeHub) { h.refuseN = 3 })
			cfg := testConfig(h.srv.URL)
			cfg.BackoffMin, cfg.BackoffMax = lo, hi
			var b backoffs
			r := start(t, cfg, newStore(t), nil, b.hook, func(u *uplink.Uplink) {
				uplink.SetStableAfter(u, stable)
			})
			eventually(t, "connected after three refusals", r.u.Connected)
			if tc.up > 0 {
				consistently(t, tc.up, "connected", r.u.Connected)
			}
			h.cut()
			eventually(t, "a backoff after the cut", func() bool { return len(b.get()) == 4 })

			want := []time.Duration{lo, 2 * lo, 4 * lo, tc.want}
			if d := cmp.Diff(b.get(), want); d != "" {
				t.Errorf("backoff ceilings (-got +want):\n%s", d)
			}
		})
	}
}

// greedy ignores the byte limit, as an outbox with big events might.
type greedy struct{ store }

func (g greedy) NextRaw(after uint64, max, _ int) ([]wire.RawEvent, error) {
	return g.store.NextRaw(after, max, math.MaxInt)
}

func TestBatchesFitTheMessageLimit(t *testing.T) {
	t.Run("split", func(t *testing.T) {
		h := newHub(t)
		st := newStore(t)
		st.addSized(t, 12, 100<<10) // 1.2 MB together
		start(t, testConfig(h.srv.URL), greedy{st}, nil)
		eventually(t, "all events acked", func() bool { return st.backlog() == 0 })
		h.with(func(h *fakeHub) {
			if len(h.events) != 12 || len(h.hellos) != 1 || h.maxBatch > 10 {
				t.Errorf("applied %d events in %d connections, biggest batch %d",
					len(h.events), len(h.hellos), h.maxBatch)
			}
		})
	})
	t.Run("one event too big", func(t *testing.T) {
		h := newHub(t)
		st := newStore(t)
		st.addSized(t, 1, wire.MaxMessageSize)
		r := start(t, testConfig(h.srv.URL), greedy{st}, nil)
		eventually(t, "a clear error", func() bool {
			err := r.u.Stats().LastError
			return err != nil && strings.Contains(err.Error(), "over the 1048576-byte")
		})
		h.with(func(h *fakeHub) {
			if h.batches != 0 {
				t.Errorf("hub got %d batches", h.batches)
			}
		})
	})
}
