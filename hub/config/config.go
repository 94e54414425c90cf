// Package config reads the hub's configuration: an optional YAML file, with
// STOLIK_* environment variables over it. Defaults live in Default; Validate
// reports every problem at once.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the hub's configuration.
type Config struct {
	// Listen is the address of the HTTP server (API and agent websockets).
	Listen string `yaml:"listen"`
	// DataDir holds the embedded store (hub.db) when no database is set.
	DataDir string `yaml:"data_dir"`
	// DatabaseURL selects the PostgreSQL store instead of the embedded one
	// (postgres://user:password@host/db). Several replicas may share it.
	DatabaseURL string `yaml:"database_url"`
	// Replica names this hub process among several on one database; empty
	// means the host name and process id.
	Replica string `yaml:"replica"`
	// Database tunes the PostgreSQL connection pool.
	Database Database `yaml:"database"`
	Log      Log      `yaml:"log"`
	Agents   Agents   `yaml:"agents"`
	Alerts   Alerts   `yaml:"alerts"`
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// WebhookSecret derives each venue's token for RMS webhooks
	// (POST /hooks/iiko/{venue}); empty turns the webhooks off. Changing
	// it invalidates every venue's token.
	WebhookSecret string `yaml:"webhook_secret"`
	// PosterAppSecret is the secret of the Poster application whose
	// webhooks (POST /hooks/poster, routed by account) the hub takes; empty turns
	// them off.
	PosterAppSecret string `yaml:"poster_app_secret"`
	// Telegram configures the bot; it runs when Token is set.
	Telegram Telegram `yaml:"telegram"`
	// PublicURL is the hub's address as browsers and agents see it, such
	// as https://hub.example.ru; an https URL makes the dashboard's
	// session cookies Secure when TLS ends at a proxy.
	PublicURL string `yaml:"public_url"`
	// TrustedProxies lists the reverse proxies in front of the hub, as
	// networks (10.0.0.0/8) or single addresses (127.0.0.1); or
	// STOLIK_TRUSTED_PROXIES, comma-separated. The sign-in limits then
	// count a request from one of them against the address it forwarded
	// for (X-Forwarded-For), not against the proxy. Empty: no proxy is
	// believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MetricsToken, if set (better as STOLIK_METRICS_TOKEN), is the bearer
	// token GET /metrics asks for; empty leaves /metrics open, to be
	// limited at the proxy.
	MetricsToken string `yaml:"metrics_token"`
}

// ProxyPrefixes returns TrustedProxies as networks, a single address as a
// network of one; entries that do not parse are left out (Validate
// reports them).
func (c Config) ProxyPrefixes() []netip.Prefix {
	var list []netip.Prefix
	for _, s := range c.TrustedProxies {
		if p, ok := parseProxy(s); ok {
			list = append(list, p)
		}
	}
	return list
}

func parseProxy(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// minWebhookSecret is the shortest webhook secret accepted, in bytes.
const minWebhookSecret = 16

// Telegram configures the Telegram bot.
type Telegram struct {
	// Token is the bot's token from @BotFather (better given as
	// STOLIK_TELEGRAM_TOKEN); empty means no bot.
	Token string `yaml:"token"`
	// APIURL is the Bot API's base URL: empty for Telegram's, or a local
	// Bot API server or a fake.
	APIURL string `yaml:"api_url"`
	// WebhookURL, when set, makes Telegram deliver updates by POST to it
	// instead of long polling. It must be https (Telegram's rule) with the
	// path /telegram/webhook, the one the hub serves. It is needed
	// with several replicas, since only one process may long-poll.
	// WebhookSecret (or STOLIK_TELEGRAM_WEBHOOK_SECRET) is the token
	// Telegram sends with each update.
	WebhookURL    string `yaml:"webhook_url"`
	WebhookSecret string `yaml:"webhook_secret"`
	// ReminderBefore is how long before a visit the guest is reminded.
	ReminderBefore time.Duration `yaml:"reminder_before"`
	// MaxBookingsPerDay and MaxActiveBookings limit each guest.
	MaxBookingsPerDay int `yaml:"max_bookings_per_day"`
	MaxActiveBookings int `yaml:"max_active_bookings"`
	// StaffLang is the language of staff chat posts: ru or en.
	StaffLang string `yaml:"staff_lang"`
}

// Enabled reports whether the bot runs.
func (t Telegram) Enabled() bool { return t.Token != "" }

// Database tunes the PostgreSQL store.
type Database struct {
	MaxConns         int32         `yaml:"max_conns"`
	StatementTimeout time.Duration `yaml:"statement_timeout"`
	// StartupRetry is how long the hub keeps trying an unreachable
	// database at start before giving up.
	StartupRetry time.Duration `yaml:"startup_retry"`
}

// Log sets the log level: debug, info, warn or error.
type Log struct {
	Level string `yaml:"level"`
}

// Agents holds what the hub asks of every agent.
type Agents struct {
	PollInterval time.Duration `yaml:"poll_interval"`
	MaxBatch     int           `yaml:"max_batch"`
	Window       int           `yaml:"window"`
	// Heartbeat is how often the hub pings each agent; an agent silent for
	// three heartbeats is disconnected.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// LatestVersion is the newest agent release; agents behind it are
	// flagged in the agent list. Empty means the hub's own version.
	LatestVersion string `yaml:"latest_version"`
	// SendQueue bounds messages waiting for one agent; a slower agent is
	// disconnected.
	SendQueue int `yaml:"send_queue"`
	// CommandRetention is how long a command with a result is kept for
	// the agent page's history; older ones are dropped every hour.
	CommandRetention time.Duration `yaml:"command_retention"`
}

// defaultAgents are the Agents in Default.
func defaultAgents() Agents {
	return Agents{MaxBatch: 1000, Window: 4, SendQueue: 64, Heartbeat: 20 * time.Second,
		CommandRetention: 30 * 24 * time.Hour}
}

// Default returns the configuration used where nothing else is said.
func Default() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		DataDir:         "hub-data",
		Log:             Log{Level: "info"},
		Agents:          defaultAgents(),
		Alerts:          defaultAlerts(),
		ShutdownTimeout: 10 * time.Second,
		Database:        Database{MaxConns: 16, StatementTimeout: 5 * time.Second, StartupRetry: time.Minute},
		Telegram:        defaultTelegram,
	}
}

