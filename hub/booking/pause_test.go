package booking_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

func TestPaused(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	ok := wire.ConnectorHealth{OK: true, LastSuccess: now.Add(-5 * time.Second)}
	failing := func(since time.Duration) wire.ConnectorHealth {
		return wire.ConnectorHealth{Error: "iiko: 401 Unauthorized",
			LastSuccess: now.Add(-since)}
	}
	for _, tc := range []struct {
		name      string
		mode      hub.Mode
		connected bool
		lastSeen  time.Duration // before now; 0: never
		health    wire.ConnectorHealth
		paused    bool
		reason    string
	}{
		{"connected and reading", hub.ModeAPI, true, time.Second, ok, false, ""},
		{"offline for a moment", hub.ModeAPI, false, 4 * time.Minute, ok, false, ""},
		{"offline too long", hub.ModeFile, false, 42 * time.Minute, ok, true,
			"offline for 42 minutes"},
		{"never connected", hub.ModeAPI, false, 0, wire.ConnectorHealth{}, true,
			"never connected"},
		{"RMS failing for a moment", hub.ModeAPI, true, time.Second, failing(time.Minute),
			false, ""},
		{"RMS failing too long", hub.ModeAPI, true, time.Second, failing(75 * time.Minute),
			true, "not been readable for 1 hour 15 minutes (iiko: 401 Unauthorized)"},
		{"RMS never read", hub.ModeAPI, true, time.Second, wire.ConnectorHealth{}, true,
			"not been read yet"},
		{"RMS healthy but stale", hub.ModeAPI, true, time.Second,
			wire.ConnectorHealth{OK: true, LastSuccess: now.Add(-time.Hour)}, true,
			"not been read for 1 hour"},
		{"manual venues never pause", hub.ModeManual, false, 0, wire.ConnectorHealth{}, false,
			""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen time.Time
			if tc.lastSeen > 0 {
				seen = now.Add(-tc.lastSeen)
			}
			paused, reason := booking.Paused(tc.mode, tc.connected, seen, tc.health,
				hub.Policy{}, now)
			if paused != tc.paused || !strings.Contains(reason, tc.reason) ||
				(tc.reason == "") != (reason == "") {
				t.Errorf("Paused = %v %q, want %v %q", paused, reason, tc.paused, tc.reason)
			}
		})
	}
}

func TestPredictFree(t *testing.T) {
	opened := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	p := hub.Policy{TurnTimes: []hub.TurnTime{{MaxParty: 2, Duration: minutes(60)},
		{MaxParty: 6, Duration: minutes(120)}}}
	for _, tc := range []struct {
		name    string
		guests  int
		learned time.Duration
		now     time.Time
		want    time.Time
	}{
		{"by the party's turn time", 4, 0, opened, opened.Add(2 * time.Hour)},
		{"unknown guests: one", 0, 0, opened, opened.Add(time.Hour)},
		{"learned median", 4, 95 * time.Minute, opened, opened.Add(95 * time.Minute)},
		{"overdue: one slot from now", 2, 0, opened.Add(3 * time.Hour),
			opened.Add(3*time.Hour + 15*time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := wire.Order{ID: "o", TableIDs: []string{"t1"}, OpenedAt: opened,
				Guests: tc.guests}
			if got := booking.PredictFree(o, p, tc.learned, tc.now); !got.Equal(tc.want) {
				t.Errorf("PredictFree = %s, want %s", got, tc.want)
			}
		})
	}

	got := booking.Occupancy([]wire.Order{{ID: "o1", TableIDs: []string{"t1", "t2"},
		OpenedAt: opened, Guests: 2}}, p, 0, opened)
	want := []hub.Block{
		{TableID: "t1", Start: opened, End: opened.Add(time.Hour), Kind: "occupancy", Ref: "o1"},
		{TableID: "t2", Start: opened, End: opened.Add(time.Hour), Kind: "occupancy", Ref: "o1"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Occupancy (-got +want):\n%s", diff)
	}
}

func TestLearnedTurnTime(t *testing.T) {
	m := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, x := range n {
			out = append(out, time.Duration(x)*time.Minute)
		}
		return out
	}
	for _, tc := range []struct {
		list []time.Duration
		min  int
		want time.Duration
		ok   bool
	}{
		{nil, 0, 0, false},
		{m(90, 30, 60), 5, 0, false},
		{m(90, 30, 60), 3, 60 * time.Minute, true},
		{m(90, 30, 60, 100), 3, 75 * time.Minute, true},
		{m(45), 0, 45 * time.Minute, true},
	} {
		in := append([]time.Duration(nil), tc.list...)
		got, ok := booking.LearnedTurnTime(tc.list, tc.min)
		if got != tc.want || ok != tc.ok {
			t.Errorf("LearnedTurnTime(%v, %d) = %s %v, want %s %v", tc.list, tc.min, got, ok,
				tc.want, tc.ok)
		}
		if !cmp.Equal(in, tc.list) {
			t.Errorf("the durations were changed: %v", tc.list)
		}
	}
}

func TestSeatings(t *testing.T) {
	at := time.Date(2026, 6, 10, 18, 0, 0, 0, time.UTC)
	got := booking.Seatings(
		[]hub.Booking{
			{ID: "b1", Start: at, Party: 2, State: hub.BookingConfirmed},
			{ID: "b2", Start: at, Party: 3, State: hub.BookingCancelled},
		},
		[]wire.Reservation{
			{ID: "r1", Start: at, Guests: 2, BookingID: "b1", Status: wire.ReservationNew},
			{ID: "r2", Start: at, Guests: 3, BookingID: "b2", Status: wire.ReservationNew},
			{ID: "r3", Start: at, Guests: 4, Status: wire.ReservationConfirmed},
			{ID: "r4", Start: at, Guests: 5, Status: wire.ReservationCancelled},
		})
	want := []booking.Seating{{Ref: "b1", Start: at, Party: 2},
		{Ref: "reservation/r2", Start: at, Party: 3}, {Ref: "reservation/r3", Start: at, Party: 4}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Seatings (-got +want):\n%s", diff)
	}
}
