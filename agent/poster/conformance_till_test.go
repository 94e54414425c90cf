package poster_test

import (
	"testing"
	"time"

	"github.com/stolik/stolik/agent/poster"
	"github.com/stolik/stolik/agent/poster/postertest"
)

// The venue's staff changes for the conformance suite's cases on tables
// and bookings changed at the till.

func (v venue) AddTable(_ testing.TB, seats int) string {
	return v.f.AddTable(v.f.Tables()[0].HallID, seats)
}

func (v venue) RemoveTable(_ testing.TB, id string) { v.f.DeleteTable(id) }

func (v venue) CancelAtTill(t testing.TB, id string) {
	t.Helper()
	if err := v.f.SetReservationStatus(id, 7); err != nil {
		t.Fatal(err)
	}
}

func (v venue) MoveAtTill(t testing.TB, id string, at time.Time) {
	t.Helper()
	if err := v.f.MoveReservation(id, at); err != nil {
		t.Fatal(err)
	}
}

func (v venue) ExpireTokenAfter(t testing.TB, _ int) {
	t.Helper()
	t.Fatal("Poster tokens do not expire mid-sync; the harness should skip this")
}

// suiteConfig is config with the layout read on every snapshot: the suite
// expects a table added in the venue in the next snapshot, and the
// connector reads halls and tables at most every LayoutEvery (ten minutes
// by default).
func suiteConfig(tb testing.TB, f *postertest.Fake) poster.Config {
	cfg := config(tb, f)
	cfg.LayoutEvery = time.Nanosecond
	return cfg
}
