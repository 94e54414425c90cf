package booking

import (
	"fmt"
	"strconv"
	"time"
)

// Date is a calendar date in a venue's own time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date that instant t falls on in zone.
func DateOf(t time.Time, zone *time.Location) Date {
	y, m, d := t.In(zone).Date()
	return Date{y, m, d}
}

// ParseDate reads a date written 2026-12-31.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t, time.UTC), nil
}

// String writes the date as 2026-12-31.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// AddDays returns the date n days later (earlier when n is negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC), time.UTC)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Weekday()
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return d.utc().Compare(e.utc())
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Start returns the first instant of d in zone: local midnight, or the
// moment the clocks skip to when midnight does not exist that day.
func (d Date) Start(zone *time.Location) time.Time { return localTime(d, 0, zone) }

// localTime returns the instant at which the wall clock in zone shows the
// given minutes after midnight of date d (minutes may exceed a day). A wall
// time the clocks skip maps to the moment they skip to; one that happens
// twice maps to its first occurrence. time.Date alone leaves both choices
// unspecified.
func localTime(d Date, minutes int, zone *time.Location) time.Time {
	h, m := minutes/60, minutes%60
	t := time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, zone)
	want := time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, time.UTC).Unix()
	switch got := wallUnix(t); {
	case got > want:
		// t lies after a gap in the wall clock: the gap ends where t's
		// zone period starts.
		start, _ := t.ZoneBounds()
		return start
	case got < want:
		// t lies before the gap, which starts where t's period ends.
		_, end := t.ZoneBounds()
		return end
	}

	// The wall time exists; if the clocks went back at the start of t's
	// period, it may have happened once before, in the previous period.
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t
	}
	_, prev := start.Add(-time.Nanosecond).Zone()
	_, cur := t.Zone()
	if prev > cur {
		if e := t.Add(-time.Duration(prev-cur) * time.Second); e.Before(start) {
			return e
		}
	}
	return t
}

// wallUnix returns the wall-clock reading of t as seconds since the epoch,
// as if the wall clock were UTC.
func wallUnix(t time.Time) int64 {
	_, off := t.Zone()
	return t.Unix() + int64(off)
}

// parseClock reads a wall-clock time written 12:00 (or 24:00) as minutes
// after midnight.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("time %q: want HH:MM such as 12:00", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m > 0 {
		return 0, fmt.Errorf("time %q: want HH:MM such as 12:00", s)
	}
	return h*60 + m, nil
}
