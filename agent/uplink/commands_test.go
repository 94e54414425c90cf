package uplink_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// blockingExecutor counts runs per command and blocks until released.
type blockingExecutor struct {
	mu      sync.Mutex
	runs    map[string]int
	release chan struct{}
}

func newBlockingExecutor() *blockingExecutor {
	return &blockingExecutor{runs: make(map[string]int), release: make(chan struct{})}
}

func (e *blockingExecutor) run(ctx context.Context, c wire.Command) wire.Result {
	e.mu.Lock()
	e.runs[c.ID]++
	e.mu.Unlock()
	select {
	case <-e.release:
		return wire.Result{CommandID: c.ID, OK: true, Message: "done"}
	case <-ctx.Done():
		return wire.Result{CommandID: c.ID, Code: wire.CodeInterrupted}
	}
}

func (e *blockingExecutor) count(id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs[id]
}

func TestCommandRunsOnceAndResultIsResentUntilAcked(t *testing.T) {
	h := newHub(t)
	h.with(func(h *fakeHub) { h.dupCommand = true; h.ackResults = false })
	st := newStore(t)
	exec := newBlockingExecutor()
	r := start(t, testConfig(h.srv.URL), st, exec.run)
	eventually(t, "connected", func() bool { return h.connections() == 1 })

	results := func() (n int) {
		h.with(func(h *fakeHub) { n = len(h.results) })
		return n
	}
	// Delivered twice on this connection and again after a reconnect
	// while it runs.
	h.command(wire.Command{ID: "c1", Kind: wire.CommandCreateReservation})
	h.send(wire.TypeCommand, wire.Command{ID: "c1", Kind: wire.CommandCreateReservation})
	eventually(t, "the command runs", func() bool { return exec.count("c1") == 1 })
	h.cut()
	// Once more on the first connection, twice after the reconnect.
	eventually(t, "three redeliveries while it runs", func() bool {
		return strings.Count(r.logs.String(), "command delivered again while it runs") == 3
	})

	close(exec.release)
	eventually(t, "the result arrives", func() bool { return results() == 1 })

	// Not acknowledged: resent after each reconnect, and to a redelivery.
	h.cut()
	eventually(t, "the result is resent", func() bool { return results() == 2 })
	h.send(wire.TypeCommand, wire.Command{ID: "c1", Kind: wire.CommandCreateReservation})
	eventually(t, "the result is resent again", func() bool { return results() == 3 })

	h.with(func(h *fakeHub) { h.ackResults = true })
	h.cut()
	eventually(t, "the result is acknowledged", func() bool {
		rs, _ := st.UnackedResults()
		return results() == 4 && len(rs) == 0
	})
	h.cut()
	eventually(t, "a fifth connection", func() bool { return h.connections() == 5 })
	consistently(t, 100*time.Millisecond, "no resend after the ack",
		func() bool { return results() == 4 })

	if n := exec.count("c1"); n != 1 {
		t.Errorf("command ran %d times, want once", n)
	}
	h.with(func(h *fakeHub) {
		for _, r := range h.results {
			if r.CommandID != "c1" || !r.OK || r.Message != "done" {
				t.Errorf("result = %+v", r)
			}
		}
	})
}

func TestExpiredCommandDoesNotRun(t *testing.T) {
	h := newHub(t)
	st := newStore(t)
	var ran sync.Map
	exec := func(_ context.Context, c wire.Command) wire.Result {
		ran.Store(c.ID, true)
		return wire.Result{CommandID: c.ID, OK: true}
	}
	start(t, testConfig(h.srv.URL), st, exec)
	eventually(t, "connected", func() bool { return h.connections() == 1 })

	h.command(wire.Command{ID: "old", Kind: wire.CommandCreateReservation,
		Expires: time.Now().Add(-time.Minute)})
	h.command(wire.Command{ID: "fresh", Kind: wire.CommandCreateReservation,
		Expires: time.Now().Add(time.Hour)})
	var got map[string]wire.Result
	eventually(t, "both results", func() bool {
		got = map[string]wire.Result{}
		h.with(func(h *fakeHub) {
			for _, r := range h.results {
				got[r.CommandID] = r
			}
		})
		return len(got) == 2
	})
	if r := got["old"]; r.OK || r.Code != wire.CodeExpired {
		t.Errorf("expired command result = %+v, want code %q", r, wire.CodeExpired)
	}
	if r := got["fresh"]; !r.OK {
		t.Errorf("fresh command result = %+v, want ok", r)
	}
	if _, ok := ran.Load("old"); ok {
		t.Error("the expired command ran")
	}
}

func TestCommandConcurrencyIsBounded(t *testing.T) {
	h := newHub(t)
	st := newStore(t)
	exec := newBlockingExecutor()
	cfg := testConfig(h.srv.URL)
	cfg.MaxCommands = 2
	r := start(t, cfg, st, exec.run)
	eventually(t, "connected", r.u.Connected)

	ids := []string{"a", "b", "c", "d"}
	for _, id := range ids {
		h.command(wire.Command{ID: id})
	}
	running := func() (n int) {
		for _, id := range ids {
			n += exec.count(id)
		}
		return n
	}
	eventually(t, "two commands run", func() bool { return running() == 2 })
	consistently(t, 100*time.Millisecond, "two at a time", func() bool { return running() == 2 })

	// Stopping now: the two queued commands never start and say so.
	if err := r.stop(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	rs, _ := st.UnackedResults()
	notRun := 0
	for _, res := range rs {
		if res.Code == wire.CodeInterrupted && strings.Contains(res.Message, "did not run") {
			notRun++
			if exec.count(res.CommandID) != 0 {
				t.Errorf("command %s ran but was reported as not run", res.CommandID)
			}
		}
	}
	if len(rs) != 4 || notRun != 2 {
		t.Errorf("stored results %+v, want 4 with 2 never run", rs)
	}
}

func TestCommandExpiringInTheQueueDoesNotRun(t *testing.T) {
	h := newHub(t)
	exec := newBlockingExecutor()
	cfg := testConfig(h.srv.URL)
	cfg.MaxCommands = 1
	r := start(t, cfg, newStore(t), exec.run)
	eventually(t, "connected", r.u.Connected)

	h.command(wire.Command{ID: "first"})
	eventually(t, "the first command runs", func() bool { return exec.count("first") == 1 })
	expires := time.Now().Add(300 * time.Millisecond)
	h.command(wire.Command{ID: "queued", Expires: expires})
	eventually(t, "the queued command expires", func() bool { return time.Now().After(expires) })
	close(exec.release)

	var got wire.Result
	eventually(t, "the queued command's result", func() bool {
		h.with(func(h *fakeHub) {
			for _, res := range h.results {
				if res.CommandID == "queued" {
					got = res
				}
			}
		})
		return got.CommandID != ""
	})
	if !regexp.MustCompile(`running command.* command=queued`).MatchString(r.logs.String()) {
		t.Error("the queued command expired before it was queued")
	}
	if got.Code != wire.CodeExpired || exec.count("queued") != 0 {
		t.Errorf("queued command: result %+v, ran %d times; want expired, never run",
			got, exec.count("queued"))
	}
}