// defaultTelegram has the bot's defaults: no token (no bot), a reminder
// three hours ahead, five bookings a day and three upcoming per guest,
// staff posts in Russian.
var defaultTelegram = Telegram{ReminderBefore: 3 * time.Hour, MaxBookingsPerDay: 5,
	MaxActiveBookings: 3, StaffLang: "ru"}

// Load reads the file at path (if path is not empty) over the defaults,
// applies the environment and validates the result.
func Load(path string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
		if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
			c.DataDir = filepath.Join(filepath.Dir(path), c.DataDir)
		}
	}
	c.ApplyEnv(os.LookupEnv)
	if err := c.Validate(); err != nil {
		if path == "" {
			path = "(environment)"
		}
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// ApplyEnv overrides c with STOLIK_LISTEN, STOLIK_DATA_DIR,
// STOLIK_DATABASE_URL, STOLIK_LOG_LEVEL, STOLIK_REPLICA, STOLIK_PUBLIC_URL,
// STOLIK_WEBHOOK_SECRET, STOLIK_POSTER_APP_SECRET, STOLIK_TELEGRAM_TOKEN and
// STOLIK_TELEGRAM_WEBHOOK_SECRET where set.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) {
	if v, ok := lookup("STOLIK_LISTEN"); ok {
		c.Listen = v
	}
	if v, ok := lookup("STOLIK_DATA_DIR"); ok {
		c.DataDir = v
	}
	if v, ok := lookup("STOLIK_DATABASE_URL"); ok {
		c.DatabaseURL = v
	}
	if v, ok := lookup("STOLIK_LOG_LEVEL"); ok {
		c.Log.Level = v
	}
	if v, ok := lookup("STOLIK_REPLICA"); ok {
		c.Replica = v
	}
	if v, ok := lookup("STOLIK_WEBHOOK_SECRET"); ok {
		c.WebhookSecret = v
	}
	if v, ok := lookup("STOLIK_POSTER_APP_SECRET"); ok {
		c.PosterAppSecret = v
	}
	if v, ok := lookup("STOLIK_TELEGRAM_TOKEN"); ok {
		c.Telegram.Token = v
	}
	if v, ok := lookup("STOLIK_TELEGRAM_WEBHOOK_SECRET"); ok {
		c.Telegram.WebhookSecret = v
	}
	if v, ok := lookup("STOLIK_PUBLIC_URL"); ok {
		c.PublicURL = v
	}
	if v, ok := lookup("STOLIK_METRICS_TOKEN"); ok {
		c.MetricsToken = v
	}
	if v, ok := lookup("STOLIK_TRUSTED_PROXIES"); ok {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
	}
}

