package schedule_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/schedule"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func open(t *testing.T) hub.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRunsDueJobsOnceAndRetriesFailures(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r := schedule.New(s, schedule.Options{Now: c.now, Lease: time.Minute, MaxAttempts: 2})

	var ran []string
	fail := true
	r.Handle("ok", func(_ context.Context, j hub.Job) error { ran = append(ran, j.ID); return nil })
	r.Handle("flaky", func(_ context.Context, j hub.Job) error {
		if fail {
			return errors.New("rms busy")
		}
		ran = append(ran, j.ID)
		return nil
	})
	for _, j := range []hub.Job{
		{ID: "a", Kind: "ok", RunAt: c.now()},
		{ID: "b", Kind: "ok", RunAt: c.now().Add(time.Hour)},
		{ID: "c", Kind: "flaky", RunAt: c.now()},
	} {
		if err := s.ScheduleJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}

	if n, err := r.RunDue(ctx); err != nil || n != 1 || len(ran) != 1 || ran[0] != "a" {
		t.Fatalf("first run: %d %v, ran %v; want only a", n, err, ran)
	}
	// Nothing is due again before the failed job's lease runs out.
	if n, _ := r.RunDue(ctx); n != 0 {
		t.Fatalf("ran %d jobs again within the lease", n)
	}
	c.add(2 * time.Minute)
	fail = false
	if n, err := r.RunDue(ctx); err != nil || n != 1 || ran[len(ran)-1] != "c" {
		t.Fatalf("retry: %d %v, ran %v", n, err, ran)
	}
	c.add(time.Hour)
	if n, _ := r.RunDue(ctx); n != 1 || ran[len(ran)-1] != "b" {
		t.Fatalf("later job: ran %v", ran)
	}
	if n, _ := r.RunDue(ctx); n != 0 {
		t.Fatalf("a finished job ran again")
	}
}

func TestExpireCommands(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	now := c.now()
	if err := s.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "V", TimeZone: "UTC", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: "ven_1", SecretHash: hub.HashSecret("s"), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	cmd := hub.Command{ID: "cmd_1", AgentID: "agt_1", Kind: "resync", CreatedAt: now,
		Expires: now.Add(time.Minute), State: hub.CommandPending}
	if err := s.EnqueueCommand(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	if err := s.ScheduleJob(ctx, hub.CommandExpiryJob(cmd)); err != nil {
		t.Fatal(err)
	}
	r := schedule.New(s, schedule.Options{Now: c.now})
	r.Handle(hub.JobExpireCommands, schedule.ExpireCommands(s, c.now, nil))

	if n, _ := r.RunDue(ctx); n != 0 {
		t.Fatal("expiry ran before the command expired")
	}
	c.add(2 * time.Minute)
	if n, err := r.RunDue(ctx); n != 1 || err != nil {
		t.Fatalf("expiry: %d %v", n, err)
	}
	got, err := s.Command(ctx, "cmd_1")
	if err != nil || got.State != hub.CommandExpired {
		t.Fatalf("command %+v %v, want expired", got, err)
	}
}
