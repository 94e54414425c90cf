package telegram

import (
	"strings"
	"testing"
)

func TestParseCallback(t *testing.T) {
	for _, tc := range []struct {
		data string
		want callback
		ok   bool
	}{
		{"p:ab12cd34:4", callback{cbParty, "ab12cd34", "4"}, true},
		{"c:bkg_0123456789", callback{cbCancel, "bkg_0123456789", ""}, true},
		{"my:", callback{cbMy, "", ""}, true},
		{"-:", callback{cbNoop, "", ""}, true},
		{"", callback{}, false},
		{"zz:1:2", callback{}, false},
		{"p:tok", callback{}, false},
		{"c:", callback{}, false},
		{"t:a:b:c", callback{}, false},
		{"c:" + strings.Repeat("x", 63), callback{}, false},
	} {
		got, err := parseCallback(tc.data)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseCallback(%q) = %+v, %v; want %+v, ok %v", tc.data, got, err,
				tc.want, tc.ok)
		}
	}
	// What the bot makes fits Telegram's 64 bytes.
	long := data(cbAlt, "bkg_0123456789", "1796400000")
	if len(long) > maxCallbackData {
		t.Errorf("%q is longer than %d bytes", long, maxCallbackData)
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+7 900 123-45-67":  "+79001234567",
		"8 (900) 123-45-67": "+79001234567",
		"9001234567":        "+79001234567",
		"79001234567":       "+79001234567",
		"+44 20 7946 0958":  "+442079460958",
		"12345":             "",
		"+7 900 ABC":        "",
		"0123456789":        "",
		"+1234567890123456": "",
		"7 900 123 45 67 +": "",
	} {
		got, ok := NormalizePhone(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
