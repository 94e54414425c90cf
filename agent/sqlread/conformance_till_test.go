package sqlread_test

import (
	"context"
	"testing"
	"time"
)

// The vendor's changes for the conformance suite's cases on tables and
// bookings changed at the till.

func (v *venue) AddTable(t testing.TB, seats int) string {
	t.Helper()
	id, err := v.v.AddDesk(context.Background(), seats)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v *venue) RemoveTable(t testing.TB, id string) {
	t.Helper()
	if err := v.v.RemoveDesk(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

func (v *venue) CancelAtTill(t testing.TB, id string) {
	t.Helper()
	if err := v.v.CancelReservation(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

func (v *venue) MoveAtTill(t testing.TB, id string, at time.Time) {
	t.Helper()
	if err := v.v.MoveReservation(context.Background(), id, at); err != nil {
		t.Fatal(err)
	}
}

func (v *venue) ExpireTokenAfter(t testing.TB, _ int) { t.Fatal("not simulated") }
