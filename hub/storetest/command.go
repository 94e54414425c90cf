package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// command returns a pending command for agentID created at t0 + after.
func command(id, agentID string, after time.Duration) hub.Command {
	return hub.Command{
		ID:        id,
		AgentID:   agentID,
		Kind:      wire.CommandCreateReservation,
		Body:      json.RawMessage(`{"booking_id":"bkg_` + id + `","guests":2}`),
		CreatedAt: t0.Add(after),
		Expires:   t0.Add(after + 10*time.Minute),
		State:     hub.CommandPending,
	}
}

func enqueue(t testing.TB, s hub.Store, c hub.Command) {
	t.Helper()
	wantErr(t, "enqueue "+c.ID, s.EnqueueCommand(context.Background(), c), nil)
}

func wantPending(t testing.TB, s hub.Store, agentID string, want ...hub.Command) {
	t.Helper()
	got, err := s.PendingCommands(context.Background(), agentID)
	wantErr(t, "pending commands of "+agentID, err, nil)
	diff(t, "pending commands of "+agentID, got, want)
}

func wantCommand(t testing.TB, s hub.Store, want hub.Command) {
	t.Helper()
	got, err := s.Command(context.Background(), want.ID)
	wantErr(t, "get command "+want.ID, err, nil)
	diff(t, "command "+want.ID, got, want)
}

func testCommandQueue(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	b := createAgent(t, s, "agt_2", v.ID)

	// Enqueued out of order; cmd_0 and cmd_1 were created at the same time.
	c3 := command("cmd_3", a.ID, 2*time.Second)
	c1 := command("cmd_1", a.ID, time.Second)
	c0 := command("cmd_0", a.ID, time.Second)
	c4 := command("cmd_4", a.ID, 0)
	c4.State = "" // means pending
	cb := command("cmd_b", b.ID, 0)
	for _, c := range []hub.Command{c3, c1, c0, c4, cb} {
		enqueue(t, s, c)
	}
	c4.State = hub.CommandPending

	wantCommand(t, s, c1)
	wantCommand(t, s, c4)
	wantPending(t, s, a.ID, c4, c0, c1, c3)
	wantPending(t, s, b.ID, cb)

	dup := command("cmd_1", b.ID, time.Hour)
	wantErr(t, "enqueue taken id", s.EnqueueCommand(ctx, dup), hub.ErrExists)
	wantCommand(t, s, c1)
	wantPending(t, s, b.ID, cb)

	wantErr(t, "enqueue for unknown agent",
		s.EnqueueCommand(ctx, command("cmd_x", "agt_missing", 0)), hub.ErrNotFound)
	_, err := s.Command(ctx, "cmd_x")
	wantErr(t, "get unknown command", err, hub.ErrNotFound)
	_, err = s.PendingCommands(ctx, "agt_missing")
	wantErr(t, "pending commands of unknown agent", err, hub.ErrNotFound)
}

func testCommandFinish(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	b := createAgent(t, s, "agt_2", v.ID)
	c1, c2 := command("cmd_1", a.ID, 0), command("cmd_2", a.ID, time.Second)
	cb := command("cmd_b", b.ID, 0)
	for _, c := range []hub.Command{c1, c2, cb} {
		enqueue(t, s, c)
	}

	r1 := wire.Result{CommandID: c1.ID, OK: true, Body: json.RawMessage(`{"reservation_id":"r1"}`)}
	wantErr(t, "finish another agent's command", s.FinishCommand(ctx, b.ID, r1),
		hub.ErrNotFound)
	wantCommand(t, s, c1)

	wantErr(t, "finish", s.FinishCommand(ctx, a.ID, r1), nil)
	c1.State, c1.Result = hub.CommandDone, &r1
	wantCommand(t, s, c1)
	wantPending(t, s, a.ID, c2)

	// A second result, as after a reconnect, keeps the first.
	again := wire.Result{CommandID: c1.ID, Code: wire.CodeFailed, Message: "RMS timeout"}
	wantErr(t, "finish again", s.FinishCommand(ctx, a.ID, again), nil)
	wantCommand(t, s, c1)
	wantPending(t, s, a.ID, c2)

	wantErr(t, "finish unknown command",
		s.FinishCommand(ctx, a.ID, wire.Result{CommandID: "cmd_missing", OK: true}),
		hub.ErrNotFound)

	rb := wire.Result{CommandID: cb.ID, Code: wire.CodeRefused, Message: "table taken"}
	wantErr(t, "finish other agent's own", s.FinishCommand(ctx, b.ID, rb), nil)
	cb.State, cb.Result = hub.CommandDone, &rb
	wantCommand(t, s, cb)
	wantPending(t, s, b.ID)
	wantPending(t, s, a.ID, c2)
}

// testExpireCommands expires pending commands whose time has come, oldest
// first (CreatedAt, then id).
func testExpireCommands(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	b := createAgent(t, s, "agt_2", v.ID)
	c1 := command("cmd_1", a.ID, 0)           // expires at +10m
	c2 := command("cmd_2", a.ID, time.Second) // at +10m1s
	c3 := command("cmd_3", a.ID, 2*time.Second)
	c3.Expires = time.Time{} // never
	c4 := command("cmd_4", b.ID, 0)
	c4.Expires = t0.Add(5 * time.Minute)
	c5 := command("cmd_5", a.ID, 0)
	c5.Expires = t0.Add(time.Minute)
	for _, c := range []hub.Command{c4, c3, c2, c1, c5} {
		enqueue(t, s, c)
	}
	r5 := wire.Result{CommandID: c5.ID, OK: true}
	wantErr(t, "finish", s.FinishCommand(ctx, a.ID, r5), nil)
	c5.State, c5.Result = hub.CommandDone, &r5

	expire := func(now time.Time, want ...hub.Command) {
		t.Helper()
		got, err := s.ExpireCommands(ctx, now)
		wantErr(t, "expire commands", err, nil)
		diff(t, fmt.Sprintf("commands expired at %s", now.Sub(t0)), got, want)
	}
	expire(t0.Add(4 * time.Minute))
	// An expiry equal to now has passed.
	c1.State, c4.State = hub.CommandExpired, hub.CommandExpired
	expire(t0.Add(10*time.Minute), c1, c4)
	expire(t0.Add(10 * time.Minute))
	wantCommand(t, s, c1)
	wantCommand(t, s, c4)
	wantCommand(t, s, c5)
	wantPending(t, s, a.ID, c2, c3)
	wantPending(t, s, b.ID)

	c2.State = hub.CommandExpired
	expire(t0.Add(24*time.Hour), c2)
	wantPending(t, s, a.ID, c3)
	wantCommand(t, s, c2)
}
