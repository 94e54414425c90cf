package rkeeper_test

import (
	"testing"
	"time"

	"github.com/stolik/stolik/agent/rkeeper"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
)

// The venue's staff changes for the conformance suite's cases on tables
// and bookings changed at the till.

func (v venue) AddTable(_ testing.TB, seats int) string { return v.f.AddTable(seats) }

func (v venue) RemoveTable(t testing.TB, id string) {
	t.Helper()
	if err := v.f.RemoveTable(id); err != nil {
		t.Fatal(err)
	}
}

func (v venue) CancelAtTill(t testing.TB, id string) {
	t.Helper()
	if err := v.f.VoidReservation(id); err != nil {
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
	t.Fatal("the XML interface has no token; the harness should skip this")
}

// suiteConfig is configFor with reference versions checked on every
// snapshot: the suite expects a table added in the venue in the next
// snapshot, and the connector checks at most every RefCheck (a minute by
// default; TestRefDataCachedByVersion covers the interval).
func suiteConfig(f *rkeepertest.Fake) rkeeper.Config {
	cfg := configFor(f)
	cfg.RefCheck = time.Nanosecond
	return cfg
}
