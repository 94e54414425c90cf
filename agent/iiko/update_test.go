package iiko_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

// held returns the fake's reserve id as iiko holds it.
func held(t *testing.T, f *iikotest.Fake, id string) wire.Reservation {
	t.Helper()
	for _, r := range f.Reservations() {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("iiko holds no reserve %s", id)
	return wire.Reservation{}
}

func TestUpdateReservation(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	tables := f.Tables()
	ctx := context.Background()
	res, err := c.CreateReservation(ctx, request(tables[0], "bk_up"))
	if err != nil {
		t.Fatal(err)
	}
	snap(t, c) // details cached

	// By booking id alone, tables and start at once.
	later := res.Start.Add(45 * time.Minute)
	got, err := c.UpdateReservation(ctx, wire.UpdateRequest{BookingID: "bk_up",
		Start: later, TableIDs: []string{tables[2]}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != res.ID || got.BookingID != "bk_up" || !slices.Equal(got.TableIDs,
		[]string{tables[2]}) || !got.Start.Equal(later) || got.Duration != res.Duration {
		t.Errorf("moved = %+v, want %s on %s at %v for %v", got, res.ID, tables[2], later,
			res.Duration)
	}
	if h := held(t, f, res.ID); !slices.Equal(h.TableIDs, []string{tables[2]}) ||
		!h.Start.Equal(later) {
		t.Errorf("iiko holds %+v after the move", h)
	}
	if r, ok := find(snap(t, c), res.ID); !ok || !r.Start.Equal(later) {
		t.Errorf("the next snapshot shows %+v, want the moved reserve", r)
	}

	// Asking for what it is already calls nothing that changes it.
	before := f.Counts()
	if _, err := c.UpdateReservation(ctx, wire.UpdateRequest{ReservationID: res.ID,
		Start: later, TableIDs: []string{tables[2]}}); err != nil {
		t.Fatal(err)
	}
	after := f.Counts()
	for _, call := range []string{"reserve/change_tables", "reserve/change_estimated_start_time"} {
		if after[call] != before[call] {
			t.Errorf("a move to where it is called %s", call)
		}
	}
}

func TestUpdateReservationRefused(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	tables := f.Tables()
	ctx := context.Background()
	res, err := c.CreateReservation(ctx, request(tables[0], "bk_r"))
	if err != nil {
		t.Fatal(err)
	}
	// Another guest on table 2, two hours after.
	other := f.AddReservation(wire.Reservation{TableIDs: []string{tables[1]},
		Start: res.Start.Add(2 * time.Hour), Duration: wire.Duration(2 * time.Hour),
		Guests: 2, Name: "Пётр", Phone: "+79990001122"})

	// Table 2 at the other guest's time: taken.
	_, err = c.UpdateReservation(ctx, wire.UpdateRequest{BookingID: "bk_r",
		TableIDs: []string{tables[1]}, Start: res.Start.Add(2 * time.Hour)})
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "did not move") ||
		!strings.Contains(err.Error(), "already reserved") {
		t.Errorf("move onto a reserved table: %v, want a refusal saying so", err)
	}
	// The tables were changed first, then moved back when the start was
	// refused: the reserve is as it was.
	if h := held(t, f, res.ID); !slices.Equal(h.TableIDs, []string{tables[0]}) ||
		!h.Start.Equal(res.Start) {
		t.Errorf("after a refused move iiko holds %+v, want it unchanged", h)
	}
	if n := f.Counts()["reserve/change_tables"]; n != 2 {
		t.Errorf("%d change_tables calls, want the move and the move back", n)
	}

	// An unknown table: refused.
	_, err = c.UpdateReservation(ctx, wire.UpdateRequest{BookingID: "bk_r",
		TableIDs: []string{"00000000-0000-4000-8000-00000000dead"}})
	if !errors.Is(err, agent.ErrRefused) {
		t.Errorf("move to an unknown table: %v, want a refusal", err)
	}

	// Seated guests: refused before any change, in staff's words.
	f.Lock(other)
	before := f.Counts()["reserve/change_estimated_start_time"]
	_, err = c.UpdateReservation(ctx, wire.UpdateRequest{ReservationID: other,
		Start: res.Start.Add(3 * time.Hour)})
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "already seated") {
		t.Errorf("move of a seated reserve: %v, want a refusal saying the guests are seated", err)
	}
	if f.Counts()["reserve/change_estimated_start_time"] != before {
		t.Error("a seated reserve was asked to move")
	}

	// Cancelled, and never written: refused.
	if err := c.CancelReservation(ctx, wire.CancelRequest{BookingID: "bk_r"}); err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]wire.UpdateRequest{
		"cancelled": {BookingID: "bk_r", Start: res.Start.Add(time.Hour)},
		"unknown":   {BookingID: "bk_never", Start: res.Start.Add(time.Hour)},
	} {
		if _, err := c.UpdateReservation(ctx, req); !errors.Is(err, agent.ErrRefused) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	// A request with nothing to change is bad, not refused.
	if _, err := c.UpdateReservation(ctx, wire.UpdateRequest{BookingID: "bk_r"}); !errors.Is(err,
		agent.ErrBadRequest) {
		t.Errorf("empty move: %v, want ErrBadRequest", err)
	}
}
