package telegram

import (
	"testing"

	"github.com/stolik/stolik/hub"
)

// A reason staff picked on the dashboard reaches the guest in the guest's
// language, with staff's own words after it as written; every reason the
// dashboard offers has its text in both languages.
func TestGuestReason(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	b := &Bot{cat: cat}
	for _, tc := range []struct{ lang, reason, want string }{
		{"ru", "Fully booked at that time: позвоните завтра",
			"На это время всё занято: позвоните завтра"},
		{"en", "Private event", "A private event"},
		{"ru", "банкет", "банкет"},
	} {
		if got := b.guestReason(tc.lang, tc.reason); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.lang, tc.reason, got, tc.want)
		}
	}
	for _, lang := range Languages {
		for _, r := range hub.StaffReasons {
			if _, ok := cat[lang]["staffreason."+r.Code]; !ok {
				t.Errorf("locales/%s.yaml lacks staffreason.%s (%q)", lang, r.Code, r.Text)
			}
		}
	}
}
