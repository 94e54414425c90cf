package alert_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/alert"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/hub/schedule"
	"github.com/stolik/stolik/shared/wire"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// queue is a Notifier that delivers a key once, as the bot's send queue
// does, and counts every call.
type queue struct {
	mu        sync.Mutex
	delivered map[string]bool
	calls     int
}

func (q *queue) Notify(_ context.Context, key, _ string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	q.delivered[key] = true
	return nil
}

// replicas opens n stores on one fresh PostgreSQL database: n hub
// replicas. The first gets a venue and agents agents seen at t0.
func replicas(t *testing.T, n, agents int) []hub.Store {
	t.Helper()
	url := pgtest.URL(t)
	ctx := context.Background()
	var stores []hub.Store
	for range n {
		s, err := postgres.Open(ctx, postgres.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	s := stores[0]
	if err := s.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "V", TimeZone: "UTC",
		CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for i := range agents {
		if err := s.CreateAgent(ctx, hub.Agent{ID: agentID(i), VenueID: "ven_1",
			SecretHash: hub.HashSecret("s"), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateAgentStatus(ctx, agentID(i), hub.AgentStatus{LastSeen: t0,
			Health: wire.ConnectorHealth{OK: true}}); err != nil {
			t.Fatal(err)
		}
	}
	return stores
}

// TestReplicasRacingAlertOncePerIncident: two replicas checking at the
// same moment (as if a lease ran out mid-check) open each incident once,
// and deliver each alert once through a queue that drops repeated keys.
func TestReplicasRacingAlertOncePerIncident(t *testing.T) {
	const agents = 12
	stores := replicas(t, 2, agents)
	c := &clock{t: t0.Add(6 * time.Minute)}
	q := &queue{delivered: map[string]bool{}}
	var evals []*alert.Evaluator
	for _, s := range stores {
		evals = append(evals, alert.New(s, q, alert.Options{SummaryOver: 100, Now: c.now}))
	}

	for round := range 3 {
		var wg sync.WaitGroup
		for i, ev := range evals {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := ev.Evaluate(context.Background()); err != nil {
					t.Errorf("round %d, replica %d: %v", round, i, err)
				}
			}()
		}
		wg.Wait()
		c.set(c.now().Add(30 * time.Second))
	}

	if len(q.delivered) != agents {
		t.Errorf("%d alerts delivered (%d sends); want %d, one per agent",
			len(q.delivered), q.calls, agents)
	}
	for i := range agents {
		key := fmt.Sprintf("incident/inc_%s_offline_%d/open", agentID(i), t0.Unix())
		if !q.delivered[key] {
			t.Errorf("no alert %s", key)
		}
	}
	open, err := stores[1].OpenIncidents(context.Background())
	if err != nil || len(open) != agents {
		t.Errorf("%d open incidents, %v; want %d", len(open), err, agents)
	}
}

// TestJobOnOneReplica: both replicas schedule the check and run their job
// runners at every slot; each slot's check runs once.
func TestJobOnOneReplica(t *testing.T) {
	stores := replicas(t, 2, 1)
	ctx := context.Background()
	c := &clock{t: t0.Add(5 * time.Second)}
	q := &queue{delivered: map[string]bool{}}
	var runners []*schedule.Runner
	for _, s := range stores {
		ev := alert.New(s, q, alert.Options{Now: c.now, Interval: 30 * time.Second})
		if err := ev.Start(ctx); err != nil {
			t.Fatal(err)
		}
		r := schedule.New(s, schedule.Options{Now: c.now})
		r.Handle(alert.JobEvaluate, ev.Run)
		runners = append(runners, r)
	}

	for slot := 1; slot <= 14; slot++ {
		c.set(t0.Add(time.Duration(slot) * 30 * time.Second))
		var mu sync.Mutex
		ran := 0
		var wg sync.WaitGroup
		for _, r := range runners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := r.RunDue(ctx)
				if err != nil {
					t.Errorf("slot %d: %v", slot, err)
				}
				mu.Lock()
				ran += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if ran != 1 {
			t.Fatalf("slot %d: the check ran %d times; want once", slot, ran)
		}
	}
	if len(q.delivered) != 1 || q.calls != 1 {
		t.Errorf("%d alerts in %d sends; want 1 (offline from +5m)", len(q.delivered), q.calls)
	}
}
