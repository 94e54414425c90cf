package iiko

import (
	"fmt"
	"strings"
	"time"
)

// timeLayout is how iiko writes a local date and time:
// yyyy-MM-dd HH:mm:ss.fff.
const timeLayout = "2006-01-02 15:04:05.000"

// ParseTime reads an iiko date and time, written in the terminal's local
// time, as an instant in loc. The fraction of a second may be missing or of
// any length; a "T" between date and time is accepted too. A local time
// that a daylight-saving change skips or repeats is resolved the way the
// time package does (the offset in force before the change).
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	v := strings.TrimSpace(s)
	if len(v) > 10 && v[10] == 'T' {
		v = v[:10] + " " + v[11:]
	}
	// The time package accepts a fractional second after the seconds
	// field even when the layout has none.
	t, err := time.ParseInLocation("2006-01-02 15:04:05", v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not yyyy-MM-dd HH:mm:ss.fff", s)
	}
	return t, nil
}

// FormatTime writes t as iiko expects it: local time in loc, with
// milliseconds.
func FormatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(timeLayout)
}

// windowsZones maps the Windows time zone names an iiko terminal may
// report to IANA zones, for the zones of Russia and its neighbours.
var windowsZones = map[string]string{
	"Kaliningrad Standard Time":     "Europe/Kaliningrad",
	"Russian Standard Time":         "Europe/Moscow",
	"Belarus Standard Time":         "Europe/Minsk",
	"Volgograd Standard Time":       "Europe/Volgograd",
	"Astrakhan Standard Time":       "Europe/Astrakhan",
	"Saratov Standard Time":         "Europe/Saratov",
	"Russia Time Zone 3":            "Europe/Samara",
	"Ekaterinburg Standard Time":    "Asia/Yekaterinburg",
	"Omsk Standard Time":            "Asia/Omsk",
	"N. Central Asia Standard Time": "Asia/Novosibirsk",
	"Altai Standard Time":           "Asia/Barnaul",
	"Tomsk Standard Time":           "Asia/Tomsk",
	"North Asia Standard Time":      "Asia/Krasnoyarsk",
	"North Asia East Standard Time": "Asia/Irkutsk",
	"Transbaikal Standard Time":     "Asia/Chita",
	"Yakutsk Standard Time":         "Asia/Yakutsk",
	"Vladivostok Standard Time":     "Asia/Vladivostok",
	"Sakhalin Standard Time":        "Asia/Sakhalin",
	"Magadan Standard Time":         "Asia/Magadan",
	"Russia Time Zone 10":           "Asia/Srednekolymsk",
	"Russia Time Zone 11":           "Asia/Kamchatka",
	"Central Asia Standard Time":    "Asia/Almaty",
	"West Asia Standard Time":       "Asia/Tashkent",
	"Caucasus Standard Time":        "Asia/Yerevan",
	"Georgian Standard Time":        "Asia/Tbilisi",
	"Azerbaijan Standard Time":      "Asia/Baku",
	"FLE Standard Time":             "Europe/Kyiv",
	"UTC":                           "UTC",
}

// ZoneOf turns a terminal group's timeZone into a location. iiko documents
// the field loosely (a "date-span"); terminals have been seen to report an
// IANA name, a Windows zone name, or an offset such as "03:00:00" or
// "+03:00". An offset gives a fixed zone, which is right for Russia (no
// daylight saving) but not for a zone that has it: set time_zone then.
func ZoneOf(s string) (*time.Location, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return nil, fmt.Errorf("the terminal group reports no time zone")
	}
	if name, ok := windowsZones[v]; ok {
		v = name
	}
	if strings.Contains(v, "/") || v == "UTC" {
		if loc, err := time.LoadLocation(v); err == nil {
			return loc, nil
		}
	}
	if off, ok := parseOffset(v); ok {
		return time.FixedZone(offsetName(off), off), nil
	}
	return nil, fmt.Errorf("time zone %q is neither an IANA zone nor an offset", s)
}

// parseOffset reads [+-]HH:MM[:SS] into seconds east of UTC.
func parseOffset(v string) (int, bool) {
	sign := 1
	switch {
	case strings.HasPrefix(v, "-"):
		sign, v = -1, v[1:]
	case strings.HasPrefix(v, "+"):
		v = v[1:]
	}
	var h, m, s int
	n, err := fmt.Sscanf(v, "%d:%d:%d", &h, &m, &s)
	if err != nil && n < 2 {
		return 0, false
	}
	if h > 14 || m > 59 || s > 59 || h < 0 || m < 0 || s < 0 {
		return 0, false
	}
	return sign * (h*3600 + m*60 + s), true
}

func offsetName(off int) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off%3600/60)
}
