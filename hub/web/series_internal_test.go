package web

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/hub"
)

// TestSeries: changes per minute are differences of the cumulative count
// (a reset counts 0), minutes without a sample are -1, and a new
// connection start between samples is a reconnect.
func TestSeries(t *testing.T) {
	from := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c1, c2 := from.Add(-time.Hour), from.Add(3*time.Minute)
	at := func(m int, applied, backlog uint64, since time.Time) hub.AgentSample {
		return hub.AgentSample{Minute: from.Add(time.Duration(m) * time.Minute),
			AppliedEvents: applied, Backlog: backlog, Connected: !since.IsZero(),
			ConnectedSince: since}
	}
	got := series([]hub.AgentSample{
		at(-1, 100, 0, c1), at(0, 130, 5, c1), at(1, 130, 0, c1),
		at(2, 0, 7, time.Time{}), at(3, 10, 1, c2), at(5, 50, 0, c2),
	}, from, 6)
	want := Series{Changes: []int64{30, 0, 0, 10, -1, 40}, Backlog: []int64{5, 0, 7, 1, -1, 0},
		Reconnects: 1, From: from}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
	if svg := chart(got, texts("en")); len(svg) == 0 {
		t.Error("empty chart")
	}
}
