// Package iiko is the connector to iiko through the iikoCloud API
// (api-ru.iiko.services): it reads a venue's halls and tables (restaurant
// sections), open orders on tables and reservations, and writes
// reservations.
//
// How it reads, per Snapshot:
//   - sections and tables with /reserve/available_restaurant_sections, at
//     most every SectionsEvery, incrementally by revision: the last full
//     table set is kept and the changed tables applied over it;
//   - reservations with /reserve/restaurant_sections_workload over
//     [now-WindowBack, now+WindowAhead], and their details (guest, phone,
//     status, comment) with /reserve/status_by_id, cached per reserve and
//     asked again only when the slot changed or the details are older than
//     DetailsMaxAge, in one call for all that need it;
//   - occupancy with /order/by_table (orders New and Bill).
//
// An idle venue polled every 5 s thus costs about 26 calls a minute
// (BenchmarkIdleRequestsPerMinute). A change of guest name, phone or
// status that leaves the slot as it was shows within DetailsMaxAge, or on
// the next poll when the hub hints the reserve after iiko's webhook
// (HintPoll).
//
// Reservations written by Stolik get a reserve id derived from the booking
// id (a UUIDv5), so a retry after a lost answer or a restart sends the same
// id and iiko answers DuplicatedReserveId instead of booking twice; the
// booking id is also written into the reserve's comment, which is how a
// restarted agent knows which reserves are its own.
//
// iiko speaks terminal-local time (yyyy-MM-dd HH:mm:ss.fff); the venue's
// zone comes from Config.TimeZone or the terminal group's timeZone.
package iiko

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/agent"
)

// Defaults for zero fields of a Config.
const (
	DefaultBaseURL    = "https://api-ru.iiko.services"
	DefaultWindowBack = 2 * time.Hour
	// DefaultWindowAhead covers the hub's default booking horizon
	// (30 days) and a day for the venue's zone, so that every reserve a
	// guest can make through the hub is read back.
	DefaultWindowAhead    = 31 * 24 * time.Hour
	DefaultRequestTimeout = 30 * time.Second
	DefaultSectionsEvery  = time.Minute
	DefaultDetailsMaxAge  = time.Minute
	DefaultCreateTimeout  = 90 * time.Second
)

