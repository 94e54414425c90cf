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
	token := web.WebhookToken(secret, venueID)
	for _, want := range []string{"path: /hooks/iiko/" + venueID, "auth_token: " + token,
		"Webhook URL:  https://<the hub's public address>/hooks/iiko/" + venueID,
		"set public_url", "Auth token:   " + token, "reserves", "table orders"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// With the hub's public address known, the URL is printed in full.
	t.Setenv("STOLIK_PUBLIC_URL", "https://hub.example.ru/")
	out.Reset()
	if err := run(ctx, []string{"webhook", "--venue", venueID}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	url := "https://hub.example.ru/hooks/iiko/" + venueID
	for _, want := range []string{"url: " + url + "\n", "Webhook URL:  " + url + "\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("with public_url, output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "<the hub's public address>") {
		t.Errorf("with public_url, output still has a placeholder:\n%s", out.String())
	}
	err = run(ctx, []string{"webhook", "--venue", "Нет такого"}, io.Discard, io.Discard)
	if err == nil {
		t.Error("an unknown venue was accepted")
	}
}
