// Package config reads the agent's configuration: one YAML file, with
// secrets and a few settings overridable by STOLIK_* environment variables.
// Defaults live in Default; Validate reports every problem at once.
package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/sqlread"
)

// Version is the config file format this build writes and reads.
const Version = 1

// Config is the agent's configuration.
type Config struct {
	Version int `yaml:"version"`
	Hub     Hub `yaml:"hub"`
	// DataDir holds the outbox; relative paths are relative to the config file.
	DataDir      string        `yaml:"data_dir"`
	PollInterval time.Duration `yaml:"poll_interval"`
	Log          Log           `yaml:"log"`
	Connector    Connector     `yaml:"connector"`
	Outbox       Outbox        `yaml:"outbox"`
	Uplink       Uplink        `yaml:"uplink"`
}

// Hub says where the hub is and who this agent is.
type Hub struct {
	// URLs are tried in turn: ws(s):// or http(s):// base addresses.
	URLs    []string `yaml:"urls"`
	AgentID string   `yaml:"agent_id"`
	Secret  string   `yaml:"secret"`
}

// Log sets the log level (debug, info, warn or error) and bounds the
// rotating log file, agent.log in the data directory.
type Log struct {
	Level string `yaml:"level"`
	// MaxSizeMB is the size at which agent.log is rotated, in megabytes.
	MaxSizeMB int `yaml:"max_size_mb"`
	// MaxFiles is how many rotated files are kept beside agent.log.
	MaxFiles int `yaml:"max_files"`
}

// Kinds lists the connectors this agent has, as connector.kind names them.
var Kinds = []string{"sim", "iiko", "rkeeper", "poster", "quickresto", "files", "sqlread"}

// Connector selects and configures the RMS connector.
type Connector struct {
	Kind       string     `yaml:"kind"`
	Sim        Sim        `yaml:"sim"`
	RKeeper    RKeeper    `yaml:"rkeeper"`
	Poster     Poster     `yaml:"poster"`
	QuickResto QuickResto `yaml:"quickresto"`
	Iiko       Iiko       `yaml:"iiko"`
	// Files reads export files and writes import files (Smart Touch POS,
	// or any RMS that exchanges files); see package agent/files.
	Files files.Config `yaml:"files"`
	// SQLRead reads the RMS's database with a read-only account; see
	// package agent/sqlread.
	SQLRead sqlread.Config `yaml:"sqlread"`
}

