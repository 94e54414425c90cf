package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

func testApplyUpsertDelete(t *testing.T, s hub.Store) {
	v, a := setup(t, s)
	h1 := wire.Hall{ID: "h1", Name: "Main"}
	h2 := wire.Hall{ID: "h2", Name: "Terrace"}
	t1 := wire.Table{ID: "t01", HallID: "h1", Number: "1", Seats: 2,
		Position: &wire.Position{X: 1.5, Y: 2, W: 1, H: 1}}
	t2 := wire.Table{ID: "t02", HallID: "h1", Number: "2", Name: "by the window", Seats: 4}
	o1 := wire.Order{ID: "o1", TableIDs: []string{"t01"}, OpenedAt: t0.Add(time.Minute),
		Guests: 2, Status: "open"}
	r1 := reservation("r1", "Ivanova")
	r2 := reservation("r2", "Petrov")

	// Lists arrive out of id order; the mirror sorts them.
	apply(t, s, a.ID, []wire.Event{
		hallEvent(t, 1, h2), hallEvent(t, 2, h1),
		tableEvent(t, 3, t2), tableEvent(t, 4, t1),
		orderEvent(t, 5, o1),
		reservationEvent(t, 6, r2), reservationEvent(t, 7, r1),
	}, hub.ApplyResult{Seq: 7, Applied: 7})
	wantState(t, s, hub.VenueState{
		VenueID:      v.ID,
		Halls:        []wire.Hall{h1, h2},
		Tables:       []wire.Table{t1, t2},
		Orders:       []wire.Order{o1},
		Reservations: []wire.Reservation{r1, r2},
	})

	t1.Seats = 6
	h3 := wire.Hall{ID: "h3", Name: "Bar"}
	apply(t, s, a.ID, []wire.Event{
		tableEvent(t, 8, t1),
		remove(9, wire.EntityReservation, r2.ID),
		remove(10, wire.EntityOrder, o1.ID),
		// A gap in the sequence, as compaction leaves it.
		hallEvent(t, 12, h3),
		remove(13, wire.EntityTable, "t99"), // never existed: no effect
	}, hub.ApplyResult{Seq: 13, Applied: 5})
	wantState(t, s, hub.VenueState{
		VenueID:      v.ID,
		Halls:        []wire.Hall{h1, h2, h3},
		Tables:       []wire.Table{t1, t2},
		Reservations: []wire.Reservation{r1},
	})
	wantApplied(t, s, a.ID, 13, 12)
}

func testApplyDuplicate(t *testing.T, s hub.Store) {
	v, a := setup(t, s)
	events, list := reservations(t, 1, 10, "first")
	apply(t, s, a.ID, events, hub.ApplyResult{Seq: 10, Applied: 10})
	apply(t, s, a.ID, events, hub.ApplyResult{Seq: 10, Skipped: 10})
	apply(t, s, a.ID, nil, hub.ApplyResult{Seq: 10})
	wantApplied(t, s, a.ID, 10, 10)
	wantState(t, s, hub.VenueState{VenueID: v.ID, Reservations: list})
}

func testApplyPartialOverlap(t *testing.T, s hub.Store) {
	v, a := setup(t, s)
	first, list := reservations(t, 1, 10, "first")
	apply(t, s, a.ID, first, hub.ApplyResult{Seq: 10, Applied: 10})

	// 5..10 are resent with other content: they must not be applied again.
	second, more := reservations(t, 5, 15, "second")
	apply(t, s, a.ID, second, hub.ApplyResult{Seq: 15, Applied: 5, Skipped: 6})
	wantApplied(t, s, a.ID, 15, 15)
	wantState(t, s, hub.VenueState{VenueID: v.ID, Reservations: append(list, more[6:]...)})
}

func testApplyOutOfOrder(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	events, list := reservations(t, 1, 3, "first")
	apply(t, s, a.ID, events, hub.ApplyResult{Seq: 3, Applied: 3})

	ev := func(seq uint64) wire.Event {
		return reservationEvent(t, seq, reservation(rid(seq), "bad"))
	}
	tests := []struct {
		name  string
		batch []wire.Event
	}{
		{"swapped", []wire.Event{ev(4), ev(6), ev(5)}},
		{"repeated", []wire.Event{ev(4), ev(4)}},
		{"descending", []wire.Event{ev(5), ev(4)}},
		{"zero", []wire.Event{ev(0), ev(4)}},
		{"new then old", []wire.Event{ev(4), ev(5), ev(2)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.ApplyBatch(ctx, a.ID, tc.batch); !errors.Is(err, hub.ErrInvalid) {
				t.Fatalf("err = %v, want hub.ErrInvalid for a batch out of order", err)
			}
			wantApplied(t, s, a.ID, 3, 3)
			wantState(t, s, hub.VenueState{VenueID: v.ID, Reservations: list})
		})
	}

	// The agent can go on with a good batch.
	apply(t, s, a.ID, []wire.Event{ev(4)}, hub.ApplyResult{Seq: 4, Applied: 1})
}

