package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// testUnplacedReservations: a venue's reservations without tables that are
// not cancelled and overlap the range, by start then id; one without a
// duration lasts the policy's turn time for its guests; reservations with
// tables, of another venue, cancelled or out of range are not listed.
func testUnplacedReservations(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	v.Policy = hub.Policy{TurnTimes: []hub.TurnTime{{MaxParty: 10,
		Duration: wire.Duration(90 * time.Minute)}}}
	wantErr(t, "update venue", s.UpdateVenue(ctx, v), nil)
	createVenue(t, s, "ven_2")
	createAgent(t, s, "agt_2", "ven_2")

	res := func(id string, at time.Duration, d time.Duration, st wire.ReservationStatus,
		tables ...string) wire.Reservation {
		if tables == nil {
			tables = []string{}
		}
		return wire.Reservation{ID: id, TableIDs: tables, Start: t0.Add(at),
			Duration: wire.Duration(d), Guests: 3, Status: st, Name: "Гость"}
	}
	h := time.Hour
	list := []wire.Reservation{
		res("r-b", 2*h, 2*h, wire.ReservationNew),
		res("r-a", 2*h, 2*h, wire.ReservationConfirmed),
		res("r-turn", -h, 0, wire.ReservationNew), // turn time 90 min: until 0:30
		res("r-table", 2*h, 2*h, wire.ReservationNew, "t01"),
		res("r-gone", 2*h, 2*h, wire.ReservationCancelled),
		res("r-late", 5*h, h, wire.ReservationNew),
		res("r-early", -3*h, h, wire.ReservationNew),
	}
	var events []wire.Event
	for i, r := range list {
		events = append(events, upsert(t, uint64(i+1), wire.EntityReservation, r.ID, r))
	}
	apply(t, s, a.ID, events, hub.ApplyResult{Seq: uint64(len(events)), Applied: len(events)})
	apply(t, s, "agt_2", []wire.Event{upsert(t, 1, wire.EntityReservation, "r-other",
		res("r-other", 2*h, 2*h, wire.ReservationNew))}, hub.ApplyResult{Seq: 1, Applied: 1})

	got, err := s.UnplacedReservations(ctx, v.ID, t0, t0.Add(4*h))
	wantErr(t, "unplaced reservations", err, nil)
	want := []wire.Reservation{
		{ID: "r-turn", TableIDs: []string{}, Start: t0.Add(-h).UTC(), Guests: 3,
			Status: wire.ReservationNew},
		{ID: "r-a", TableIDs: []string{}, Start: t0.Add(2 * h).UTC(),
			Duration: wire.Duration(2 * h), Guests: 3, Status: wire.ReservationConfirmed},
		{ID: "r-b", TableIDs: []string{}, Start: t0.Add(2 * h).UTC(),
			Duration: wire.Duration(2 * h), Guests: 3, Status: wire.ReservationNew},
	}
	diff(t, "unplaced reservations", got, want)

	got, err = s.UnplacedReservations(ctx, "ven_missing", t0, t0.Add(4*h))
	if err == nil && len(got) != 0 {
		t.Errorf("an unknown venue's unplaced reservations = %v", got)
	}
}
