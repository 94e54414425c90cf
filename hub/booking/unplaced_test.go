package booking_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

// A reservation taken at the till with no table (Poster's, when the
// connector cannot tell its table) holds the table Assign would give it,
// so the tables offered online leave room for it.
func TestHoldUnplaced(t *testing.T) {
	v := cafe(t, "Europe/Moscow")
	seven := at(v.Zone, 2026, 6, 10, 19, 0)
	placed := hub.Block{TableID: "t1", Start: seven, End: seven.Add(2 * time.Hour),
		Kind: hub.BlockReservation, Ref: "r-placed"}
	res := []wire.Reservation{
		{ID: "r-late", Start: seven.Add(30 * time.Minute), Guests: 4, Status: wire.ReservationNew},
		{ID: "r-two", Start: seven, Duration: minutes(90), Guests: 2,
			Status: wire.ReservationConfirmed},
		{ID: "r-gone", Start: seven, Duration: minutes(90), Guests: 2,
			Status: wire.ReservationCancelled},
		{ID: "r-placed", TableIDs: []string{"t1"}, Start: seven, Duration: minutes(120),
			Guests: 2, Status: wire.ReservationNew},
		{ID: "r-huge", Start: seven, Duration: minutes(120), Guests: 40,
			Status: wire.ReservationNew},
	}
	got := booking.HoldUnplaced(v, []hub.Block{placed}, res)
	want := []hub.Block{placed,
		// t1 is taken: the party of two gets the other 2-top.
		{TableID: "t2", Start: seven.UTC(), End: seven.Add(90 * time.Minute).UTC(),
			Kind: hub.BlockReservation, Ref: "r-two"},
		// No duration: the policy's turn time for four, 120 minutes.
		{TableID: "t3", Start: seven.Add(30 * time.Minute).UTC(),
			End: seven.Add(150 * time.Minute).UTC(), Kind: hub.BlockReservation, Ref: "r-late"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("blocks (-want +got):\n%s", d)
	}

	// The engine then offers a party of two at 19:00 neither 2-top.
	tables, _, ok := booking.Assign(v, got, 2, seven, seven.Add(105*time.Minute))
	if !ok || len(tables) != 1 || tables[0] != "t4" {
		t.Errorf("a party of two at 19:00 gets %v (ok %v), want t4: the 2-tops and "+
			"t3 are held", tables, ok)
	}
	if again := booking.HoldUnplaced(v, nil, nil); again != nil {
		t.Errorf("no reservations: %v, want the blocks as given", again)
	}
}