// Validate checks c and returns every problem found, joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, args...)...))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port, e.g. 127.0.0.1:8080", c.Listen)
	}
	for _, p := range c.TrustedProxies {
		if _, ok := parseProxy(p); !ok {
			bad("trusted_proxies", "%q is not a network like 10.0.0.0/8 or an address "+
				"like 127.0.0.1", p)
		}
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") &&
		!strings.HasPrefix(c.PublicURL, "http://") {
		bad("public_url", "%q: give the whole address, such as https://hub.example.ru",
			c.PublicURL)
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		bad("data_dir", "is empty; name a directory for the embedded store or set database_url")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q: use debug, info, warn or error", c.Log.Level)
	}
	if c.Agents.MaxBatch < 1 || c.Agents.Window < 1 || c.Agents.SendQueue < 8 {
		bad("agents", "max_batch and window must be at least 1, send_queue at least 8")
	}
	if c.Agents.PollInterval != 0 && c.Agents.PollInterval < 100*time.Millisecond {
		bad("agents.poll_interval", "%v is too short; use at least 100ms", c.Agents.PollInterval)
	}
	if c.Agents.Heartbeat < 100*time.Millisecond {
		bad("agents.heartbeat", "%v is too short; use at least 100ms (20s is usual)", c.Agents.Heartbeat)
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil ||
			(u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("database_url", "is not a URL like postgres://user:password@host:5432/stolik")
		}
		if c.Database.MaxConns < 2 || c.Database.StatementTimeout <= 0 || c.Database.StartupRetry < 0 {
			bad("database", "max_conns must be at least 2, statement_timeout positive, "+
				"startup_retry not negative")
		}
	}
	if c.Agents.CommandRetention < time.Hour {
		bad("agents.command_retention", "%v is too short; use at least 1h (720h, 30 days, "+
			"is usual)", c.Agents.CommandRetention)
	}
	c.Alerts.validate(c.Agents.Heartbeat, bad)
	if s := c.WebhookSecret; s != "" && (len(s) < minWebhookSecret || strings.TrimSpace(s) != s) {
		bad("webhook_secret", "is too short or has spaces at an end; use at least %d random "+
			"characters, e.g. from: openssl rand -hex 32", minWebhookSecret)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "must be positive, e.g. 10s")
	}
	errs = append(errs, c.Telegram.validate()...)
	return errors.Join(errs...)
}

// webhookSecret is what Telegram accepts as a secret_token.
var webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (t Telegram) validate() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("telegram.%s: "+format, append([]any{field}, args...)...))
	}
	if t.ReminderBefore <= 0 {
		bad("reminder_before", "must be positive, e.g. 3h")
	}
	if t.MaxBookingsPerDay < 1 || t.MaxActiveBookings < 1 {
		bad("max_bookings_per_day", "and max_active_bookings must be at least 1")
	}
	if t.StaffLang != "ru" && t.StaffLang != "en" {
		bad("staff_lang", "%q: use ru or en", t.StaffLang)
	}
	if t.APIURL != "" {
		if u, err := url.Parse(t.APIURL); err != nil || u.Host == "" ||
			(u.Scheme != "https" && u.Scheme != "http") {
			bad("api_url", "%q is not a URL like https://api.telegram.org", t.APIURL)
		}
	}
	if t.WebhookURL == "" {
		return errs
	}
	if msg := checkWebhookURL(t.WebhookURL); msg != "" {
		bad("webhook_url", "%s", msg)
	}
	if !webhookSecret.MatchString(t.WebhookSecret) {
		bad("webhook_secret", "is required with webhook_url: 1-256 letters, digits, _ or - "+
			"(set STOLIK_TELEGRAM_WEBHOOK_SECRET)")
	}
	return errs
}

// WebhookPath is the path the hub serves Telegram's webhook on.
const WebhookPath = "/telegram/webhook"

// checkWebhookURL says what is wrong with a telegram.webhook_url, or "".
// Telegram posts only to https, and the hub serves WebhookPath alone, so
// any other URL would be registered with Telegram and never answered.
func checkWebhookURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return fmt.Sprintf("%q is not a URL like https://hub.example.com%s", raw, WebhookPath)
	}
	right := *u
	right.Scheme, right.Path, right.RawPath = "https", WebhookPath, ""
	right.RawQuery, right.Fragment, right.User = "", "", nil
	var wrong []string
	if u.Scheme != "https" {
		wrong = append(wrong, "Telegram delivers updates only over https")
	}
	if u.Path != WebhookPath {
		wrong = append(wrong, "the hub serves the webhook on "+WebhookPath+" only")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		wrong = append(wrong, "it takes no query, fragment or user")
	}
	if len(wrong) == 0 {
		return ""
	}
	return fmt.Sprintf("%q: %s; use %s (TLS may end at a proxy that forwards "+
		"to the hub's %s)", raw, strings.Join(wrong, ", "), right.String(), WebhookPath)
}
