package telegram

import (
	"strings"
	"testing"
	"time"
)

// TestCatalogComplete fails when a key is missing in one language or its
// placeholders differ between languages.
func TestCatalogComplete(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(); err != nil {
		t.Error(err)
	}
}

func TestCatalogCheckFindsGaps(t *testing.T) {
	c := Catalog{
		"en": {"a": "Hi {name}", "b": "x"},
		"ru": {"a": "Привет {guest}"},
	}
	err := c.Check()
	if err == nil {
		t.Fatal("Check found nothing wrong")
	}
	for _, want := range []string{`ru.yaml: key "b" missing`, `key "a" has placeholders`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v, want it to mention %q", err, want)
		}
	}
}

func TestCatalogText(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	got, want := c.T("ru", "party.ask", "venue", "Пушкин"), "Пушкин\nСколько будет гостей?"
	if got != want {
		t.Errorf("T = %q, want %q", got, want)
	}
	when := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	if got, want := c.When("ru", when), "пт, 4 декабря, 19:00"; got != want {
		t.Errorf("When(ru) = %q, want %q", got, want)
	}
	if got, want := c.When("en", when), "Fri 4 Dec, 19:00"; got != want {
		t.Errorf("When(en) = %q, want %q", got, want)
	}
	for code, want := range map[string]string{"ru": "ru", "uk-UA": "ru", "en-US": "en", "": "en",
		"de": "en"} {
		if got := Lang(code); got != want {
			t.Errorf("Lang(%q) = %q, want %q", code, got, want)
		}
	}
}
