package files_test

import (
	"testing"
	"time"
)

// The exporter's staff changes for the conformance suite's cases on tables
// and bookings changed at the till.

func (v venue) AddTable(t testing.TB, seats int) string {
	t.Helper()
	id, err := v.e.AddTable(seats)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v venue) RemoveTable(t testing.TB, id string) {
	t.Helper()
	if err := v.e.RemoveTable(id); err != nil {
		t.Fatal(err)
	}
}

func (v venue) CancelAtTill(t testing.TB, id string) {
	t.Helper()
	if err := v.e.CancelReservation(id); err != nil {
		t.Fatal(err)
	}
}

func (v venue) MoveAtTill(t testing.TB, id string, at time.Time) {
	t.Helper()
	if err := v.e.MoveReservation(id, at); err != nil {
		t.Fatal(err)
	}
}

func (v venue) ExpireTokenAfter(t testing.TB, _ int) {
	t.Helper()
	t.Fatal("file exchange has no token")
}
