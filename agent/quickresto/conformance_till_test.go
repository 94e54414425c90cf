package quickresto_test

import (
	"testing"
	"time"
)

// The venue's changes for the conformance suite's table case; Quick Resto
// has no reservations and no token, so the rest is skipped.

func (v venue) AddTable(_ testing.TB, seats int) string {
	return v.f.AddTable(v.f.Tables()[0].HallID, seats)
}

func (v venue) RemoveTable(_ testing.TB, id string) { v.f.DeleteTable(id) }

func (v venue) CancelAtTill(t testing.TB, _ string) {
	t.Helper()
	t.Fatal("quick resto has no reservations")
}

func (v venue) MoveAtTill(t testing.TB, _ string, _ time.Time) {
	t.Helper()
	t.Fatal("quick resto has no reservations")
}

func (v venue) ExpireTokenAfter(t testing.TB, _ int) {
	t.Helper()
	t.Fatal("quick resto has no token")
}
