package booking_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
)

// night is a venue open from 22:00 to 04:00 on the given weekday, with a
// one-hour turn time and 15-minute slots.
func night(t testing.TB, zone string, day time.Weekday, open, close string) booking.Venue {
	t.Helper()
	v := cafe(t, zone)
	v.Policy.Services = []hub.Service{{Weekday: day, Open: open, Close: close}}
	v.Policy.TurnTimes = []hub.TurnTime{{MaxParty: 99, Duration: minutes(60)}}
	v.Policy.Buffer = 0
	return v
}

// utcEvery lists instants from first to last, every 15 minutes.
func utcEvery(first, last time.Time) []time.Time {
	var out []time.Time
	for t := first; !t.After(last); t = t.Add(15 * time.Minute) {
		out = append(out, t)
	}
	return out
}

func starts(slots []booking.Slot) []time.Time {
	out := make([]time.Time, len(slots))
	for i, s := range slots {
		out[i] = s.Start
	}
	return out
}

func TestDST(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, time.UTC)
	}
	for _, tc := range []struct {
		name        string
		zone        string
		day         booking.Date
		open, close string
		// want: the starts in UTC, every 15 minutes from first to last.
		first, last time.Time
		// local times that must not be offered (the clocks skip them).
		skipped []string
		// twice: local times offered twice, as the clocks repeat them.
		twice []string
	}{
		{
			name: "Berlin spring forward in the night", zone: "Europe/Berlin",
			day: booking.Date{Year: 2026, Month: 3, Day: 28}, open: "22:00", close: "04:00",
			// 22:00 CET is 21:00Z; 04:00 CEST is 02:00Z; last start an hour before.
			first: utc(2026, 3, 28, 21, 0), last: utc(2026, 3, 29, 1, 0),
			skipped: []string{"02:00", "02:15", "02:30", "02:45"},
		},
		{
			name: "Berlin fall back in the night", zone: "Europe/Berlin",
			day: booking.Date{Year: 2026, Month: 10, Day: 24}, open: "22:00", close: "04:00",
			first: utc(2026, 10, 24, 20, 0), last: utc(2026, 10, 25, 2, 0),
			twice: []string{"02:00", "02:15", "02:30", "02:45"},
		},
		{
			name: "Berlin opening in the skipped hour opens when the clocks jump",
			zone: "Europe/Berlin", day: booking.Date{Year: 2026, Month: 3, Day: 29},
			open: "02:30", close: "06:00",
			first: utc(2026, 3, 29, 1, 0), last: utc(2026, 3, 29, 3, 0),
		},
		{
			name: "Berlin opening in the repeated hour opens at its first occurrence",
			zone: "Europe/Berlin", day: booking.Date{Year: 2026, Month: 10, Day: 25},
			open: "02:30", close: "05:00",
			first: utc(2026, 10, 25, 0, 30), last: utc(2026, 10, 25, 3, 0),
		},
		{
			name: "Berlin lunch on the spring-forward day", zone: "Europe/Berlin",
			day: booking.Date{Year: 2026, Month: 3, Day: 29}, open: "12:00", close: "15:00",
			first: utc(2026, 3, 29, 10, 0), last: utc(2026, 3, 29, 12, 0),
		},
		{
			name: "New York fall back", zone: "America/New_York",
			day: booking.Date{Year: 2026, Month: 10, Day: 31}, open: "20:00", close: "03:00",
			// 20:00 EDT is 00:00Z; 03:00 EST is 08:00Z.
			first: utc(2026, 11, 1, 0, 0), last: utc(2026, 11, 1, 7, 0),
			twice: []string{"01:00", "01:15", "01:30", "01:45"},
		},
		{
			name: "New York spring forward", zone: "America/New_York",
			day: booking.Date{Year: 2026, Month: 3, Day: 7}, open: "20:00", close: "03:00",
			first: utc(2026, 3, 8, 1, 0), last: utc(2026, 3, 8, 6, 0),
			skipped: []string{"02:00", "02:15", "02:30", "02:45"},
		},
		{
			name: "Santiago: midnight does not exist", zone: "America/Santiago",
			day: booking.Date{Year: 2026, Month: 9, Day: 6}, open: "00:00", close: "03:00",
			// The clocks go from 00:00 -04 to 01:00 -03, at 04:00Z.
			first: utc(2026, 9, 6, 4, 0), last: utc(2026, 9, 6, 5, 0),
		},
		{
			name: "Moscow 2014: clocks back from +4 to +3", zone: "Europe/Moscow",
			day: booking.Date{Year: 2014, Month: 10, Day: 25}, open: "22:00", close: "04:00",
			first: utc(2014, 10, 25, 18, 0), last: utc(2014, 10, 26, 0, 0),
			twice: []string{"01:00", "01:15", "01:30", "01:45"},
		},
		{
			name: "Novosibirsk 2016: clocks forward from +6 to +7", zone: "Asia/Novosibirsk",
			day: booking.Date{Year: 2016, Month: 7, Day: 23}, open: "22:00", close: "04:00",
			first: utc(2016, 7, 23, 16, 0), last: utc(2016, 7, 23, 20, 0),
			skipped: []string{"02:00", "02:15", "02:30", "02:45"},
		},
		{
			name: "Volgograd 2020: clocks back from +4 to +3", zone: "Europe/Volgograd",
			day: booking.Date{Year: 2020, Month: 12, Day: 26}, open: "22:00", close: "04:00",
			first: utc(2020, 12, 26, 18, 0), last: utc(2020, 12, 27, 0, 0),
			twice: []string{"01:00", "01:15", "01:30", "01:45"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := night(t, tc.zone, tc.day.Weekday(), tc.open, tc.close)
			now := tc.day.Start(v.Zone).Add(-7 * 24 * time.Hour)
			slots, err := booking.Availability(v, booking.Book{},
				booking.Query{Date: tc.day, Party: 2, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(starts(slots), utcEvery(tc.first, tc.last)); diff != "" {
				t.Errorf("starts (-got +want):\n%s", diff)
			}
			seen := map[string]int{}
			for _, l := range localStarts(slots, v.Zone) {
				seen[l]++
			}
			for _, l := range tc.skipped {
				if seen[l] > 0 {
					t.Errorf("%s offered, but the clocks skip it", l)
				}
			}
			for _, l := range tc.twice {
				if seen[l] != 2 {
					t.Errorf("%s offered %d times, want twice (once before, once after "+
						"the clocks go back)", l, seen[l])
				}
			}
			for _, s := range slots {
				if err := booking.Check(v, booking.Book{}, booked("b", s, 2), now); err != nil {
					t.Errorf("offered %s fails Check: %v", s.Start, err)
				}
			}
		})
	}
}

// TestRussianZones runs an ordinary day in each of Russia's zones: the
// first start is noon local, whatever the offset, and the local date is
// the zone's, not UTC's.
func TestRussianZones(t *testing.T) {
	day := booking.Date{Year: 2026, Month: 6, Day: 10}
	for _, tc := range []struct {
		zone   string
		offset int // hours east of UTC
	}{
		{"Europe/Kaliningrad", 2}, {"Europe/Moscow", 3}, {"Europe/Samara", 4},
		{"Asia/Yekaterinburg", 5}, {"Asia/Omsk", 6}, {"Asia/Novosibirsk", 7},
		{"Asia/Krasnoyarsk", 7}, {"Asia/Irkutsk", 8}, {"Asia/Yakutsk", 9},
		{"Asia/Vladivostok", 10}, {"Asia/Magadan", 11}, {"Asia/Srednekolymsk", 11},
		{"Asia/Kamchatka", 12}, {"Asia/Anadyr", 12},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			v := cafe(t, tc.zone)
			// 02:00 local on June 10: June 9 in UTC for zones east of +2.
			now := time.Date(2026, 6, 10, 2-tc.offset, 0, 0, 0, time.UTC)
			slots, err := booking.Availability(v, booking.Book{},
				booking.Query{Date: day, Party: 2, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			first := time.Date(2026, 6, 10, 12-tc.offset, 0, 0, 0, time.UTC)
			if diff := cmp.Diff(starts(slots), utcEvery(first,
				first.Add(9*time.Hour+30*time.Minute))); diff != "" {
				t.Errorf("starts (-got +want):\n%s", diff)
			}
			if _, err := booking.Availability(v, booking.Book{},
				booking.Query{Date: day.AddDays(-1), Party: 2, Now: now}); err == nil {
				t.Errorf("June 9 is over locally, yet bookable")
			}
		})
	}
}
