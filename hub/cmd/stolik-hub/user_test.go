package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// TestUserAddLang: --lang is stored with the account; a language the
// dashboard lacks is refused.
func TestUserAddLang(t *testing.T) {
	t.Setenv("STOLIK_DATA_DIR", t.TempDir())
	t.Setenv("STOLIK_DATABASE_URL", "")
	t.Setenv("STOLIK_USER_PASSWORD", "correct horse battery")
	ctx := context.Background()
	err := run(ctx, []string{"user", "add", "--email", "a@stolik.ru", "--role", "support",
		"--lang", "de"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--lang must be ru or en") {
		t.Fatalf("--lang de: %v, want it refused", err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"user", "add", "--email", "a@stolik.ru", "--role", "support",
		"--lang", "en"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "lang: en\n") {
		t.Errorf("output lacks the language:\n%s", out.String())
	}
	c, _, err := loadConfig("test", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.UserByEmail(ctx, "a@stolik.ru")
	if err != nil {
		t.Fatal(err)
	}
	if u.Lang != "en" {
		t.Errorf("stored lang = %q, want en", u.Lang)
	}
}