// Iiko configures the iiko connector, which reads and writes through the
// iikoCloud API. A v2 token needs api_key, app_id and client_secret; the
// older api_login is used when they are absent, or when iiko refuses the key.
type Iiko struct {
	BaseURL      string `yaml:"base_url"`
	APIKey       string `yaml:"api_key"`       // or STOLIK_IIKO_API_KEY
	AppID        string `yaml:"app_id"`        //
	ClientSecret string `yaml:"client_secret"` // or STOLIK_IIKO_CLIENT_SECRET
	APILogin     string `yaml:"api_login"`     // or STOLIK_IIKO_API_LOGIN
	// OrganizationID and TerminalGroupID may be left out when the key
	// sees exactly one of each.
	OrganizationID  string `yaml:"organization_id"`
	TerminalGroupID string `yaml:"terminal_group_id"`
	// TimeZone is the venue's IANA zone; empty means the terminal
	// group's.
	TimeZone string `yaml:"time_zone"`
	// WindowBack and WindowAhead bound the reservations read, around now.
	WindowBack     time.Duration `yaml:"window_back"`
	WindowAhead    time.Duration `yaml:"window_ahead"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// Sim configures the simulated venue.
type Sim struct {
	Seed           int64         `yaml:"seed"`
	Halls          int           `yaml:"halls"`
	Tables         int           `yaml:"tables"`
	Start          time.Time     `yaml:"start"`
	Step           time.Duration `yaml:"step"`
	ChangesPerStep int           `yaml:"changes_per_step"`
	Steps          int           `yaml:"steps"`
	// RefuseEvery refuses every n-th reservation the hub asks for, to show
	// a refusal (0: never).
	RefuseEvery int `yaml:"refuse_every"`
}

// Poster configures the Poster (joinposter.com) connector. Zero values take
// the connector's defaults (agent/poster).
type Poster struct {
	// BaseURL is the API's address; https://joinposter.com/api when empty.
	BaseURL string `yaml:"base_url"`
	// Token is a personal integration token (or STOLIK_POSTER_TOKEN).
	Token string `yaml:"token"`
	// SpotID is the venue; may be empty when the account has one spot.
	SpotID string `yaml:"spot_id"`
	// Account is the account's name, as in https://<account>.joinposter.com;
	// the hub routes Poster's webhooks to the venue by it. Empty takes it
	// from BaseURL when that is an <account>.joinposter.com address.
	Account string `yaml:"account"`
	// TimeZone is the account's IANA zone: Poster speaks local time.
	TimeZone string `yaml:"time_zone"`
	// Seats is the seat count of a table Poster gives none for.
	Seats          int           `yaml:"seats"`
	WindowAhead    time.Duration `yaml:"window_ahead"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// QuickResto configures the read-only Quick Resto connector. Zero values
// take the connector's defaults (agent/quickresto).
type QuickResto struct {
	// Layer is the account name: https://<layer>.quickresto.ru.
	Layer string `yaml:"layer"`
	// Login is the API login (usually the layer name).
	Login string `yaml:"login"`
	// Password is the API password (or STOLIK_QUICKRESTO_PASSWORD).
	Password string `yaml:"password"`
	// BaseURL overrides the address made from Layer (for tests).
	BaseURL        string        `yaml:"base_url"`
	TimeZone       string        `yaml:"time_zone"`
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// AuthHeader is where the credentials go: authorization (default) or
	// x-authorization.
	AuthHeader string `yaml:"auth_header"`
}

// RKeeper configures the R-Keeper 7 connector, which talks to the cash
// server's XML interface over HTTPS.
type RKeeper struct {
	// URL is the XML interface, e.g.
	// https://192.168.1.10:8443/rk7api/v0/xmlinterface.xml.
	URL string `yaml:"url"`
	// User and Password are an employee with the HTTP access right; the
	// password may come from STOLIK_RKEEPER_PASSWORD instead.
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// CertSHA256 pins the cash server's self-signed certificate: its
	// SHA-256 fingerprint in hex, with or without colons.
	CertSHA256 string `yaml:"cert_sha256"`
	// TimeZone is the venue's IANA zone; the till speaks local time.
	TimeZone string `yaml:"time_zone"`
	// Codes of the references the write commands name: the station and
	// waiter a reserve order is made at (optional), the manager and void
	// reason (ORDERVOIDS) VoidOrder cancels with (required), the order
	// type (optional) and the guest type's id (optional).
	Station      string `yaml:"station"`
	Waiter       string `yaml:"waiter"`
	Manager      string `yaml:"manager"`
	DeleteReason string `yaml:"delete_reason"`
	OrderType    string `yaml:"order_type"`
	GuestType    string `yaml:"guest_type"`
	// SeatsAttribute is the TABLES attribute holding the seat count.
	SeatsAttribute string `yaml:"seats_attribute"`
	// DurationFormat is how a reserve's duration is written: auto (as the
	// till shows it, 1899-12-30T02:00:00), minutes (120) or hhmm (02:00).
	// Reading accepts every form.
	DurationFormat string `yaml:"duration_format"`
	// WindowAhead bounds how far ahead reservations are mirrored.
	WindowAhead time.Duration `yaml:"window_ahead"`
	// RefCheck is how often the halls and tables references are asked
	// for their version (and re-read when it changed).
	RefCheck time.Duration `yaml:"ref_check"`
	// RequestTimeout bounds each request to the cash server.
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// Outbox bounds the durable buffer.
type Outbox struct {
	MaxPending int `yaml:"max_pending"`
}

// Uplink tunes the connection to the hub.
type Uplink struct {
	Window     int           `yaml:"window"`
	MaxBatch   int           `yaml:"max_batch"`
	BackoffMin time.Duration `yaml:"backoff_min"`
	BackoffMax time.Duration `yaml:"backoff_max"`
	// Heartbeat is how often the agent pings the hub; a hub silent for
	// three heartbeats is given up and dialled again.
	Heartbeat time.Duration `yaml:"heartbeat"`
}

// Default returns the configuration used where the file is silent.
func Default() Config {
	return Config{
		Version:      Version,
		DataDir:      "data",
		PollInterval: 5 * time.Second,
		Log:          Log{Level: "info", MaxSizeMB: 10, MaxFiles: 5},
		Connector: Connector{Kind: "sim", Sim: Sim{
			Seed: 1, Halls: 2, Tables: 20, Step: time.Second, ChangesPerStep: 2,
		}, RKeeper: RKeeper{
			SeatsAttribute: "MaxGuests", DurationFormat: "auto",
			WindowAhead: 30 * 24 * time.Hour, RefCheck: time.Minute,
			RequestTimeout: 15 * time.Second,
		}, Iiko: Iiko{
			BaseURL: "https://api-ru.iiko.services", WindowBack: 2 * time.Hour,
			WindowAhead: 31 * 24 * time.Hour, RequestTimeout: 30 * time.Second,
		}},
		Outbox: Outbox{MaxPending: 1_000_000},
		Uplink: Uplink{
			Window: 4, MaxBatch: 1000,
			BackoffMin: 500 * time.Millisecond, BackoffMax: time.Minute,
			Heartbeat: 20 * time.Second,
		},
	}
}

// Load reads the file at path over the defaults, applies the environment
// and validates the result. A file with problems gives an *Error that lists
// every one of them with its line.
func Load(path string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return c, &Error{Path: path, Problems: []Problem{syntaxProblem(err)}}
	}
	lines := map[string]int{}
	probs := checkKeys(&doc, reflect.TypeFor[Config](), "", lines)
	if len(doc.Content) > 0 {
		if err := doc.Decode(&c); err != nil {
			probs = append(probs, decodeProblems(err)...)
		}
	}
	if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(filepath.Dir(path), c.DataDir)
	}
	if d := c.Connector.Files.Dir; d != "" && !filepath.IsAbs(d) {
		c.Connector.Files.Dir = filepath.Join(filepath.Dir(path), d)
	}
	c.applyEnv(os.LookupEnv)
	// A value that did not decode keeps its default, so checking the rest
	// still finds every other problem.
	probs = append(probs, c.problems()...)
	if len(probs) > 0 {
		for i := range probs {
			if probs[i].Line == 0 {
				probs[i].Line = lineOf(lines, probs[i].Field)
			}
		}
		sortProblems(probs)
		return c, &Error{Path: path, Problems: probs}
	}
	return c, nil
}

