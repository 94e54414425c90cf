package web

import (
	"strings"
	"unicode/utf8"

	"github.com/stolik/stolik/hub"
)

// staffReasons are the texts of hub.StaffReasons: the reasons the venue
// page offers for declining or cancelling a booking; the guest is told the
// one chosen, in their language. Staff may add words of their own
// (maxReasonNote runes).
var staffReasons = func() []string {
	list := make([]string, len(hub.StaffReasons))
	for i, r := range hub.StaffReasons {
		list[i] = r.Text
	}
	return list
}()

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
