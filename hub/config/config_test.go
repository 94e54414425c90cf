package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

func TestAlerts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hub.yaml")
	body := "alerts: {chat_id: -1001234, offline_after: 3m, cooldown: 1m}\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Alerts
	if a.ChatID != -1001234 || a.OfflineAfter != 3*time.Minute || a.Cooldown != time.Minute ||
		a.UnhealthyAfter != 10*time.Minute || a.SummaryOver != 3 {
		t.Errorf("alerts = %+v; want the file's values over the defaults", a)
	}

	body = "agents: {heartbeat: 1m}\nalerts: {offline_after: 2m, unhealthy_after: 1s, " +
		"cooldown: -1s, interval: 0s, summary_over: 0}\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(p)
	if err == nil {
		t.Fatal("bad alerts accepted")
	}
	for _, want := range []string{"alerts.offline_after", "alerts.unhealthy_after",
		"alerts.cooldown", "alerts.interval", "alerts.summary_over"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestWebhookSecret(t *testing.T) {
	t.Setenv("STOLIK_WEBHOOK_SECRET", "short")
	if _, err := config.Load(""); err == nil || !strings.Contains(err.Error(), "webhook_secret") {
		t.Fatalf("err = %v, want webhook_secret named", err)
	}
	t.Setenv("STOLIK_WEBHOOK_SECRET", "0123456789abcdef0123456789abcdef")
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.WebhookSecret != "0123456789abcdef0123456789abcdef" {
		t.Errorf("webhook_secret = %q, want the environment's", c.WebhookSecret)
	}
}

func TestPosterAppSecret(t *testing.T) {
	t.Setenv("STOLIK_POSTER_APP_SECRET", "from-env")
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.PosterAppSecret != "from-env" {
		t.Errorf("poster_app_secret = %q, want the environment's", c.PosterAppSecret)
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

func TestCommandRetention(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hub.yaml")
	if c, err := config.Load(""); err != nil || c.Agents.CommandRetention != 30*24*time.Hour {
		t.Errorf("default command retention %v, %v; want 720h", c.Agents.CommandRetention, err)
	}
	if err := os.WriteFile(p, []byte("agents: {command_retention: 168h}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := config.Load(p); err != nil || c.Agents.CommandRetention != 7*24*time.Hour {
		t.Errorf("command retention %v, %v; want 168h", c.Agents.CommandRetention, err)
	}
	if err := os.WriteFile(p, []byte("agents: {command_retention: 10m}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(p); err == nil ||
		!strings.Contains(err.Error(), "agents.command_retention") {
		t.Errorf("err = %v, want agents.command_retention named", err)
	}
}

// TestWebhookURL: the webhook URL must be https on /telegram/webhook, and
// the error shows the URL to use instead.
func TestWebhookURL(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hub.yaml")
	for _, tc := range []struct{ url, want string }{
		{"https://hub.example.ru/telegram/webhook", ""},
		{"https://hub.example.ru:8443/telegram/webhook", ""},
		{"http://hub.example.ru/telegram/webhook", "https://hub.example.ru/telegram/webhook"},
		{"https://hub.example.ru/tg", "https://hub.example.ru/telegram/webhook"},
		{"https://hub.example.ru/", "https://hub.example.ru/telegram/webhook"},
		{"http://hub.example.ru:8080/hook?x=1", "https://hub.example.ru:8080/telegram/webhook"},
		{"hub.example.ru/telegram/webhook", "not a URL"},
	} {
		body := "telegram: {token: '123:ABC', webhook_secret: hook-secret, webhook_url: '" +
			tc.url + "'}\n"
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := config.Load(p)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s refused: %v", tc.url, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s accepted, want it refused", tc.url)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: error %q does not show %q", tc.url, err, tc.want)
		}
	}
}