func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	if v, ok := lookup("STOLIK_HUB_URLS"); ok {
		c.Hub.URLs = strings.Split(v, ",")
	}
	if v, ok := lookup("STOLIK_AGENT_ID"); ok {
		c.Hub.AgentID = v
	}
	if v, ok := lookup("STOLIK_AGENT_SECRET"); ok {
		c.Hub.Secret = v
	}
	if v, ok := lookup("STOLIK_DATA_DIR"); ok {
		c.DataDir = v
	}
	if v, ok := lookup("STOLIK_LOG_LEVEL"); ok {
		c.Log.Level = v
	}
	if v, ok := lookup("STOLIK_POSTER_TOKEN"); ok {
		c.Connector.Poster.Token = v
	}
	if v, ok := lookup("STOLIK_QUICKRESTO_PASSWORD"); ok {
		c.Connector.QuickResto.Password = v
	}
	if v, ok := lookup("STOLIK_RKEEPER_PASSWORD"); ok {
		c.Connector.RKeeper.Password = v
	}
	if v, ok := lookup("STOLIK_IIKO_API_KEY"); ok {
		c.Connector.Iiko.APIKey = v
	}
	if v, ok := lookup("STOLIK_IIKO_CLIENT_SECRET"); ok {
		c.Connector.Iiko.ClientSecret = v
	}
	if v, ok := lookup("STOLIK_IIKO_API_LOGIN"); ok {
		c.Connector.Iiko.APILogin = v
	}
	if v, ok := lookup("STOLIK_SQLREAD_DSN"); ok {
		c.Connector.SQLRead.DSN = v
	}
}

// Validate checks c and returns every problem found as an *Error, or nil.
func (c Config) Validate() error {
	if probs := c.problems(); len(probs) > 0 {
		return &Error{Problems: probs}
	}
	return nil
}

