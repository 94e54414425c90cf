package schedule_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/schedule"
	"github.com/stolik/stolik/shared/wire"
)

// TestPruneCommands: the pruner's job runs each hour, drops commands with
// a result past the retention, keeps newer and pending ones, and keeps
// its chain going.
func TestPruneCommands(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	start := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	c := &clock{t: start}
	if err := s.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "V", TimeZone: "UTC",
		CreatedAt: start}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: "ven_1",
		SecretHash: hub.HashSecret("s"), CreatedAt: start}); err != nil {
		t.Fatal(err)
	}
	// Two days old (done, and pending), and one hour old (done).
	for _, cmd := range []hub.Command{
		{ID: "cmd_old", CreatedAt: start.Add(-48 * time.Hour)},
		{ID: "cmd_waiting", CreatedAt: start.Add(-48 * time.Hour)},
		{ID: "cmd_new", CreatedAt: start.Add(-time.Hour)},
	} {
		cmd.AgentID, cmd.Kind = "agt_1", wire.CommandResync
		if err := s.EnqueueCommand(ctx, cmd); err != nil {
			t.Fatal(err)
		}
		if cmd.ID != "cmd_waiting" {
			if err := s.FinishCommand(ctx, "agt_1", wire.Result{CommandID: cmd.ID,
				OK: true}); err != nil {
				t.Fatal(err)
			}
		}
	}

	p := schedule.NewCommandPruner(s, 24*time.Hour, c.now, nil)
	r := schedule.New(s, schedule.Options{Now: c.now})
	r.Handle(schedule.JobPruneCommands, p.Run)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil { // a second replica
		t.Fatal(err)
	}
	if n, _ := r.RunDue(ctx); n != 0 {
		t.Fatal("pruned before the next hour")
	}
	if _, err := s.Command(ctx, "cmd_old"); err != nil {
		t.Fatalf("old command gone before the prune: %v", err)
	}

	c.add(30 * time.Minute) // 13:00
	if n, err := r.RunDue(ctx); n != 1 || err != nil {
		t.Fatalf("first prune: %d jobs ran, %v; want 1", n, err)
	}
	if _, err := s.Command(ctx, "cmd_old"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("done command two days old: %v, want it dropped", err)
	}
	for _, id := range []string{"cmd_waiting", "cmd_new"} {
		if _, err := s.Command(ctx, id); err != nil {
			t.Errorf("%s: %v, want it kept", id, err)
		}
	}

	c.add(time.Hour) // 14:00: the chain goes on
	if n, err := r.RunDue(ctx); n != 1 || err != nil {
		t.Fatalf("second prune: %d jobs ran, %v; want 1", n, err)
	}
	c.add(24 * time.Hour) // cmd_new is past the retention now
	if n, err := r.RunDue(ctx); n != 1 || err != nil {
		t.Fatalf("later prune: %d jobs ran, %v; want 1", n, err)
	}
	if _, err := s.Command(ctx, "cmd_new"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("cmd_new a day later: %v, want it dropped", err)
	}
}
