package connectortest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// This file holds the cases where the venue changes under the connector
// the way staff change it: tables added and removed in the back office,
// phone bookings cancelled or moved at the till, and a token that ends in
// the middle of a sync.

func findTable(st agent.State, id string) (wire.Table, bool) {
	for _, tb := range st.Tables {
		if tb.ID == id {
			return tb, true
		}
	}
	return wire.Table{}, false
}

func tableIDs(st agent.State) []string {
	var ids []string
	for _, tb := range st.Tables {
		ids = append(ids, tb.ID)
	}
	slices.Sort(ids)
	return ids
}

func testTablesChange(t *testing.T, c agent.Connector, v Venue) {
	before := snapshot(t, c)

	id := v.AddTable(t, 5)
	added := snapshot(t, c)
	tb, ok := findTable(added, id)
	if !ok {
		t.Fatalf("the table %s added in the venue is not in the next snapshot (tables %v)",
			id, tableIDs(added))
	}
	if tb.Seats != 5 {
		t.Errorf("the added table %s has %d seats, want 5", id, tb.Seats)
	}
	if !slices.ContainsFunc(added.Halls, func(h wire.Hall) bool { return h.ID == tb.HallID }) {
		t.Errorf("the added table %s is in hall %q, which the snapshot does not have",
			id, tb.HallID)
	}
	if got, want := len(added.Tables), len(before.Tables)+1; got != want {
		t.Errorf("after a table was added the snapshot has %d tables, want %d", got, want)
	}

	v.RemoveTable(t, id)
	removed := snapshot(t, c)
	if _, ok := findTable(removed, id); ok {
		t.Errorf("the table %s removed from the venue is still in the next snapshot", id)
	}
	if diff := cmp.Diff(before.Tables, removed.Tables); diff != "" {
		t.Errorf("after a table was added and removed the tables differ from the first "+
			"snapshot's (-first +last):\n%s", diff)
	}
}

// staffBooking records a phone booking at the till and returns it with its
// id, after checking the connector sees it.
func staffBooking(t *testing.T, c agent.Connector, v Venue) wire.Reservation {
	t.Helper()
	table := freeTables(t, snapshot(t, c), 1)[0]
	r := wire.Reservation{
		TableIDs: []string{table}, Start: slot(3 * time.Hour),
		Duration: wire.Duration(90 * time.Minute), Guests: 3,
		Name: "Ольга Кузнецова", Phone: "+79035556677",
	}
	r.ID = v.AddReservation(t, r)
	if _, ok := findReservation(snapshot(t, c), r.ID); !ok {
		t.Fatalf("the phone reservation %s is not in the next snapshot", r.ID)
	}
	return r
}

func testStaffCancelled(t *testing.T, c agent.Connector, v Venue, shows string) {
	r := staffBooking(t, c, v)

	v.CancelAtTill(t, r.ID)
	got, ok := findReservation(snapshot(t, c), r.ID)
	switch {
	case ok && got.Status != wire.ReservationCancelled:
		t.Fatalf("the reservation %s cancelled at the till is in the snapshot as %q",
			r.ID, got.Status)
	case ok && shows == CancelledGone:
		t.Errorf("the reservation %s cancelled at the till is in the snapshot as cancelled; "+
			"the harness says the connector leaves it out", r.ID)
	case !ok && shows == CancelledShown:
		t.Errorf("the reservation %s cancelled at the till left the snapshot; the harness "+
			"says the connector shows it as cancelled", r.ID)
	}
	// The table is free again for the hub's planner.
	for _, x := range snapshot(t, c).Reservations {
		if x.Status != wire.ReservationCancelled && slices.Contains(x.TableIDs, r.TableIDs[0]) &&
			x.Start.Equal(r.Start) {
			t.Errorf("table %s still holds a live reservation (%s) at %v after the cancel",
				r.TableIDs[0], x.ID, r.Start)
		}
	}
}

func testStaffMoved(t *testing.T, c agent.Connector, v Venue) {
	r := staffBooking(t, c, v)

	later := r.Start.Add(time.Hour)
	v.MoveAtTill(t, r.ID, later)
	got, ok := findReservation(snapshot(t, c), r.ID)
	if !ok {
		t.Fatalf("the reservation %s moved at the till left the snapshot", r.ID)
	}
	if !got.Start.Equal(later) {
		t.Errorf("the reservation %s moved at the till to %v starts at %v in the snapshot",
			r.ID, later, got.Start.UTC())
	}
	if got.Status == wire.ReservationCancelled {
		t.Errorf("the reservation %s moved at the till is cancelled in the snapshot", r.ID)
	}
	if !slices.Equal(got.TableIDs, r.TableIDs) || got.Guests != r.Guests ||
		got.Duration != r.Duration {
		t.Errorf("moved reservation = %+v, want tables %v for %v, %d guests",
			got, r.TableIDs, r.Duration, r.Guests)
	}
}

// testTokenMidSync makes the token end after the first few requests of a
// snapshot: the connector gets a new one and finishes the same snapshot.
func testTokenMidSync(t *testing.T, c agent.Connector, v Venue) {
	before, _ := snapshot(t, c).Items()
	for n := 2; n <= 5; n++ {
		v.ExpireTokenAfter(t, n)
		// The n-th request may fall in the first snapshot or the next.
		for range 2 {
			after, _ := snapshot(t, c).Items()
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("with the token ending at the %d-th request, the snapshot differs "+
					"(-before +after):\n%s", n, diff)
			}
		}
	}
}
