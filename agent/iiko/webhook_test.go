package iiko_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

// TestSetWebhook registers a webhook on an organization without one: iiko
// then posts to it, with the token, reserves and table orders; setting it
// again changes nothing; a new token is set.
func TestSetWebhook(t *testing.T) {
	tokens := make(chan string, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokens <- r.Header.Get("Authorization")
	}))
	t.Cleanup(hook.Close)
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	ctx := context.Background()
	url := hook.URL + "/hooks/iiko/ven_1"

	if err := c.SetWebhook(ctx, url, "tok-1"); err != nil {
		t.Fatal(err)
	}
	got, tok, filter := f.Webhook()
	if got != url || tok != "tok-1" {
		t.Errorf("iiko holds %q %q, want %q tok-1", got, tok, url)
	}
	rf, _ := filter["reserveFilter"].(map[string]any)
	tf, _ := filter["tableOrderFilter"].(map[string]any)
	statuses, _ := tf["orderStatuses"].([]any)
	if rf["updates"] != true || rf["errors"] != true || tf["errors"] != true ||
		!slices.Equal(statuses, []any{"New", "Bill", "Closed", "Deleted"}) {
		t.Errorf("filter %v, want reserve updates and errors, every table order status", filter)
	}
	f.AddReservation(wire.Reservation{TableIDs: f.Tables()[1:2], Start: time.Now().Add(time.Hour),
		Duration: wire.Duration(time.Hour), Guests: 2, Name: "Гость", Phone: "+79990001122"})
	select {
	case got := <-tokens:
		if got != "tok-1" {
			t.Errorf("iiko posted with Authorization %q, want tok-1", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("iiko did not post to the webhook set")
	}

	if err := c.SetWebhook(ctx, url, "tok-1"); err != nil {
		t.Fatal(err)
	}
	if n := f.Counts()["webhooks/update_settings"]; n != 1 {
		t.Errorf("%d update_settings calls after setting the same twice, want 1", n)
	}
	// A new secret on the hub: the token changes, the address stays.
	if err := c.SetWebhook(ctx, url, "tok-2"); err != nil {
		t.Fatal(err)
	}
	if _, tok, _ := f.Webhook(); tok != "tok-2" {
		t.Errorf("token %q after a change, want tok-2", tok)
	}
	// The hub moved: the same path on another host is ours and is replaced.
	moved := "https://new-hub.example.ru/hooks/iiko/ven_1"
	if err := c.SetWebhook(ctx, moved, "tok-2"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := f.Webhook(); got != moved {
		t.Errorf("address %q after the hub moved, want %q", got, moved)
	}
}

// TestSetWebhookForeign leaves another integration's webhook alone.
func TestSetWebhookForeign(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	const theirs = "https://loyalty.example.com/iiko/events?key=s3cret"
	f.SetWebhook(theirs, "their-token")
	err := c.SetWebhook(context.Background(), "https://hub.example.ru/hooks/iiko/ven_1", "tok")
	if !errors.Is(err, agent.ErrRefused) {
		t.Fatalf("over a foreign webhook: %v, want a refusal", err)
	}
	for _, want := range []string{"loyalty.example.com", "second API key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("refusal %q shows the other address's query", err)
	}
	if got, tok, _ := f.Webhook(); got != theirs || tok != "their-token" {
		t.Errorf("iiko holds %q %q after a refusal, want theirs untouched", got, tok)
	}
	if n := f.Counts()["webhooks/update_settings"]; n != 0 {
		t.Errorf("%d update_settings calls over a foreign webhook, want 0", n)
	}
	// Another venue's address on the same hub is not this venue's either.
	f.SetWebhook("https://hub.example.ru/hooks/iiko/ven_2", "tok")
	err = c.SetWebhook(context.Background(), "https://hub.example.ru/hooks/iiko/ven_1", "tok")
	if !errors.Is(err, agent.ErrRefused) {
		t.Errorf("over another venue's webhook: %v, want a refusal", err)
	}
}
