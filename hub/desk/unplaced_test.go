package desk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/shared/wire"
)

// A reservation taken at the till that names no table (Poster's, when
// the connector cannot tell its table) holds one: the two-top goes to it,
// a guest online gets the four-top, and a second guest finds the slot
// taken, though no block names either table.
func TestTillReservationWithoutTableHoldsOne(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	e.send(wire.EntityReservation, "r-till", wire.Reservation{ID: "r-till", Start: start,
		Duration: wire.Duration(2 * time.Hour), Guests: 2, Name: "Гость",
		Status: wire.ReservationConfirmed})

	b := e.hold("g1")
	if len(b.TableIDs) != 1 || b.TableIDs[0] != "t2" {
		t.Fatalf("first guest got %v, want t2: t1 is held for the till's reservation",
			b.TableIDs)
	}
	_, err := e.desk.Hold(e.ctx, desk.Request{VenueID: "v1", Start: start, Party: 2,
		GuestID: "g2", Name: "Boris", Channel: "api"})
	var te *desk.TakenError
	if !errors.As(err, &te) {
		t.Fatalf("second guest: %v, want the slot taken", err)
	}

	// Cancelled at the till: the table is free again.
	e.send(wire.EntityReservation, "r-till", wire.Reservation{ID: "r-till", Start: start,
		Duration: wire.Duration(2 * time.Hour), Guests: 2, Status: wire.ReservationCancelled})
	if b := e.hold("g2"); len(b.TableIDs) != 1 || b.TableIDs[0] != "t1" {
		t.Errorf("after the till cancelled: %v, want t1", b.TableIDs)
	}
}
