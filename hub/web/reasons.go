package web

import (
	"strings"
	"unicode/utf8"
)

// staffReasons are the reasons the venue page offers for declining or
// cancelling a booking; the guest is told the one chosen. Staff may add
// words of their own (maxReasonNote runes).
var staffReasons = []string{
	"Fully booked at that time",
	"Closed at that time",
	"Party too large for our tables",
	"Private event",
	"The guest asked to cancel",
	"Could not reach the guest",
}

const maxReasonNote = 200

// staffReason joins the reason chosen (one of staffReasons; anything else
// is ignored) and the staff's note into what the desk records and the
// guest is told: "Fully booked at that time: try Sunday", or either part
// alone, or "" when staff gave neither.
func staffReason(chosen, note string) string {
	chosen = strings.TrimSpace(chosen)
	known := false
	for _, r := range staffReasons {
		known = known || r == chosen
	}
	if !known {
		chosen = ""
	}
	note = strings.Join(strings.Fields(note), " ")
	if utf8.RuneCountInString(note) > maxReasonNote {
		note = string([]rune(note)[:maxReasonNote]) + "…"
	}
	switch {
	case chosen == "":
		return note
	case note == "":
		return chosen
	}
	return chosen + ": " + note
}
