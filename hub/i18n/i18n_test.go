package i18n_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stolik/stolik/hub/i18n"
)

func TestLoadAndT(t *testing.T) {
	fsys := fstest.MapFS{
		"loc/en.yaml": {Data: []byte("hi: \"Hi {name}\"\nonly.en: \"x\"\n" +
			"date.format: \"{weekday} {day} {month}\"\nwd.5: Fri\nmon.12: Dec\n")},
		"loc/ru.yaml": {Data: []byte("hi: \"Привет, {name}\"\n" +
			"date.format: \"{weekday}, {day} {month}\"\nwd.5: пт\nmon.12: декабря\n")},
	}
	c, err := i18n.Load(fsys, "loc")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, key, want string }{
		{"ru", "hi", "Привет, Анна"},
		{"en", "hi", "Hi Анна"},
		{"ru", "only.en", "x"},       // falls back to English
		{"ru", "missing", "missing"}, // the key itself
	} {
		if got := c.T(tc.lang, tc.key, "name", "Анна"); got != tc.want {
			t.Errorf("T(%s, %s) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
	when := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	if got, want := c.When("ru", when), "пт, 4 декабря, 19:00"; got != want {
		t.Errorf("When(ru) = %q, want %q", got, want)
	}
	if err := c.Check(); err == nil || !strings.Contains(err.Error(),
		`ru.yaml: key "only.en" missing`) {
		t.Errorf("Check() = %v, want the key ru lacks", err)
	}
	if _, err := i18n.Load(fstest.MapFS{}, "loc"); err == nil {
		t.Error("Load of no files succeeded")
	}
}

func TestCheckPlaceholders(t *testing.T) {
	c := i18n.Catalog{"en": {"a": "Hi {name}"}, "ru": {"a": "Привет {guest}"}}
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), `key "a" has placeholders`) {
		t.Errorf("Check() = %v, want the placeholders that differ", err)
	}
}

func TestLang(t *testing.T) {
	for code, want := range map[string]string{"ru": "ru", "RU-ru": "ru", "uk-UA": "ru",
		"en-US": "en", "": "en", "de": "en", " kk ": "ru"} {
		if got := i18n.Lang(code); got != want {
			t.Errorf("Lang(%q) = %q, want %q", code, got, want)
		}
	}
}
