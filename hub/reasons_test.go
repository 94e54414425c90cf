package hub_test

import (
	"testing"

	"github.com/stolik/stolik/hub"
)

func TestSplitStaffReason(t *testing.T) {
	for _, tc := range []struct{ in, code, note string }{
		{"Fully booked at that time", "full", ""},
		{"Fully booked at that time: try Sunday", "full", "try Sunday"},
		{"Private event: банкет до 23:00", "event", "банкет до 23:00"},
		{"called twice, no answer", "", "called twice, no answer"},
		{"Fully booked at that timeX", "", "Fully booked at that timeX"},
		{"", "", ""},
	} {
		code, note := hub.SplitStaffReason(tc.in)
		if code != tc.code || note != tc.note {
			t.Errorf("%q: (%q, %q), want (%q, %q)", tc.in, code, note, tc.code, tc.note)
		}
	}
}
