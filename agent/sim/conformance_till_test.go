package sim_test

import (
	"testing"
	"time"
)

// The model changes only with its clock: the suite's staff changes are
// skipped.

func (s simVenue) AddTable(t testing.TB, _ int) string {
	s.unsupported(t)
	return ""
}
func (s simVenue) RemoveTable(t testing.TB, _ string)             { s.unsupported(t) }
func (s simVenue) CancelAtTill(t testing.TB, _ string)            { s.unsupported(t) }
func (s simVenue) MoveAtTill(t testing.TB, _ string, _ time.Time) { s.unsupported(t) }
func (s simVenue) ExpireTokenAfter(t testing.TB, _ int)           { s.unsupported(t) }
