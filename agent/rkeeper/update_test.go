package rkeeper_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/shared/wire"
)

// TestUpdateStart moves a reserve to a later start with UpdateOrder; a
// start over another reserve on its table is refused, a move to another
// table is unsupported, and neither changes the till.
func TestUpdateStart(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	table := f.Tables()[0].ID
	req := bookingFor(f, table, "bk-move")
	res, err := c.CreateReservation(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	held := func() wire.Reservation {
		t.Helper()
		for _, r := range f.Reservations() {
			if r.ID == res.ID {
				return r
			}
		}
		t.Fatalf("the till holds no reserve %s", res.ID)
		return wire.Reservation{}
	}

	later := req.Start.Add(90 * time.Minute)
	got, err := c.UpdateReservation(ctxT(t), wire.UpdateRequest{BookingID: "bk-move",
		Start: later, TableIDs: []string{table}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != res.ID || !got.Start.Equal(later) || got.Duration != req.Duration ||
		!slices.Equal(got.TableIDs, []string{table}) {
		t.Errorf("moved = %+v, want %s on %s at %v for %v", got, res.ID, table, later,
			req.Duration)
	}
	if h := held(); !h.Start.Equal(later) || h.Duration != req.Duration {
		t.Errorf("the till holds %+v after the move", h)
	}

	// A phone reserve on the table after it: a move onto it is refused.
	if _, err := f.AddReservation(wire.Reservation{TableIDs: []string{table},
		Start: later.Add(3 * time.Hour), Duration: wire.Duration(time.Hour), Guests: 2,
		Name: "Олег"}); err != nil {
		t.Fatal(err)
	}
	updates := f.Requests("UpdateOrder")
	_, err = c.UpdateReservation(ctxT(t), wire.UpdateRequest{ReservationID: res.ID,
		Start: later.Add(2 * time.Hour)})
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("move over a phone reserve = %v, want a refusal", err)
	}
	_, err = c.UpdateReservation(ctxT(t), wire.UpdateRequest{ReservationID: res.ID,
		TableIDs: []string{f.Tables()[1].ID}})
	if !errors.Is(err, agent.ErrUnsupported) || !strings.Contains(err.Error(), "at the till") {
		t.Errorf("move to another table = %v, want unsupported, saying what to do", err)
	}
	if n := f.Requests("UpdateOrder"); n != updates {
		t.Errorf("refused moves sent %d UpdateOrder", n-updates)
	}
	if h := held(); !h.Start.Equal(later) {
		t.Errorf("after refused moves the till holds %+v", h)
	}
	_, err = c.UpdateReservation(ctxT(t), wire.UpdateRequest{BookingID: "bk-never",
		Start: later})
	if !errors.Is(err, agent.ErrRefused) {
		t.Errorf("move of a booking never made = %v, want a refusal", err)
	}
}

// TestConformanceMove runs the suite's move case, which moves to another
// table: R-Keeper cannot (TestUpdateStart covers what it can).
func TestConformanceMove(t *testing.T) {
	connectortest.RunMove(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			f := startFake(t, rkeepertest.Options{})
			return connect(t, configFor(f)), venue{f}
		},
		Skip: map[string]string{connectortest.SkipMove: "an R-Keeper order keeps its " +
			"table; only its start and duration move (TestUpdateStart)"},
	})
}
