package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

func incident(id, agentID string, kind hub.IncidentKind, opened time.Time) hub.Incident {
	return hub.Incident{ID: id, AgentID: agentID, VenueID: "ven_1", Kind: kind,
		Since: opened.Add(-5 * time.Minute), OpenedAt: opened, Detail: "no answer"}
}

// testIncidents: an incident is stored and replaced by id; an agent has at
// most one unresolved incident of a kind, and may open a new one once the
// old is resolved; OpenIncidents and AgentIncidents list in their orders.
func testIncidents(t *testing.T, s hub.Store) {
	ctx := context.Background()
	if got, err := s.OpenIncidents(ctx); err != nil || len(got) != 0 {
		t.Fatalf("open incidents of an empty store = %v, %v; want none", got, err)
	}
	_, err := s.Incident(ctx, "inc_x")
	wantErr(t, "unknown incident", err, hub.ErrNotFound)

	off := incident("inc_1", "agt_b", hub.IncidentOffline, t0)
	sick := incident("inc_2", "agt_b", hub.IncidentUnhealthy, t0.Add(time.Minute))
	other := incident("inc_3", "agt_a", hub.IncidentOffline, t0.Add(2*time.Minute))
	for _, in := range []hub.Incident{off, sick, other} {
		wantErr(t, "put "+in.ID, s.PutIncident(ctx, in), nil)
	}
	got, err := s.Incident(ctx, off.ID)
	wantErr(t, "incident", err, nil)
	diff(t, "incident", got, off)

	again := incident("inc_4", "agt_b", hub.IncidentOffline, t0.Add(3*time.Minute))
	wantErr(t, "second open incident of a kind", s.PutIncident(ctx, again), hub.ErrExists)
	if _, err := s.Incident(ctx, again.ID); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a refused incident was stored (err %v)", err)
	}
	open, err := s.OpenIncidents(ctx)
	wantErr(t, "open incidents", err, nil)
	diff(t, "open incidents", open, []hub.Incident{other, off, sick})

	// Clearing keeps it open; resolving frees the kind for a new one.
	off.ClearedAt = t0.Add(10 * time.Minute)
	wantErr(t, "clear", s.PutIncident(ctx, off), nil)
	got, _ = s.Incident(ctx, off.ID)
	diff(t, "cleared incident", got, off)
	off.ResolvedAt = t0.Add(20 * time.Minute)
	wantErr(t, "resolve", s.PutIncident(ctx, off), nil)
	wantErr(t, "new incident after the old resolved", s.PutIncident(ctx, again), nil)
	open, _ = s.OpenIncidents(ctx)
	diff(t, "open incidents after resolving", open, []hub.Incident{other, again, sick})

	// Reopening the resolved one now collides with the new one.
	reopen := off
	reopen.ResolvedAt = time.Time{}
	wantErr(t, "reopen while another is open", s.PutIncident(ctx, reopen), hub.ErrExists)
	got, _ = s.Incident(ctx, off.ID)
	diff(t, "incident after a refused reopen", got, off)

	hist, err := s.AgentIncidents(ctx, "agt_b", 0)
	wantErr(t, "agent incidents", err, nil)
	diff(t, "agent incidents", hist, []hub.Incident{again, sick, off})
	hist, _ = s.AgentIncidents(ctx, "agt_b", 2)
	diff(t, "agent incidents, limit 2", hist, []hub.Incident{again, sick})
	if hist, err := s.AgentIncidents(ctx, "agt_x", 0); err != nil || len(hist) != 0 {
		t.Errorf("incidents of an unknown agent = %v, %v; want none", hist, err)
	}

	for name, bad := range map[string]hub.Incident{
		"no id":      {AgentID: "agt_a", Kind: hub.IncidentOffline, OpenedAt: t0},
		"no agent":   {ID: "inc_9", Kind: hub.IncidentOffline, OpenedAt: t0},
		"bad kind":   {ID: "inc_9", AgentID: "agt_a", Kind: "sad", OpenedAt: t0},
		"not opened": {ID: "inc_9", AgentID: "agt_a", Kind: hub.IncidentOffline},
	} {
		wantErr(t, "put incident with "+name, s.PutIncident(ctx, bad), hub.ErrInvalid)
	}
	// A store that keeps any text may take a NUL byte; one that cannot
	// refuses it with ErrInvalid.
	nul := incident("inc_9", "agt_z", hub.IncidentOffline, t0)
	nul.Detail = "a\x00b"
	if err := s.PutIncident(ctx, nul); err != nil && !errors.Is(err, hub.ErrInvalid) {
		t.Errorf("put incident with a NUL byte: %v; want nil or ErrInvalid", err)
	}
}

// testIncidentsRace: replicas racing to open an agent's incident of one
// kind, each under its own id: exactly one wins, the others get ErrExists.
func testIncidentsRace(t *testing.T, s hub.Store) {
	ctx := context.Background()
	const racers = 8
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := incident(fmt.Sprintf("inc_%d", i), "agt_1", hub.IncidentOffline, t0)
			errs[i] = s.PutIncident(ctx, in)
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, hub.ErrExists):
			t.Errorf("racer %d: %v; want nil or ErrExists", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d racers opened an incident; want exactly 1", won)
	}
	if open, err := s.OpenIncidents(ctx); err != nil || len(open) != 1 {
		t.Errorf("open incidents = %v, %v; want one", open, err)
	}
}
