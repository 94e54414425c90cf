package iiko_test

import (
	"testing"
	"time"

	"github.com/stolik/stolik/agent/iiko"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseTime(t *testing.T) {
	moscow, berlin := zone(t, "Europe/Moscow"), zone(t, "Europe/Berlin")
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"2025-06-14 19:00:00.000", moscow, time.Date(2025, 6, 14, 16, 0, 0, 0, time.UTC)},
		{"2025-01-14 19:00:00.000", moscow, time.Date(2025, 1, 14, 16, 0, 0, 0, time.UTC)},
		{"2025-06-14 19:00:00", moscow, time.Date(2025, 6, 14, 16, 0, 0, 0, time.UTC)},
		{"2025-06-14 12:41:07.25", moscow, time.Date(2025, 6, 14, 9, 41, 7, 250e6, time.UTC)},
		{"2025-06-14T19:00:00.123456", moscow,
			time.Date(2025, 6, 14, 16, 0, 0, 123456e3, time.UTC)},
		// Berlin: summer time (UTC+2) and winter time (UTC+1).
		{"2025-06-14 19:00:00.000", berlin, time.Date(2025, 6, 14, 17, 0, 0, 0, time.UTC)},
		{"2025-12-14 19:00:00.000", berlin, time.Date(2025, 12, 14, 18, 0, 0, 0, time.UTC)},
		// The night the clocks go forward, either side of the gap.
		{"2025-03-30 01:30:00.000", berlin, time.Date(2025, 3, 30, 0, 30, 0, 0, time.UTC)},
		{"2025-03-30 03:30:00.000", berlin, time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		got, err := iiko.ParseTime(tc.in, tc.loc)
		if err != nil {
			t.Errorf("ParseTime(%q, %s): %v", tc.in, tc.loc, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q, %s) = %v, want %v", tc.in, tc.loc, got.UTC(), tc.want)
		}
	}
	for _, bad := range []string{"", "2025-06-14", "14.06.2025 19:00", "2025-06-14 25:00:00"} {
		if _, err := iiko.ParseTime(bad, moscow); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func TestFormatTime(t *testing.T) {
	at := time.Date(2025, 6, 14, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		zone, want string
	}{
		{"Europe/Moscow", "2025-06-14 19:00:00.000"},
		{"Europe/Kaliningrad", "2025-06-14 18:00:00.000"},
		{"Europe/Berlin", "2025-06-14 18:00:00.000"},
		{"Asia/Vladivostok", "2025-06-15 02:00:00.000"},
	} {
		if got := iiko.FormatTime(at, zone(t, tc.zone)); got != tc.want {
			t.Errorf("FormatTime in %s = %q, want %q", tc.zone, got, tc.want)
		}
	}
	winter := time.Date(2025, 12, 14, 16, 0, 0, 0, time.UTC)
	if got := iiko.FormatTime(winter, zone(t, "Europe/Berlin")); got != "2025-12-14 17:00:00.000" {
		t.Errorf("FormatTime in Berlin winter = %q", got)
	}
}

func TestZoneOf(t *testing.T) {
	at := time.Date(2025, 6, 14, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want string // FormatTime of at
	}{
		{"Europe/Moscow", "2025-06-14 19:00:00.000"},
		{"Russian Standard Time", "2025-06-14 19:00:00.000"},
		{"Ekaterinburg Standard Time", "2025-06-14 21:00:00.000"},
		{"03:00:00", "2025-06-14 19:00:00.000"},
		{"+07:00", "2025-06-14 23:00:00.000"},
		{"-03:30", "2025-06-14 12:30:00.000"},
	} {
		loc, err := iiko.ZoneOf(tc.in)
		if err != nil {
			t.Errorf("ZoneOf(%q): %v", tc.in, err)
			continue
		}
		if got := iiko.FormatTime(at, loc); got != tc.want {
			t.Errorf("ZoneOf(%q): 16:00 UTC is %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "Moscow", "Mars/Olympus", "25:00"} {
		if _, err := iiko.ZoneOf(bad); err == nil {
			t.Errorf("ZoneOf(%q) accepted", bad)
		}
	}
}
