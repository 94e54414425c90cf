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
	"net/url"
	"os"
	"path/filepath"
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
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// PublicURL is the hub's address as browsers and agents see it, such
	// as https://hub.example.ru; an https URL makes the dashboard's
	// session cookies Secure when TLS ends at a proxy.
	PublicURL string `yaml:"public_url"`
}

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
}

// Default returns the configuration used where nothing else is said.
func Default() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		DataDir:         "hub-data",
		Log:             Log{Level: "info"},
		Agents:          Agents{MaxBatch: 1000, Window: 4, SendQueue: 64, Heartbeat: 20 * time.Second},
		ShutdownTimeout: 10 * time.Second,
		Database:        Database{MaxConns: 16, StatementTimeout: 5 * time.Second, StartupRetry: time.Minute},
	}
}

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
// STOLIK_DATABASE_URL, STOLIK_LOG_LEVEL, STOLIK_REPLICA and
// STOLIK_PUBLIC_URL where set.
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
	if v, ok := lookup("STOLIK_PUBLIC_URL"); ok {
		c.PublicURL = v
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
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "must be positive, e.g. 10s")
	}
	return errors.Join(errs...)
}
