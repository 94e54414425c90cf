package connectortest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// SkipMove is the Harness.Skip key of a connector that is not an
// agent.ReservationUpdater.
const SkipMove = "move"

// RunMove runs the optional cases of moving reservations
// (agent.ReservationUpdater) on the connectors h builds. They are skipped
// when h.Skip names SkipMove or SkipWrite.
func RunMove(t *testing.T, h Harness) {
	t.Run("Move", func(t *testing.T) {
		for _, n := range []string{SkipWrite, SkipMove} {
			if why, ok := h.Skip[n]; ok {
				t.Skipf("skipped: the venue does not simulate %q (%s)", n, why)
			}
		}
		c, v := h.New(t)
		testMove(t, c, v)
	})
}

func updater(t testing.TB, c agent.Connector) agent.ReservationUpdater {
	t.Helper()
	u, ok := c.(agent.ReservationUpdater)
	if !ok {
		t.Fatalf("%s is not an agent.ReservationUpdater; name %q in Harness.Skip",
			c.Kind(), SkipMove)
	}
	return u
}

func update(t testing.TB, u agent.ReservationUpdater, req wire.UpdateRequest) (wire.Reservation,
	error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return u.UpdateReservation(ctx, req)
}

// testMove writes a reservation, moves it to another table and time, and
// then asks to move it onto a table another reservation holds: the RMS
// refuses, and the reservation stays where it was.
func testMove(t *testing.T, c agent.Connector, v Venue) {
	w, u := writer(t, c), updater(t, c)
	tables := freeTables(t, snapshot(t, c), 2)
	req := request(tables[0], "bk-conformance-move")
	res, err := create(t, w, req)
	if err != nil {
		t.Fatalf("create: %v", err)
	}

	later := slot(3 * time.Hour)
	moved, err := update(t, u, wire.UpdateRequest{BookingID: req.BookingID,
		ReservationID: res.ID, Start: later, TableIDs: []string{tables[1]}})
	if err != nil {
		t.Fatalf("move: %v", err)
	}
	at := func(where string, r wire.Reservation, table string, start time.Time) {
		t.Helper()
		if r.ID != res.ID || !slices.Equal(r.TableIDs, []string{table}) ||
			!r.Start.Equal(start) || r.Duration != req.Duration {
			t.Errorf("%s: %s on %v at %v for %v, want %s on %s at %v for %v", where, r.ID,
				r.TableIDs, r.Start, r.Duration, res.ID, table, start, req.Duration)
		}
	}
	at("moved", moved, tables[1], later)
	got, ok := findReservation(snapshot(t, c), res.ID)
	if !ok {
		t.Fatalf("the moved reservation %s is not in the next snapshot", res.ID)
	}
	at("in the snapshot", got, tables[1], later)
	if n := live(v.Reservations(t), tables[1], later); n != 1 {
		t.Errorf("the RMS holds %d reservations on the new table at the new time, want 1", n)
	}
	if n := live(v.Reservations(t), tables[0], req.Start); n != 0 {
		t.Errorf("the RMS still holds %d reservations where it was, want 0", n)
	}

	// Another booking takes the first table at the new time; moving there
	// is refused.
	other := request(tables[0], "bk-conformance-move-other")
	other.Start = later
	if _, err := create(t, w, other); err != nil {
		t.Fatalf("create the other booking: %v", err)
	}
	_, err = update(t, u, wire.UpdateRequest{BookingID: req.BookingID, ReservationID: res.ID,
		TableIDs: []string{tables[0]}})
	if !errors.Is(err, agent.ErrRefused) {
		t.Errorf("move onto a reserved table: %v, want agent.ErrRefused", err)
	}
	got, ok = findReservation(snapshot(t, c), res.ID)
	if !ok {
		t.Fatalf("after a refused move reservation %s is not in the snapshot", res.ID)
	}
	at("after a refused move", got, tables[1], later)
}
