package rkeeper

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseLocal: a time that reads is written back and read again to the
// same instant (whole seconds, as the till keeps them), and one that does
// not read says what form it wants.
func FuzzParseLocal(f *testing.F) {
	for _, s := range []string{"2025-06-14T19:00:00", " 2025-06-14T19:00:00 ",
		"2025-03-30T02:30:00", "2025-06-14T19:00:00+03:00", "2025-06-14 19:00", "", "вчера"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseLocal(s, loc)
		if err != nil {
			if !strings.Contains(err.Error(), "2025-06-14T19:00:00") {
				t.Fatalf("error %q does not say what form is wanted", err)
			}
			return
		}
		back, err := parseLocal(formatLocal(tm, loc), loc)
		if err != nil {
			t.Fatalf("%q read as %v, written as %q, which does not read: %v", s, tm,
				formatLocal(tm, loc), err)
		}
		if !back.Equal(tm.Truncate(time.Second)) && tm.Year() >= 1 && tm.Year() <= 9999 {
			t.Fatalf("%q read as %v, back as %v", s, tm, back)
		}
	})
}
