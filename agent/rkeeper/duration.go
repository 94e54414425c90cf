package rkeeper

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration formats for writing a reserve's length. The XSD types the
// duration attribute as a dateTime; its wire form is not documented.
// Reading accepts every form below whatever is configured.
const (
	// DurationAuto writes a Delphi time value, 1899-12-30T02:00:00, the
	// form the till's own answers show.
	DurationAuto = "auto"
	// DurationMinutes writes whole minutes: 120.
	DurationMinutes = "minutes"
	// DurationHHMM writes hours and minutes: 02:00.
	DurationHHMM = "hhmm"
)

// delphiZero is day zero of a Delphi TDateTime: a time of day written as a
// date-time falls on it.
var delphiZero = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// maxDuration bounds what is accepted as a reserve's length.
const maxDuration = 7 * 24 * time.Hour

// parseDuration reads a reserve's length in any of the forms seen for
// it: "120" (minutes), "02:00" or "2:00" (hours and minutes), "2:00:00"
// (with seconds) and "1899-12-30T02:00:00" (a Delphi time value; a later
// date adds whole days). An empty string is zero.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, ok := time.Duration(0), false
	switch {
	case strings.Contains(s, "T"):
		t, err := time.Parse(timeLayout, s)
		if err == nil {
			d, ok = t.Sub(delphiZero), true
		}
	case strings.Contains(s, ":"):
		d, ok = parseClock(s)
	default:
		if n, err := strconv.Atoi(s); err == nil {
			d, ok = time.Duration(n)*time.Minute, true
		}
	}
	if !ok || d < 0 || d > maxDuration {
		return 0, fmt.Errorf("duration %q: want minutes (120), hh:mm (02:00), "+
			"h:mm:ss (2:00:00) or 1899-12-30T02:00:00, at most 7 days", s)
	}
	return d, nil
}

// parseClock reads h:mm or h:mm:ss.
func parseClock(s string) (time.Duration, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || (i > 0 && (v > 59 || len(p) != 2)) {
			return 0, false
		}
		n[i] = v
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute +
		time.Duration(n[2])*time.Second, true
}

// formatDuration writes d in format, rounded to the minute.
func formatDuration(d time.Duration, format string) string {
	d = d.Round(time.Minute)
	switch format {
	case DurationMinutes:
		return strconv.Itoa(int(d / time.Minute))
	case DurationHHMM:
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return delphiZero.Add(d).Format(timeLayout)
}
