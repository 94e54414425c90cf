package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stolik/stolik/hub/config"
)

func TestLoadWithoutFile(t *testing.T) {
	t.Setenv("STOLIK_LISTEN", "127.0.0.1:9999")
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.DataDir != "hub-data" {
		t.Errorf("got %+v", c)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hub.yaml")
	body := "listen: nowhere\nlog: {level: chatty}\nagents: {window: 0, heartbeat: 1ms}\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(p)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"listen", "log.level", "agents", "agents.heartbeat"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestUnknownKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hub.yaml")
	if err := os.WriteFile(p, []byte("lisen: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(p); err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("err = %v, want the unknown key named", err)
	}
}

func TestDatabaseURL(t *testing.T) {
	t.Setenv("STOLIK_DATABASE_URL", "mysql://x")
	if _, err := config.Load(""); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("err = %v, want an example of a PostgreSQL URL", err)
	}
	t.Setenv("STOLIK_DATABASE_URL", "postgres://stolik@db/stolik")
	t.Setenv("STOLIK_REPLICA", "hub-2")
	c, err := config.Load("")
	if err != nil || c.Replica != "hub-2" {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestTelegram(t *testing.T) {
	t.Setenv("STOLIK_TELEGRAM_TOKEN", "123:abc")
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Telegram.Enabled() || c.Telegram.ReminderBefore.Hours() != 3 {
		t.Errorf("telegram %+v, want enabled with a 3h reminder", c.Telegram)
	}

	p := filepath.Join(t.TempDir(), "hub.yaml")
	body := "telegram: {webhook_url: 'ftp://x', reminder_before: -1h, max_active_bookings: 0, " +
		"staff_lang: de}\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(p)
	if err == nil {
		t.Fatal("bad telegram config accepted")
	}
	for _, want := range []string{"telegram.webhook_url", "telegram.webhook_secret",
		"telegram.reminder_before", "max_active_bookings", "telegram.staff_lang"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}
