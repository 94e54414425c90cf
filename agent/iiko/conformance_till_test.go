package iiko_test

import (
	"testing"
	"time"

	"github.com/stolik/stolik/agent/iiko"
	"github.com/stolik/stolik/agent/iiko/iikotest"
)

// The venue's staff changes for the conformance suite's cases on tables,
// bookings changed at the till and tokens ending mid-sync.

func (v venue) AddTable(t testing.TB, seats int) string {
	return v.f.AddTable(90+len(v.f.Tables()), seats)
}
func (v venue) RemoveTable(t testing.TB, id string)              { v.f.DeleteTable(id) }
func (v venue) CancelAtTill(t testing.TB, id string)             { v.f.CancelReservation(id) }
func (v venue) MoveAtTill(t testing.TB, id string, at time.Time) { v.f.MoveReservation(id, at) }
func (v venue) ExpireTokenAfter(t testing.TB, n int)             { v.f.ExpireTokensAt(n) }

// suiteConfig is config with tables read on every snapshot: the suite
// expects a table added in the venue in the next snapshot, and the
// connector reads tables at most every SectionsEvery (a minute by
// default; TestTablesByRevision covers the interval).
func suiteConfig(f *iikotest.Fake) iiko.Config {
	cfg := config(f)
	cfg.SectionsEvery = time.Nanosecond
	return cfg
}
