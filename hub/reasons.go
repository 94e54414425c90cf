package hub

import "strings"

// StaffReason is a reason staff may pick for declining or cancelling a
// booking (the dashboard offers them): Text is what the booking records
// and the audit log shows; Code names it in the message catalogues, so
// the guest reads it in their own language.
type StaffReason struct {
	Code, Text string
}

// StaffReasons are the reasons staff may pick, in the order offered.
var StaffReasons = []StaffReason{
	{"full", "Fully booked at that time"},
	{"closed", "Closed at that time"},
	{"party", "Party too large for our tables"},
	{"event", "Private event"},
	{"guest", "The guest asked to cancel"},
	{"unreachable", "Could not reach the guest"},
}

// SplitStaffReason splits a booking's reason into the code of the staff
// reason it starts with ("" when none) and the staff's own words after it:
// "Fully booked at that time: try Sunday" is ("full", "try Sunday");
// "called twice" is ("", "called twice").
func SplitStaffReason(reason string) (code, note string) {
	for _, r := range StaffReasons {
		if rest, ok := strings.CutPrefix(reason, r.Text); ok &&
			(rest == "" || strings.HasPrefix(rest, ": ")) {
			return r.Code, strings.TrimPrefix(rest, ": ")
		}
	}
	return "", reason
}
