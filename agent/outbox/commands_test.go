package outbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/shared/wire"
)

func command(id string) wire.Command {
	return wire.Command{ID: id, Kind: wire.CommandCancelReservation}
}

func begin(tb testing.TB, o *outbox.Outbox, id string) outbox.Begin {
	tb.Helper()
	b, err := o.BeginCommand(context.Background(), command(id))
	if err != nil {
		tb.Fatalf("begin %s: %v", id, err)
	}
	return b
}

func finish(tb testing.TB, o *outbox.Outbox, r wire.Result) {
	tb.Helper()
	if err := o.FinishCommand(context.Background(), r); err != nil {
		tb.Fatalf("finish %s: %v", r.CommandID, err)
	}
}

func ackResult(tb testing.TB, o *outbox.Outbox, id string) {
	tb.Helper()
	if err := o.AckResult(context.Background(), id); err != nil {
		tb.Fatalf("ack result %s: %v", id, err)
	}
}

func unacked(tb testing.TB, o *outbox.Outbox) []wire.Result {
	tb.Helper()
	rs, err := o.UnackedResults()
	if err != nil {
		tb.Fatalf("unacked results: %v", err)
	}
	return rs
}

// reopen closes o and opens its file again.
func reopen(tb testing.TB, o *outbox.Outbox, path string) *outbox.Outbox {
	tb.Helper()
	if err := o.Close(); err != nil {
		tb.Fatalf("close: %v", err)
	}
	return open(tb, path, outbox.Options{})
}

func TestCommandInbox(t *testing.T) {
	done := wire.Result{CommandID: "c1", OK: true, Body: []byte(`{"id":"r-1"}`)}

	t.Run("new then finished", func(t *testing.T) {
		path := tempPath(t)
		o := open(t, path, outbox.Options{})
		if got := begin(t, o, "c1"); !got.Run || got.Result != nil {
			t.Fatalf("new command: %+v, want Run", got)
		}
		finish(t, o, done)
		if got := o.LastCommand(); got != "c1" {
			t.Errorf("last command %q, want c1", got)
		}

		o = reopen(t, o, path)
		want := outbox.Begin{Result: &done}
		if diff := cmp.Diff(want, begin(t, o, "c1")); diff != "" {
			t.Errorf("redelivered finished command (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]wire.Result{done}, unacked(t, o)); diff != "" {
			t.Errorf("unacked results (-want +got):\n%s", diff)
		}
		if got := o.LastCommand(); got != "c1" {
			t.Errorf("last command after reopen %q, want c1", got)
		}

		// A second result for the same command does not replace the first.
		finish(t, o, wire.Result{CommandID: "c1", Code: wire.CodeFailed})
		if diff := cmp.Diff([]wire.Result{done}, unacked(t, o)); diff != "" {
			t.Errorf("unacked results after a second finish (-want +got):\n%s", diff)
		}
	})

	t.Run("crashed mid-run", func(t *testing.T) {
		path := tempPath(t)
		o := open(t, path, outbox.Options{})
		if got := begin(t, o, "c2"); !got.Run {
			t.Fatalf("new command: %+v, want Run", got)
		}
		// The agent dies while running c2: no FinishCommand.
		o = reopen(t, o, path)

		got := begin(t, o, "c2")
		if got.Run || got.Result == nil {
			t.Fatalf("interrupted command: %+v, want a result and no run", got)
		}
		r := *got.Result
		if r.CommandID != "c2" || r.OK || r.Code != wire.CodeInterrupted || r.Message == "" {
			t.Errorf("interrupted result %+v", r)
		}
		o = reopen(t, o, path)
		if diff := cmp.Diff([]wire.Result{r}, unacked(t, o)); diff != "" {
			t.Errorf("the interrupted result is not stored (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(outbox.Begin{Result: &r}, begin(t, o, "c2")); diff != "" {
			t.Errorf("second redelivery (-want +got):\n%s", diff)
		}
	})

	t.Run("still running in this process", func(t *testing.T) {
		o := open(t, tempPath(t), outbox.Options{})
		begin(t, o, "c3")
		if got := begin(t, o, "c3"); got.Run || got.Result != nil {
			t.Errorf("redelivery while running: %+v, want nothing to do", got)
		}
		finish(t, o, wire.Result{CommandID: "c3", OK: true})
		if got := unacked(t, o); len(got) != 1 || !got[0].OK {
			t.Errorf("unacked %+v, want the real result of c3", got)
		}
	})

	t.Run("acked", func(t *testing.T) {
		path := tempPath(t)
		o := open(t, path, outbox.Options{})
		begin(t, o, "c1")
		finish(t, o, done)
		ackResult(t, o, "c1")
		ackResult(t, o, "c1")      // again: no-op
		ackResult(t, o, "unknown") // no-op
		if got := unacked(t, o); len(got) != 0 {
			t.Errorf("unacked after ack: %+v", got)
		}

		o = reopen(t, o, path)
		if got := begin(t, o, "c1"); got.Run || got.Result != nil {
			t.Errorf("redelivery after ack: %+v, want nothing to do", got)
		}
		if got := o.LastCommand(); got != "c1" {
			t.Errorf("last command %q, want c1", got)
		}
	})
}

func TestUnackedResultsOldestFirst(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{})
	for _, id := range []string{"b", "c", "a"} {
		begin(t, o, id)
	}
	var want []wire.Result
	for _, id := range []string{"c", "a", "b"} {
		r := wire.Result{CommandID: id, OK: true}
		finish(t, o, r)
		want = append(want, r)
	}
	if diff := cmp.Diff(want, unacked(t, o)); diff != "" {
		t.Errorf("unacked results (-want +got):\n%s", diff)
	}
	ackResult(t, o, "a")
	if diff := cmp.Diff([]wire.Result{want[0], want[2]}, unacked(t, o)); diff != "" {
		t.Errorf("unacked results after acking a (-want +got):\n%s", diff)
	}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestAckedCommandIDsKeptSevenDays(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{})
	clk := &clock{now: at}
	outbox.SetClock(o, clk.Now)

	for _, id := range []string{"old", "new"} {
		begin(t, o, id)
		finish(t, o, wire.Result{CommandID: id, OK: true})
	}
	ackResult(t, o, "old")
	clk.Add(6 * 24 * time.Hour)
	ackResult(t, o, "new") // prunes nothing yet
	if got := begin(t, o, "old"); got.Run {
		t.Error("command acked six days ago runs again")
	}

	clk.Add(2 * 24 * time.Hour)
	begin(t, o, "trigger")
	finish(t, o, wire.Result{CommandID: "trigger", OK: true})
	ackResult(t, o, "trigger") // prunes "old" (8 days), keeps "new" (2 days)
	if got := begin(t, o, "new"); got.Run {
		t.Error("command acked two days ago runs again")
	}
	if got := begin(t, o, "old"); !got.Run {
		t.Error("id of a command acked eight days ago was not pruned")
	}
}
