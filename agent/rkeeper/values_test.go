package rkeeper

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"120", 2 * time.Hour},
		{" 90 ", 90 * time.Minute},
		{"02:00", 2 * time.Hour},
		{"2:00", 2 * time.Hour},
		{"1:30", 90 * time.Minute},
		{"2:00:00", 2 * time.Hour},
		{"02:15:30", 2*time.Hour + 15*time.Minute + 30*time.Second},
		{"1899-12-30T02:00:00", 2 * time.Hour},
		{"1899-12-30T01:30:00.000", 90 * time.Minute},
		{"1899-12-31T01:00:00", 25 * time.Hour},
		{"", 0},
	} {
		got, err := parseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"-5", "2h", "1:60", "1:5", "1:2:3:4", "abc", "99999",
		"1899-12-20T02:00:00", "2025-06-14T19:00:00"} {
		if d, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, d)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	d := 2*time.Hour + 30*time.Minute
	for format, want := range map[string]string{
		DurationAuto: "1899-12-30T02:30:00", DurationMinutes: "150", DurationHHMM: "02:30",
	} {
		if got := formatDuration(d, format); got != want {
			t.Errorf("formatDuration(%v, %s) = %q, want %q", d, format, got, want)
		}
	}
}

func TestParseHolder(t *testing.T) {
	for _, tc := range []struct{ in, name, phone string }{
		{"Анна Петрова +79161234567", "Анна Петрова", "+79161234567"},
		{"Анна Петрова +7 (916) 123-45-67", "Анна Петрова", "+7 (916) 123-45-67"},
		{"Иван 8 916 123-45-67", "Иван", "8 916 123-45-67"},
		{"Гость 2", "Гость 2", ""},
		{"+79161234567", "", "+79161234567"},
		{"Банкет 15 человек", "Банкет 15 человек", ""},
		{"", "", ""},
	} {
		name, phone := parseHolder(tc.in)
		if name != tc.name || phone != tc.phone {
			t.Errorf("parseHolder(%q) = %q, %q; want %q, %q", tc.in, name, phone,
				tc.name, tc.phone)
		}
	}
}

func TestGUIDs(t *testing.T) {
	id := normGUID(" {7B8C9D0E-1F2A-4B3C-8D4E-5F6A7B8C9D44} ")
	if id != "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d44" || !validGUID(id) {
		t.Errorf("normGUID = %q", id)
	}
	if b := braceGUID(id); b != "{7B8C9D0E-1F2A-4B3C-8D4E-5F6A7B8C9D44}" {
		t.Errorf("braceGUID = %q", b)
	}
	for _, bad := range []string{"", "7b8c9d0e", "{7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d44}",
		"7B8C9D0E-1F2A-4B3C-8D4E-5F6A7B8C9D44", "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9dzz"} {
		if validGUID(bad) {
			t.Errorf("validGUID(%q) = true", bad)
		}
	}
}
