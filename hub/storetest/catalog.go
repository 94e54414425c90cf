package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

func testVenueCRUD(t *testing.T, s hub.Store) {
	ctx := context.Background()
	b := createVenue(t, s, "ven_b")
	a := createVenue(t, s, "ven_a")

	got, err := s.Venue(ctx, b.ID)
	wantErr(t, "get venue", err, nil)
	diff(t, "venue", got, b)

	list, err := s.Venues(ctx)
	wantErr(t, "list venues", err, nil)
	slices.SortFunc(list, func(x, y hub.Venue) int { return strings.Compare(x.ID, y.ID) })
	diff(t, "venues", list, []hub.Venue{a, b})

	dup := b
	dup.Name = "Impostor"
	wantErr(t, "create venue twice", s.CreateVenue(ctx, dup), hub.ErrExists)
	got, err = s.Venue(ctx, b.ID)
	wantErr(t, "get venue after duplicate", err, nil)
	diff(t, "venue after duplicate", got, b)

	_, err = s.Venue(ctx, "ven_missing")
	wantErr(t, "get unknown venue", err, hub.ErrNotFound)
	_, err = s.VenueState(ctx, "ven_missing")
	wantErr(t, "state of unknown venue", err, hub.ErrNotFound)
	wantState(t, s, hub.VenueState{VenueID: a.ID})
}

func testAgentLifecycle(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createVenue(t, s, "ven_1")
	b := createAgent(t, s, "agt_b", v.ID)
	a := createAgent(t, s, "agt_a", v.ID)
	diff(t, "agent", getAgent(t, s, b.ID), b)

	list, err := s.Agents(ctx)
	wantErr(t, "list agents", err, nil)
	diff(t, "agents, ordered by id", list, []hub.Agent{a, b})

	dup := b
	dup.CreatedAt = t0.Add(5 * time.Hour)
	wantErr(t, "create agent twice", s.CreateAgent(ctx, dup), hub.ErrExists)
	diff(t, "agent after duplicate", getAgent(t, s, b.ID), b)

	st := hub.AgentStatus{
		Version:      "1.2.3",
		OS:           "windows/amd64",
		Connector:    "iiko",
		Capabilities: []string{"reservations", "tables"},
		LastSeen:     t0.Add(time.Hour),
		Backlog:      7,
		Health: wire.ConnectorHealth{
			OK: false, Error: "RMS refused the login", LastSuccess: t0.Add(30 * time.Minute),
		},
		Counters: wire.Counters{Stored: 10, Sent: 9, Acked: 3, Compacted: 1},
		Replica:  "hub-2",
	}
	wantErr(t, "update status", s.UpdateAgentStatus(ctx, a.ID, st), nil)
	a.Status = st
	diff(t, "agent after status", getAgent(t, s, a.ID), a)

	first, second := t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	wantErr(t, "revoke", s.RevokeAgent(ctx, a.ID, first), nil)
	wantErr(t, "revoke again", s.RevokeAgent(ctx, a.ID, second), nil)
	a.RevokedAt = &first
	diff(t, "revoked agent keeps the first time", getAgent(t, s, a.ID), a)
	diff(t, "other agent", getAgent(t, s, b.ID), b)

	_, err = s.Agent(ctx, "agt_missing")
	wantErr(t, "get unknown agent", err, hub.ErrNotFound)
	wantErr(t, "revoke unknown agent", s.RevokeAgent(ctx, "agt_missing", first),
		hub.ErrNotFound)
	wantErr(t, "status of unknown agent", s.UpdateAgentStatus(ctx, "agt_missing", st),
		hub.ErrNotFound)
}

func testAgentUnknownVenue(t *testing.T, s hub.Store) {
	ctx := context.Background()
	a := hub.Agent{ID: "agt_1", VenueID: "ven_missing", CreatedAt: t0}
	wantErr(t, "create agent of unknown venue", s.CreateAgent(ctx, a), hub.ErrNotFound)
	_, err := s.Agent(ctx, a.ID)
	wantErr(t, "get agent that was refused", err, hub.ErrNotFound)
}

func testEmptyIDs(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	events := []wire.Event{hallEvent(t, 1, wire.Hall{ID: "h1", Name: "Main"})}

	tests := []struct {
		name string
		call func() error
	}{
		{"CreateVenue", func() error { return s.CreateVenue(ctx, hub.Venue{Name: "x"}) }},
		{"CreateAgent/id", func() error {
			return s.CreateAgent(ctx, hub.Agent{VenueID: v.ID})
		}},
		{"CreateAgent/venue", func() error { return s.CreateAgent(ctx, hub.Agent{ID: "agt_x"}) }},
		{"ApplyBatch", func() error {
			_, err := s.ApplyBatch(ctx, "", events)
			return err
		}},
		{"EnqueueCommand/id", func() error {
			return s.EnqueueCommand(ctx, hub.Command{AgentID: a.ID, Kind: wire.CommandResync})
		}},
		{"EnqueueCommand/agent", func() error {
			return s.EnqueueCommand(ctx, hub.Command{ID: "cmd_x", Kind: wire.CommandResync})
		}},
		{"FinishCommand/agent", func() error {
			return s.FinishCommand(ctx, "", wire.Result{CommandID: "cmd_x", OK: true})
		}},
		{"FinishCommand/command", func() error {
			return s.FinishCommand(ctx, a.ID, wire.Result{OK: true})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil {
				t.Fatal("no error for an empty id")
			}
		})
	}

	venues, err := s.Venues(ctx)
	wantErr(t, "list venues", err, nil)
	diff(t, "venues", venues, []hub.Venue{v})
	agents, err := s.Agents(ctx)
	wantErr(t, "list agents", err, nil)
	diff(t, "agents", agents, []hub.Agent{a})
	pending, err := s.PendingCommands(ctx, a.ID)
	wantErr(t, "pending commands", err, nil)
	diff(t, "pending commands", pending, nil)
	wantApplied(t, s, a.ID, 0, 0)
}
