package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// pendingOf opens the hub's store and lists the agent's pending commands.
func pendingOf(t *testing.T, agentID string) []hub.Command {
	t.Helper()
	ctx := context.Background()
	c, _, err := loadConfig("test", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cmds, err := store.PendingCommands(ctx, agentID)
	if err != nil {
		t.Fatal(err)
	}
	return cmds
}

// TestWebhookSet queues webhook.set for the venue's agent, with the
// venue's address and token, once public_url is an https address.
func TestWebhookSet(t *testing.T) {
	t.Setenv("STOLIK_DATA_DIR", t.TempDir())
	t.Setenv("STOLIK_DATABASE_URL", "")
	t.Setenv("STOLIK_PUBLIC_URL", "")
	const secret = "0123456789abcdef0123456789abcdef"
	t.Setenv("STOLIK_WEBHOOK_SECRET", secret)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"agent", "add", "--venue", "Пушкин"}, &out,
		io.Discard); err != nil {
		t.Fatal(err)
	}
	var venueID, agentID string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "venue_id: "); ok {
			venueID = v
		}
		if v, ok := strings.CutPrefix(line, "agent_id: "); ok {
			agentID = v
		}
	}
	set := []string{"webhook", "--venue", "Пушкин", "--set"}

	err := run(ctx, set, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "public_url") {
		t.Fatalf("--set without public_url: %v, want a hint about public_url", err)
	}
	t.Setenv("STOLIK_PUBLIC_URL", "http://127.0.0.1:8080")
	err = run(ctx, set, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("--set with an http public_url: %v, want it refused", err)
	}
	if n := len(pendingOf(t, agentID)); n != 0 {
		t.Fatalf("%d commands queued by refused --set runs", n)
	}

	t.Setenv("STOLIK_PUBLIC_URL", "https://hub.example.ru/")
	out.Reset()
	if err := run(ctx, set, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	cmds := pendingOf(t, agentID)
	if len(cmds) != 1 || cmds[0].Kind != wire.CommandSetWebhook {
		t.Fatalf("pending commands %+v, want one webhook.set", cmds)
	}
	req, err := wire.DecodeWebhookRequest(cmds[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	url := "https://hub.example.ru/hooks/iiko/" + venueID
	if req.URL != url || req.AuthToken != web.WebhookToken(secret, venueID) {
		t.Errorf("queued %+v, want %s with the venue's token", req, url)
	}
	if !cmds[0].Expires.After(cmds[0].CreatedAt) {
		t.Errorf("command expires %s, created %s", cmds[0].Expires, cmds[0].CreatedAt)
	}
	for _, want := range []string{"queued: " + cmds[0].ID + " webhook.set for agent " + agentID,
		"url: " + url + "\n", "/api/v1/commands/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Webhook URL:") {
		t.Errorf("--set printed the by-hand instructions too:\n%s", out.String())
	}

	// An agent that reported a connector without webhooks gets nothing.
	c, _, err := loadConfig("test", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	err = store.UpdateAgentStatus(ctx, agentID, hub.AgentStatus{Connector: "sim",
		Version: "0.9.0", Capabilities: []string{"reservations.write"}})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(ctx, set, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "without --set") {
		t.Errorf("--set for a sim agent: %v, want it refused", err)
	}
	if !strings.Contains(out.String(), "sim connector") {
		t.Errorf("output does not say why the agent was skipped:\n%s", out.String())
	}
	if n := len(pendingOf(t, agentID)); n != 1 {
		t.Errorf("%d pending commands after --set for a sim agent, want still 1", n)
	}
}