func testApplyMalformed(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	h1 := wire.Hall{ID: "h1", Name: "Main"}
	apply(t, s, a.ID, []wire.Event{hallEvent(t, 1, h1)}, hub.ApplyResult{Seq: 1, Applied: 1})

	table := func(data string) wire.Event {
		return wire.Event{Seq: 3, Entity: wire.EntityTable, ID: "t01", Op: wire.OpUpsert,
			Data: json.RawMessage(data)}
	}
	good := tableEvent(t, 3, wire.Table{ID: "t01", HallID: "h1", Number: "1", Seats: 2})
	tests := []struct {
		name string
		bad  wire.Event
	}{
		{"invalid JSON", table(`{"id":"t01",`)},
		{"wrong shape", table(`{"id":"t01","seats":"many"}`)},
		{"other id", table(`{"id":"t02","seats":2}`)},
		{"no data", table(``)},
		{"no id", wire.Event{Seq: 3, Entity: wire.EntityTable, Op: wire.OpDelete}},
		{"unknown op", wire.Event{Seq: 3, Entity: wire.EntityTable, ID: "t01", Op: "merge",
			Data: good.Data}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The good event before the bad one must not be applied either.
			batch := []wire.Event{hallEvent(t, 2, wire.Hall{ID: "h2", Name: "Bar"}), tc.bad}
			if _, err := s.ApplyBatch(ctx, a.ID, batch); !errors.Is(err, hub.ErrInvalid) {
				t.Fatal("no error for a malformed event")
			}
			wantApplied(t, s, a.ID, 1, 1)
			wantState(t, s, hub.VenueState{VenueID: v.ID, Halls: []wire.Hall{h1}})
		})
	}
}

func testApplyUnknownEntity(t *testing.T, s hub.Store) {
	v, a := setup(t, s)
	h1 := wire.Hall{ID: "h1", Name: "Main"}
	apply(t, s, a.ID, []wire.Event{
		hallEvent(t, 1, h1),
		{Seq: 2, Entity: "waiter", ID: "w1", Op: wire.OpUpsert, Data: json.RawMessage(`{}`)},
		{Seq: 3, Entity: "waiter", ID: "w1", Op: "retire"},
	}, hub.ApplyResult{Seq: 3, Applied: 3})
	wantApplied(t, s, a.ID, 3, 3)
	wantState(t, s, hub.VenueState{VenueID: v.ID, Halls: []wire.Hall{h1}})
}

func testApplyRevoked(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	first, list := reservations(t, 1, 2, "first")
	apply(t, s, a.ID, first, hub.ApplyResult{Seq: 2, Applied: 2})
	wantErr(t, "revoke", s.RevokeAgent(ctx, a.ID, t0.Add(time.Hour)), nil)

	more, _ := reservations(t, 3, 4, "second")
	_, err := s.ApplyBatch(ctx, a.ID, more)
	wantErr(t, "apply batch of revoked agent", err, hub.ErrRevoked)
	wantApplied(t, s, a.ID, 2, 2)
	wantState(t, s, hub.VenueState{VenueID: v.ID, Reservations: list})
}

func testApplyUnknownAgent(t *testing.T, s hub.Store) {
	createVenue(t, s, "ven_1")
	events, _ := reservations(t, 1, 2, "first")
	_, err := s.ApplyBatch(context.Background(), "agt_missing", events)
	wantErr(t, "apply batch of unknown agent", err, hub.ErrNotFound)
}

func testVenueIsolation(t *testing.T, s hub.Store) {
	va, vb := createVenue(t, s, "ven_a"), createVenue(t, s, "ven_b")
	aa, ab := createAgent(t, s, "agt_a", va.ID), createAgent(t, s, "agt_b", vb.ID)

	// The same RMS ids in both venues, with different content.
	ta := wire.Table{ID: "t01", HallID: "h1", Number: "1", Seats: 2}
	tb := wire.Table{ID: "t01", HallID: "h1", Number: "1", Seats: 8}
	hall := wire.Hall{ID: "h1", Name: "Main"}
	apply(t, s, aa.ID, []wire.Event{hallEvent(t, 1, hall), tableEvent(t, 2, ta)},
		hub.ApplyResult{Seq: 2, Applied: 2})
	apply(t, s, ab.ID, []wire.Event{hallEvent(t, 1, hall), tableEvent(t, 2, tb)},
		hub.ApplyResult{Seq: 2, Applied: 2})
	apply(t, s, aa.ID, []wire.Event{remove(5, wire.EntityHall, "h1")},
		hub.ApplyResult{Seq: 5, Applied: 1})

	wantState(t, s, hub.VenueState{VenueID: va.ID, Tables: []wire.Table{ta}})
	wantState(t, s, hub.VenueState{
		VenueID: vb.ID, Halls: []wire.Hall{hall}, Tables: []wire.Table{tb},
	})
	wantApplied(t, s, aa.ID, 5, 3)
	wantApplied(t, s, ab.ID, 2, 2)
}

// testResetMirror: an agent whose outbox went back (a wiped data directory)
// starts its venue's mirror afresh from the sequence it still has.
func testResetMirror(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	events, _ := reservations(t, 1, 10, "old")
	apply(t, s, a.ID, events, hub.ApplyResult{Seq: 10, Applied: 10})

	if err := s.ResetMirror(ctx, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	wantState(t, s, hub.VenueState{VenueID: v.ID})
	again, list := reservations(t, 1, 3, "new")
	apply(t, s, a.ID, again, hub.ApplyResult{Seq: 3, Applied: 3})
	wantApplied(t, s, a.ID, 3, 13)
	wantState(t, s, hub.VenueState{VenueID: v.ID, Reservations: list})

	if err := s.ResetMirror(ctx, "agt_nobody", 0); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("reset of an unknown agent: %v, want ErrNotFound", err)
	}
}