// Config says how to reach one venue in iiko.
type Config struct {
	// BaseURL is the iikoCloud API; empty means DefaultBaseURL.
	BaseURL string
	// APIKey, AppID and ClientSecret get a v2 token. APILogin gets a
	// (deprecated) v1 token: when APIKey is empty, or when iiko refuses
	// the key (401, 403).
	APIKey, AppID, ClientSecret string
	APILogin                    string
	// OrganizationID may be empty when the key sees exactly one
	// organization; TerminalGroupID likewise within it.
	OrganizationID  string
	TerminalGroupID string
	// TimeZone is the venue's IANA zone; empty means the terminal group's.
	TimeZone string
	// WindowBack and WindowAhead bound the reservations read, around now.
	WindowBack, WindowAhead time.Duration
	// RequestTimeout bounds each call.
	RequestTimeout time.Duration
	// SectionsEvery is how often tables are read again (by revision).
	SectionsEvery time.Duration
	// DetailsMaxAge is how long a reserve's details are trusted.
	DetailsMaxAge time.Duration
	// CreateTimeout bounds the wait for iiko to accept a new reserve or
	// to finish a command.
	CreateTimeout time.Duration
	// StatusPoll is the first wait between two status checks of a new
	// reserve or a command; it doubles up to 5 s. Zero means 300 ms.
	StatusPoll time.Duration
	// RetryBase is the first wait after an HTTP 429 (doubling); zero
	// means 2 s.
	RetryBase time.Duration

	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.WindowBack == 0 {
		c.WindowBack = DefaultWindowBack
	}
	if c.WindowAhead == 0 {
		c.WindowAhead = DefaultWindowAhead
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.SectionsEvery == 0 {
		c.SectionsEvery = DefaultSectionsEvery
	}
	if c.DetailsMaxAge == 0 {
		c.DetailsMaxAge = DefaultDetailsMaxAge
	}
	if c.CreateTimeout == 0 {
		c.CreateTimeout = DefaultCreateTimeout
	}
	if c.StatusPoll == 0 {
		c.StatusPoll = 300 * time.Millisecond
	}
	if c.RetryBase == 0 {
		c.RetryBase = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Connector reads and writes one venue in iiko. It implements
// agent.Connector, agent.ReservationWriter, agent.ReservationUpdater,
// agent.PollHinter and agent.WebhookSetter and is safe for concurrent use.
type Connector struct {
	cfg Config
	c   *client
	log *slog.Logger

	// venueMu guards the resolved venue; it is resolved on first use and
	// again after a failure.
	venueMu sync.Mutex
	venue   *venue

	// mu guards the read caches below (one Snapshot at a time fills them).
	mu       sync.Mutex
	sections sectionCache
	details  map[string]detail // by reserve id

	// hintMu guards hinted, apart from mu so that HintPoll does not wait
	// for a Snapshot's calls to iiko.
	hintMu sync.Mutex
	hinted hints

	bookMu   sync.Mutex        // guards bookings
	bookings map[string]string // reserve id -> booking id, for ours
}

// maxBookings bounds the reserve id -> booking id map.
const maxBookings = 10_000

// venue is what the connector resolved about the venue in iiko.
type venue struct {
	org, tg string
	loc     *time.Location
}

var (
	_ agent.ReservationWriter  = (*Connector)(nil)
	_ agent.ReservationUpdater = (*Connector)(nil)
)

// New returns a connector for cfg. It does not call iiko: the first
// Snapshot resolves the organization, terminal group and time zone.
func New(cfg Config) (*Connector, error) {
	cfg.defaults()
	if cfg.APIKey == "" && cfg.APILogin == "" {
		return nil, errors.New("iiko: set api_key, app_id and client_secret (or api_login)")
	}
	if cfg.APIKey != "" && (cfg.AppID == "" || cfg.ClientSecret == "") {
		return nil, errors.New("iiko: api_key needs app_id and client_secret too")
	}
	if cfg.TimeZone != "" {
		if _, err := time.LoadLocation(cfg.TimeZone); err != nil {
			return nil, fmt.Errorf("iiko: time zone %q is not an IANA zone such as Europe/Moscow",
				cfg.TimeZone)
		}
	}
	log := cfg.Logger.With("connector", "iiko")
	return &Connector{
		cfg: cfg, c: newClient(cfg, log), log: log,
		details: map[string]detail{}, bookings: map[string]string{},
	}, nil
}

// Kind returns "iiko".
func (c *Connector) Kind() string { return "iiko" }

// resolve finds the organization, terminal group and time zone, once.
func (c *Connector) resolve(ctx context.Context) (venue, error) {
	c.venueMu.Lock()
	defer c.venueMu.Unlock()
	if c.venue != nil {
		return *c.venue, nil
	}
	org, err := c.organization(ctx)
	if err != nil {
		return venue{}, err
	}
	tg, zone, err := c.terminalGroup(ctx, org)
	if err != nil {
		return venue{}, err
	}
	var loc *time.Location
	if c.cfg.TimeZone != "" {
		loc, _ = time.LoadLocation(c.cfg.TimeZone) // checked in New
	} else if loc, err = ZoneOf(zone); err != nil {
		return venue{}, agent.WithFix(fmt.Errorf("iiko terminal_groups: %w", err),
			"set connector.iiko.time_zone in agent.yaml to the venue's zone, e.g. Europe/Moscow",
			"укажите connector.iiko.time_zone в agent.yaml, например Europe/Moscow")
	}
	v := venue{org: org, tg: tg, loc: loc}
	c.venue = &v
	c.log.Info("iiko venue resolved", "organization", org, "terminal_group", tg,
		"time_zone", loc.String())
	return v, nil
}

type organizationsAnswer struct {
	Organizations []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"organizations"`
}

func (c *Connector) organization(ctx context.Context) (string, error) {
	if c.cfg.OrganizationID != "" {
		return c.cfg.OrganizationID, nil
	}
	var ans organizationsAnswer
	err := c.c.call(ctx, "organizations", map[string]any{
		"returnAdditionalInfo": false, "includeDisabled": false,
	}, &ans)
	if err != nil {
		return "", err
	}
	switch len(ans.Organizations) {
	case 1:
		return ans.Organizations[0].ID, nil
	case 0:
		return "", agent.WithFix(errors.New("iiko organizations: the API key sees no organization"),
			"give the API key access to the restaurant in iikoWeb -> Integrations",
			"дайте ключу API доступ к ресторану в iikoWeb -> Интеграции")
	}
	var names []string
	for _, o := range ans.Organizations {
		names = append(names, fmt.Sprintf("%s (%s)", o.ID, o.Name))
	}
	return "", agent.WithFix(fmt.Errorf("iiko organizations: the API key sees %d organizations: %s",
		len(names), strings.Join(names, ", ")),
		"set connector.iiko.organization_id in agent.yaml to one of them",
		"укажите одну из них в connector.iiko.organization_id в agent.yaml")
}

type terminalGroup struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"timeZone"`
}

type terminalGroupsAnswer struct {
	TerminalGroups []struct {
		Items []terminalGroup `json:"items"`
	} `json:"terminalGroups"`
	TerminalGroupsInSleep []struct {
		Items []terminalGroup `json:"items"`
	} `json:"terminalGroupsInSleep"`
}

// terminalGroup returns the terminal group's id and time zone. A
// configured group is looked for among the disabled ones too (so that the
// error, if any, is about it being disabled, not missing); a group picked
// because it is the only one must be enabled, and iiko's answer does not
// say which are disabled, so only enabled ones are asked for then.
func (c *Connector) terminalGroup(ctx context.Context, org string) (string, string, error) {
	var ans terminalGroupsAnswer
	err := c.c.call(ctx, "terminal_groups", map[string]any{
		"organizationIds": []string{org}, "includeDisabled": c.cfg.TerminalGroupID != "",
	}, &ans)
	if err != nil {
		return "", "", err
	}
	var all []terminalGroup
	for _, g := range ans.TerminalGroups {
		all = append(all, g.Items...)
	}
	for _, g := range ans.TerminalGroupsInSleep {
		all = append(all, g.Items...)
	}
	if id := c.cfg.TerminalGroupID; id != "" {
		for _, g := range all {
			if strings.EqualFold(g.ID, id) {
				return g.ID, g.TimeZone, nil
			}
		}
		return "", "", agent.WithFix(
			fmt.Errorf("iiko terminal_groups: organization %s has no terminal group %s", org, id),
			"check connector.iiko.terminal_group_id in agent.yaml",
			"проверьте connector.iiko.terminal_group_id в agent.yaml")
	}
	switch len(all) {
	case 1:
		return all[0].ID, all[0].TimeZone, nil
	case 0:
		return "", "", agent.WithFix(
			fmt.Errorf("iiko terminal_groups: organization %s has no terminal group", org),
			"grant the API key the restaurant's terminal group in iikoWeb",
			"откройте ключу API группу касс ресторана в iikoWeb")
	}
	var names []string
	for _, g := range all {
		names = append(names, fmt.Sprintf("%s (%s)", g.ID, g.Name))
	}
	return "", "", agent.WithFix(
		fmt.Errorf("iiko terminal_groups: organization %s has %d terminal groups: %s",
			org, len(all), strings.Join(names, ", ")),
		"set connector.iiko.terminal_group_id in agent.yaml to one of them",
		"укажите одну из них в connector.iiko.terminal_group_id в agent.yaml")
}
