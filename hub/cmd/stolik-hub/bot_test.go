package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/config"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestTelegramLink prints a one-time staff link code for a venue named by
// its name, and refuses a venue that does not exist.
func TestTelegramLink(t *testing.T) {
	t.Setenv("STOLIK_DATA_DIR", t.TempDir())
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"agent", "add", "--venue", "Пушкин"}, &out, &out); err != nil {
		t.Fatalf("agent add: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"telegram", "link", "--venue", "Пушкин"}, &out, &out); err != nil {
		t.Fatalf("telegram link: %v", err)
	}
	if !strings.Contains(out.String(), "code: ") || !strings.Contains(out.String(), "/link ") {
		t.Errorf("telegram link printed %q, want a code and how to use it", out.String())
	}
	err := run(ctx, []string{"telegram", "link", "--venue", "Нет такого"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "no venue named") {
		t.Errorf("unknown venue: err = %v", err)
	}
}

// TestServeRunsTelegramBot runs "stolik-hub serve" with a token and the
// fake Bot API: the bot answers a guest, and a staff group links itself
// with the code "telegram link" printed.
func TestServeRunsTelegramBot(t *testing.T) {
	fake := telegramtest.New(t)
	dir := t.TempDir()
	t.Setenv("STOLIK_DATA_DIR", dir)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"agent", "add", "--venue", "Пушкин"}, &out, &out); err != nil {
		t.Fatalf("agent add: %v", err)
	}
	venueID := field(t, out.String(), "venue_id")
	out.Reset()
	if err := run(ctx, []string{"telegram", "link", "--venue", venueID}, &out, &out); err != nil {
		t.Fatalf("telegram link: %v", err)
	}
	code := field(t, out.String(), "code")

	cfg := filepath.Join(dir, "hub.yaml")
	body := "listen: 127.0.0.1:0\ntelegram: {api_url: '" + fake.URL() + "'}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STOLIK_TELEGRAM_TOKEN", "42:serve-test")
	sctx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- run(sctx, []string{"serve", "--config", cfg}, io.Discard, io.Discard) }()
	defer func() {
		stop()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	staff := telegramtest.User{ID: 5, FirstName: "Ольга"}
	group := telegramtest.GroupChat(-77, "staff")
	fake.SendText(group, staff, "/link "+code)
	fake.WaitFor(t, group.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "получает брони Пушкин")
	})
	guest := telegramtest.User{ID: 6, FirstName: "Anna", LanguageCode: "en"}
	fake.SendText(telegramtest.PrivateChat(guest), guest, "/start "+venueID)
	fake.WaitFor(t, guest.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "How many guests?")
	})
}

// field returns the value of a "key: value" line of out.
func field(t testing.TB, out, key string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, key+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in %q", key, out)
	return ""
}

// TestAlertsGoToTheSupportChat sends an alert the way the alert job does,
// through the notifier serve builds with a bot token and alerts.chat_id:
// it reaches the support chat once, however often it is notified.
func TestAlertsGoToTheSupportChat(t *testing.T) {
	fake := telegramtest.New(t)
	store, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var c config.Config
	c.Telegram = config.Telegram{Token: "42:alerts", APIURL: fake.URL()}
	log := slog.New(slog.DiscardHandler)
	queue := newSendQueue(c, store, "r1", log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go queue.Run(ctx)

	const support = -1001234
	n := chatNotifier{queue: queue, chatID: support}
	for range 2 {
		if err := n.Notify(ctx, "incident/i1/open", "agent agt_1 offline for 5m"); err != nil {
			t.Fatal(err)
		}
	}
	fake.WaitFor(t, support, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "agt_1 offline")
	})
	time.Sleep(500 * time.Millisecond) // a second send would come within the queue's poll
	if got := len(fake.Messages(support)); got != 1 {
		t.Errorf("the support chat got %d messages, want 1", got)
	}
}

// TestTelegramChain puts venues in a chain, prints the chain's link, and
// refuses a chain id that cannot go into a link or an unknown venue.
func TestTelegramChain(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("STOLIK_DATA_DIR", dir)
	ctx := context.Background()
	var out bytes.Buffer
	for _, name := range []string{"Пушкин", "Гоголь", "Чехов"} {
		if err := run(ctx, []string{"agent", "add", "--venue", name}, &out, &out); err != nil {
			t.Fatalf("agent add: %v", err)
		}
	}
	out.Reset()
	err := run(ctx, []string{"telegram", "chain", "--chain", "classics", "--venue",
		"Пушкин, Гоголь"}, &out, &out)
	if err != nil {
		t.Fatalf("telegram chain: %v", err)
	}
	if !strings.Contains(out.String(), "?start=c_classics") {
		t.Errorf("telegram chain printed %q, want the chain's link", out.String())
	}
	for _, args := range [][]string{{"--chain", "Классики", "--venue", "Пушкин"},
		{"--chain", "classics", "--venue", "Нет такого"}, {"--chain", "classics"}} {
		if err := run(ctx, append([]string{"telegram", "chain"}, args...), &out, &out); err == nil {
			t.Errorf("telegram chain %q accepted", args)
		}
	}
	store, err := bolt.Open(filepath.Join(dir, "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	venues, err := store.Venues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range venues {
		got[v.Name] = v.Chain
	}
	if got["Пушкин"] != "classics" || got["Гоголь"] != "classics" || got["Чехов"] != "" {
		t.Errorf("chains %v, want Пушкин and Гоголь in classics", got)
	}
}
