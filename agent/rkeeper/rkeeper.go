// Package rkeeper is the connector to R-Keeper 7 through the XML interface
// of the venue's cash server: RK7Query documents posted over HTTPS with
// HTTP Basic auth.
//
// Reading: halls and tables come from GetRefData HALLPLANS and TABLES,
// cached and re-read only when a reference's DataVersion changes (asked
// for every RefCheck with a zero-item GetRefData). Open orders come from
// GetOrderList with lastversion, so an idle venue costs one cheap
// "No changes" answer per poll; when it did change, GetOrderList2 gives
// the reserve orders (openTime, duration, holder, ExternalProps) that
// R-Keeper uses for table reservations.
//
// Writing: a reservation is CreateOrder on the table followed by
// UpdateOrder with the start, duration, holder (name and phone), comment
// and our booking id in the ExternalProps prop tg_booking_id. The order
// is marked with our booking id in its persistent comment from the first
// step, so a retry after a lost answer finds what the first attempt made
// and finishes it instead of making a second one; if the second step is
// refused, the half-made order is voided. Cancelling is VoidOrder with the
// configured manager and void reason.
//
// The cash server's certificate is self-signed; the connector pins its
// SHA-256 fingerprint. Our ids are R-Keeper GUIDs, lowercase and without
// braces.
//
// Parts of this are inferred from the public material, not verified on a
// till, and configurable where they may differ: the TABLES attribute with
// the seat count (SeatsAttribute, MaxGuests by default); the wire form of
// a reserve's duration (read in every form seen, written per
// DurationFormat); that UpdateOrder with openTime and duration makes an
// order a reserve; that GetRefData with ItemCount="0" answers the
// DataVersion alone (if it does not, the reference is re-read every
// RefCheck); and that references in write commands are named by code.
package rkeeper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	// The venue's zone must load on a Windows cash server too, where Go's
	// zone database is not installed.
	_ "time/tzdata"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Config configures a Connector. The zero values of the optional fields
// take the defaults named on them.
type Config struct {
	// URL is the XML interface, https://host:port/rk7api/v0/xmlinterface.xml.
	URL      string
	User     string
	Password string
	// CertSHA256 is the pinned certificate fingerprint (see
	// ParseFingerprint). Required.
	CertSHA256 string
	// Location is the venue's time zone; the till speaks local time.
	Location *time.Location
	// Codes of references written into CreateOrder and VoidOrder; empty
	// ones are left out of the request.
	Station, Waiter, Manager, DeleteReason, OrderType, GuestType string
	// SeatsAttribute is the TABLES attribute holding the seat count
	// (default MaxGuests).
	SeatsAttribute string
	// DurationFormat is DurationAuto (default), DurationMinutes or
	// DurationHHMM.
	DurationFormat string
	// WindowAhead bounds how far ahead reservations are reported (default
	// 30 days).
	WindowAhead time.Duration
	// RefCheck is how often reference versions are checked (default 1m).
	RefCheck time.Duration
	// RequestTimeout bounds each request (default 15s).
	RequestTimeout time.Duration
	// Logger gets warnings about odd data; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Kind is the connector kind in the agent's config.
const Kind = "rkeeper"

// BookingProp is the ExternalProps name that carries our booking id on a
// reserve order.
const BookingProp = "tg_booking_id"

// fallbackDuration stands in for a reserve whose duration cannot be read,
// so that the table still shows as blocked.
const fallbackDuration = 2 * time.Hour

var (
	_ agent.ReservationWriter  = (*Connector)(nil)
	_ agent.ReservationUpdater = (*Connector)(nil)
)

// Connector reads and writes one venue's R-Keeper 7 cash server. It is
// safe for concurrent use; calls to the server are made one at a time.
type Connector struct {
	cfg Config
	c   client
	log *slog.Logger
	now func() time.Time

	mu sync.Mutex // guards everything below and serializes calls to the till
	// Reference data, with the DataVersion each was read at.
	refs      refCache
	refLoaded bool
	refAt     time.Time // when reference versions were last checked
	// Orders as of lastVersion.
	lastVersion string
	orders      []order
	reserves    []reserve
}

// New checks cfg and returns a connector. It does not contact the server.
func New(cfg Config) (*Connector, error) {
	pin, err := ParseFingerprint(cfg.CertSHA256)
	if err != nil {
		return nil, fmt.Errorf("rkeeper: %w", err)
	}
	if cfg.URL == "" || cfg.Location == nil {
		return nil, errors.New("rkeeper: url and time zone are required")
	}
	if cfg.SeatsAttribute == "" {
		cfg.SeatsAttribute = "MaxGuests"
	}
	switch cfg.DurationFormat {
	case "":
		cfg.DurationFormat = DurationAuto
	case DurationAuto, DurationMinutes, DurationHHMM:
	default:
		return nil, fmt.Errorf("rkeeper: duration format %q: use auto, minutes or hhmm",
			cfg.DurationFormat)
	}
	if cfg.WindowAhead <= 0 {
		cfg.WindowAhead = 30 * 24 * time.Hour
	}
	if cfg.RefCheck <= 0 {
		cfg.RefCheck = time.Minute
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	tr := &http.Transport{
		TLSClientConfig:     pinnedTLS(pin),
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: cfg.RequestTimeout,
	}
	return &Connector{
		cfg: cfg,
		c: client{url: cfg.URL, user: cfg.User, password: cfg.Password,
			http: &http.Client{Transport: tr}, timeout: cfg.RequestTimeout},
		log: log.With("connector", Kind),
		now: now,
	}, nil
}

// Kind returns "rkeeper".
func (c *Connector) Kind() string { return Kind }

// Close releases idle connections to the cash server.
func (c *Connector) Close() error {
	c.c.http.CloseIdleConnections()
	return nil
}

// Snapshot reads the venue: reference data when its version changed (or
// is due a check), and open orders unless the server says there are no
// changes since the last read. Errors name the failing command.
func (c *Connector) Snapshot(ctx context.Context) (agent.State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refreshRefs(ctx, false); err != nil {
		return agent.State{}, err
	}
	if err := c.refreshOrders(ctx); err != nil {
		return agent.State{}, err
	}
	return c.state(), nil
}

// state builds the venue from the caches. Orders and reservations on a
// table the references do not know are left out.
func (c *Connector) state() agent.State {
	st := agent.State{
		Halls:  slices.Clone(c.refs.halls),
		Tables: slices.Clone(c.refs.tables),
	}
	for _, o := range c.orders {
		ids := c.refs.tableIDs(o.tables)
		if len(ids) == 0 {
			continue
		}
		st.Orders = append(st.Orders, wire.Order{ID: o.id, TableIDs: ids,
			OpenedAt: o.opened.UTC(), Guests: o.guests, Status: o.status})
	}
	until := c.now().Add(c.cfg.WindowAhead)
	for _, r := range c.reserves {
		ids := c.refs.tableIDs([]string{r.table})
		if len(ids) == 0 || r.bad != nil || r.res.Start.After(until) {
			continue
		}
		res := r.res
		res.TableIDs = ids
		st.Reservations = append(st.Reservations, res)
	}
	return st
}