func (c Config) problems() []Problem {
	var probs []Problem
	bad := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if c.Version != Version {
		bad("version", "is %d; this agent reads version %d", c.Version, Version)
	}
	if len(c.Hub.URLs) == 0 {
		bad("hub.urls", "is empty; write the hub address, e.g. wss://hub.example.ru")
	}
	for i, u := range c.Hub.URLs {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Host == "" {
			bad(fmt.Sprintf("hub.urls[%d]", i), "%q is not an address like wss://hub.example.ru", u)
			continue
		}
		switch p.Scheme {
		case "ws", "wss", "http", "https":
		default:
			bad(fmt.Sprintf("hub.urls[%d]", i), "scheme %q: use wss:// (or ws:// on a LAN)", p.Scheme)
		}
	}
	if c.Hub.AgentID == "" {
		bad("hub.agent_id", "is empty; enroll the agent: "+
			"stolik-agent enroll --hub URL --code CODE (or set STOLIK_AGENT_ID)")
	}
	if c.Hub.Secret == "" {
		bad("hub.secret", "is empty; enroll the agent: "+
			"stolik-agent enroll --hub URL --code CODE (or set STOLIK_AGENT_SECRET)")
	}
	if c.DataDir == "" {
		bad("data_dir", "is empty; name a directory for the outbox")
	}
	if c.PollInterval < 100*time.Millisecond {
		bad("poll_interval", "%v is too short; use at least 100ms (5s is usual)", c.PollInterval)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q: use debug, info, warn or error", c.Log.Level)
	}
	if c.Log.MaxSizeMB < 1 || c.Log.MaxSizeMB > 1024 {
		bad("log.max_size_mb", "%d: use 1 to 1024 (10 is usual)", c.Log.MaxSizeMB)
	}
	if c.Log.MaxFiles < 1 || c.Log.MaxFiles > 100 {
		bad("log.max_files", "%d: use 1 to 100 (5 is usual)", c.Log.MaxFiles)
	}
	switch c.Connector.Kind {
	case "sim":
		s := c.Connector.Sim
		if s.Tables < 1 || s.Halls < 1 || s.Halls > s.Tables {
			bad("connector.sim", "needs 1 <= halls <= tables (got %d halls, %d tables)",
				s.Halls, s.Tables)
		}
		if s.Step <= 0 {
			bad("connector.sim.step", "must be positive, e.g. 1s")
		}
		if s.ChangesPerStep < 0 || s.Steps < 0 {
			bad("connector.sim", "changes_per_step and steps cannot be negative")
		}
	case "files":
		for _, p := range c.Connector.Files.Problems() {
			bad(join("connector.files", p.Field), "%s", p.Message)
		}
	case "sqlread":
		for _, p := range c.Connector.SQLRead.Problems() {
			bad(join("connector.sqlread", p.Field), "%s", p.Message)
		}
	case "iiko":
		probs = append(probs, c.Connector.Iiko.problems()...)
	case "rkeeper":
		probs = append(probs, c.Connector.RKeeper.problems()...)
	case "poster":
		probs = append(probs, c.Connector.Poster.problems()...)
	case "quickresto":
		probs = append(probs, c.Connector.QuickResto.problems()...)
	case "":
		bad("connector.kind", "is empty; name the RMS connector (%s)", strings.Join(Kinds, ", "))
	default:
		bad("connector.kind", "%q is not known; this agent has: %s", c.Connector.Kind,
			strings.Join(Kinds, ", "))
	}
	if c.Outbox.MaxPending < 1000 {
		bad("outbox.max_pending", "%d is too small; use at least 1000", c.Outbox.MaxPending)
	}
	if c.Uplink.Window < 1 || c.Uplink.MaxBatch < 1 {
		bad("uplink", "window and max_batch must be at least 1")
	}
	if c.Uplink.BackoffMin <= 0 || c.Uplink.BackoffMax < c.Uplink.BackoffMin {
		bad("uplink", "need 0 < backoff_min <= backoff_max")
	}
	if c.Uplink.Heartbeat < 100*time.Millisecond {
		bad("uplink.heartbeat", "%v is too short; use at least 100ms (20s is usual)",
			c.Uplink.Heartbeat)
	}
	return probs
}
