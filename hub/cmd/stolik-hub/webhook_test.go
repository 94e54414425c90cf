package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stolik/stolik/hub/web"
)

func TestWebhookCommand(t *testing.T) {
	t.Setenv("STOLIK_DATA_DIR", t.TempDir())
	t.Setenv("STOLIK_DATABASE_URL", "")
	ctx := context.Background()
	err := run(ctx, []string{"webhook", "--venue", "Пушкин"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "webhook_secret") {
		t.Fatalf("without a secret: %v, want a hint about webhook_secret", err)
	}

	const secret = "0123456789abcdef0123456789abcdef"
	t.Setenv("STOLIK_WEBHOOK_SECRET", secret)
	var out bytes.Buffer
	err = run(ctx, []string{"agent", "add", "--venue", "Пушкин"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	venueID := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "venue_id: "); ok {
			venueID = v
		}
	}
	out.Reset()
	if err := run(ctx, []string{"webhook", "--venue", "Пушкин"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"path: /hooks/iiko/" + venueID,
		"auth_token: " + web.WebhookToken(secret, venueID)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	err = run(ctx, []string{"webhook", "--venue", "Нет такого"}, io.Discard, io.Discard)
	if err == nil {
		t.Error("an unknown venue was accepted")
	}
}
