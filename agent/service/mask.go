package service

import (
	"regexp"
	"strings"
)

// phoneRun is a run that may be a phone number: an optional "+", then
// digits with the spaces, dashes and brackets people write between them.
var phoneRun = regexp.MustCompile(`\+?\d[\d \-()]{5,}\d`)

// isoDate starts a date such as 2025-06-14, which is no phone.
var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)

// maskPhones hides phone numbers in an RMS's error text before it is
// logged or sent to the hub as a booking's reason: iiko, for one, echoes
// the number it refused. A run of seven digits or more keeps only its last
// two ("***67"). Runs inside words and ids (next to a letter), times
// (followed by ":") and dates are left as they are.
func maskPhones(s string) string {
	locs := phoneRun.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		run := s[l[0]:l[1]]
		if !phoneLike(s, l[0], l[1]) {
			continue
		}
		digits := 0
		for _, r := range run {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits < 7 {
			continue
		}
		b.WriteString(s[last:l[0]])
		b.WriteString("***" + run[len(run)-2:])
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// phoneLike tells a phone from a part of an id, a time or a date.
func phoneLike(s string, from, to int) bool {
	word := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	}
	if from > 0 && (word(s[from-1]) || s[from-1] == '-') {
		return false
	}
	if to < len(s) && (word(s[to]) || s[to] == ':' || s[to] == '-') {
		return false
	}
	return !isoDate.MatchString(s[from:to])
}
