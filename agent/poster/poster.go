// Package poster is the connector to Poster (joinposter.com), a cloud RMS.
// It reads a spot's halls and tables, its open checks (as orders) and its
// reservations through Poster's web API with a personal integration token,
// and writes reservations with incomingOrders.createReservation.
//
// What Poster's API does not do, and how the connector copes:
//
//   - Reservation objects carry no table. The connector keeps its own map
//     from the reservations it created to their tables, in a small JSON file
//     (Config.MapFile). A reservation made at the Poster till has no entry:
//     its table is the one getTablesForReservation leaves out at its slot
//     that no other reservation explains (see placeTill); when several
//     could be its, it holds them all, and when none can be found it shows
//     with no table and blocks none.
//   - There is no idempotency key. The comment of every reservation the
//     connector writes ends with "[stolik:<booking id>]" (taken off again
//     when read), and before creating, the connector looks the booking up
//     among the reservations at the same time, by that mark or else by the
//     phone number, so a create retried after a lost answer is not written
//     twice.
//   - There is no cancel. CancelReservation returns an error wrapping
//     agent.ErrUnsupported that asks staff to cancel it on the Poster
//     terminal; the connector then follows the reservation's status 7
//     (cancelled) like any change made at the till.
//   - Times are account-local "Y-m-d H:i:s" (Config.TimeZone); checks'
//     date_start is in milliseconds since the epoch.
//   - Tables have no seat count; it is learned from
//     incomingOrders.getTablesForReservation (table_capacity) at three hours
//     of tomorrow when the layout is read, with Config.Seats for tables
//     never seen there (SeatsUnknown lists them; check reports them).
//   - Occupancy comes from the open checks (dash.getTransactions status 1),
//     which carry the guests and the opening time. A table's own status
//     (2: open orders) is not used: tables are read only every LayoutEvery.
//   - Tokens live two years and cannot be renewed by the API: an expired or
//     revoked token is an error saying how to make a new one.
//
// Halls and tables change rarely, so they are read every Config.LayoutEvery
// (and at once when a check names a table not seen yet); each Snapshot reads
// open checks and reservations: two requests per poll on an idle venue.
package poster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Defaults for the zero fields of a Config.
const (
	DefaultBaseURL        = "https://joinposter.com/api"
	DefaultSeats          = 4
	DefaultWindowAhead    = 14 * 24 * time.Hour
	DefaultRequestTimeout = 20 * time.Second
	DefaultLayoutEvery    = 10 * time.Minute
	// MinDuration is the shortest reservation Poster accepts.
	MinDuration = 30 * time.Minute
	// lookBack is how far before now reservations are read: one that
	// started a little ago still holds its table.
	lookBack = 2 * time.Hour
)

// Config configures the connector to one Poster spot.
type Config struct {
	// BaseURL is the API's base, DefaultBaseURL when empty.
	BaseURL string
	// Token is a personal integration token (Access -> Integrations).
	Token string
	// SpotID is the venue in the account; empty works when the account
	// has exactly one spot.
	SpotID string
	// Account is the account's name (https://<account>.joinposter.com),
	// reported to the hub, which routes Poster's webhooks by it. Empty
	// takes it from BaseURL when that is such an address.
	Account string
	// TimeZone is the account's IANA time zone, e.g. Europe/Moscow.
	TimeZone string
	// Seats is the seat count of a table Poster gives none for.
	Seats int
	// WindowAhead is how far ahead reservations are read.
	WindowAhead time.Duration
	// RequestTimeout bounds each call to Poster.
	RequestTimeout time.Duration
	// LayoutEvery is how often halls and tables are read again.
	LayoutEvery time.Duration
	// MapFile keeps the table of each reservation the connector created;
	// empty keeps it in memory only.
	MapFile string
	// Logger receives the connector's log; nil discards it.
	Logger *slog.Logger
	// HTTPClient is the client used; nil means a new one.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Connector reads and writes one Poster spot. It is safe for concurrent
// use.
type Connector struct {
	cfg  Config
	loc  *time.Location
	api  *client
	log  *slog.Logger
	now  func() time.Time
	tmap *tableMap

	mu      sync.Mutex // guards the fields below; held across the layout read
	spotID  string
	layout  *layout
	seats   map[string]int // learned table capacities, by table id
	freeErr string         // the last getTablesForReservation error logged

	createMu sync.Mutex // one create at a time, so a retry sees the first

	tillMu sync.Mutex // guards till
	till   tillPlacer
}

var (
	_ agent.Connector         = (*Connector)(nil)
	_ agent.ReservationWriter = (*Connector)(nil)
	_ agent.AccountNamer      = (*Connector)(nil)
)

// layout is the halls and tables read at one time.
type layout struct {
	halls  []wire.Hall
	tables []wire.Table
	ids    map[string]bool
	readAt time.Time
}

// New checks cfg, reporting every problem at once, and opens the map file.
// It does not call Poster.
func New(cfg Config) (*Connector, error) {
	var errs []error
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || u.Host == "" ||
		(u.Scheme != "http" && u.Scheme != "https") {
		errs = append(errs, fmt.Errorf("poster config: base url %q is not an http(s) address",
			cfg.BaseURL))
	}
	if cfg.Token == "" {
		errs = append(errs, errors.New("poster config: token is empty"))
	}
	var loc *time.Location
	if cfg.TimeZone == "" {
		errs = append(errs, errors.New("poster config: time zone is empty; "+
			"name the account's zone, e.g. Europe/Moscow"))
	} else if l, err := time.LoadLocation(cfg.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("poster config: time zone %q: %v", cfg.TimeZone, err))
	} else {
		loc = l
	}
	if cfg.Seats < 0 || cfg.WindowAhead < 0 || cfg.RequestTimeout < 0 || cfg.LayoutEvery < 0 {
		errs = append(errs, errors.New("poster config: seats, window ahead, request "+
			"timeout and layout interval cannot be negative"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.Seats = cmp.Or(cfg.Seats, DefaultSeats)
	cfg.WindowAhead = cmp.Or(cfg.WindowAhead, DefaultWindowAhead)
	cfg.RequestTimeout = cmp.Or(cfg.RequestTimeout, DefaultRequestTimeout)
	cfg.LayoutEvery = cmp.Or(cfg.LayoutEvery, DefaultLayoutEvery)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tmap, err := openTableMap(cfg.MapFile)
	if err != nil {
		return nil, err
	}
	return &Connector{
		cfg: cfg, loc: loc, now: cfg.Now, tmap: tmap,
		log:    cfg.Logger.With("connector", "poster"),
		spotID: cfg.SpotID,
		seats:  map[string]int{},
		api: &client{
			base:  strings.TrimRight(cfg.BaseURL, "/"),
			token: cfg.Token, http: cfg.HTTPClient, timeout: cfg.RequestTimeout,
		},
	}, nil
}

// Kind returns "poster".
func (c *Connector) Kind() string { return "poster" }

// Account returns Config.Account, or the account in an
// <account>.joinposter.com base URL, or "".
func (c *Connector) Account() string {
	if c.cfg.Account != "" {
		return c.cfg.Account
	}
	u, err := url.Parse(c.cfg.BaseURL)
	if err != nil {
		return ""
	}
	name, ok := strings.CutSuffix(strings.ToLower(u.Hostname()), ".joinposter.com")
	if !ok || name == "" || strings.Contains(name, ".") {
		return ""
	}
	return name
}

// Snapshot reads the spot's halls and tables (from the layout cache when
// fresh), open checks and reservations from two hours ago to
// Config.WindowAhead ahead.
func (c *Connector) Snapshot(ctx context.Context) (agent.State, error) {
	spot, err := c.spot(ctx)
	if err != nil {
		return agent.State{}, err
	}
	lay, err := c.readLayout(ctx, spot, false)
	if err != nil {
		return agent.State{}, err
	}
	orders, unknown, err := c.orders(ctx, spot, lay)
	if err != nil {
		return agent.State{}, err
	}
	if unknown {
		// A check on a table added since the layout was read.
		if lay, err = c.readLayout(ctx, spot, true); err != nil {
			return agent.State{}, err
		}
		if orders, _, err = c.orders(ctx, spot, lay); err != nil {
			return agent.State{}, err
		}
	}
	res, err := c.reservations(ctx, spot, lay)
	if err != nil {
		return agent.State{}, err
	}
	return agent.State{
		Halls: slices.Clone(lay.halls), Tables: slices.Clone(lay.tables),
		Orders: orders, Reservations: res,
	}, nil
}

// spot returns the configured spot, or the account's only one.
func (c *Connector) spot(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spotID != "" {
		return c.spotID, nil
	}
	raw, err := c.api.get(ctx, callSpots, nil)
	if err != nil {
		return "", c.explain(err, false)
	}
	spots, err := decodeList[Spot](callSpots, raw)
	if err != nil {
		return "", err
	}
	switch len(spots) {
	case 0:
		return "", fmt.Errorf("poster %s: the account has no spots", callSpots)
	case 1:
		c.spotID = string(spots[0].ID)
		return c.spotID, nil
	}
	var names []string
	for _, s := range spots {
		names = append(names, fmt.Sprintf("%s (%s)", s.ID, s.Name))
	}
	return "", agent.WithFix(
		fmt.Errorf("poster %s: the account has %d spots", callSpots, len(spots)),
		"set connector.poster.spot_id to one of: "+strings.Join(names, ", "),
		"укажите connector.poster.spot_id, одно из: "+strings.Join(names, ", "))
}

// readLayout returns the halls and tables, read again when older than
// Config.LayoutEvery or when force is set.
func (c *Connector) readLayout(ctx context.Context, spot string, force bool) (*layout, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !force && c.layout != nil && now.Sub(c.layout.readAt) < c.cfg.LayoutEvery {
		return c.layout, nil
	}

	q := url.Values{"spot_id": {spot}}
	raw, err := c.api.get(ctx, callHalls, q)
	if err != nil {
		return nil, c.explain(err, false)
	}
	halls, err := decodeList[Hall](callHalls, raw)
	if err != nil {
		return nil, err
	}
	lay := &layout{ids: map[string]bool{}, readAt: now}
	var hallIDs []string
	slices.SortStableFunc(halls, func(a, b Hall) int { return cmp.Compare(a.Order, b.Order) })
	for _, h := range halls {
		if h.Delete != 0 || (h.SpotID != "" && string(h.SpotID) != spot) {
			continue
		}
		if h.ID == "" {
			return nil, fmt.Errorf("poster %s: hall without hall_id", callHalls)
		}
		lay.halls = append(lay.halls, wire.Hall{ID: string(h.ID), Name: h.Name})
		hallIDs = append(hallIDs, string(h.ID))
	}

	var tables []Table
	for _, hall := range hallIDs {
		q := url.Values{"spot_id": {spot}, "hall_id": {hall}, "without_deleted": {"1"}}
		raw, err := c.api.get(ctx, callTables, q)
		if err != nil {
			return nil, c.explain(err, false)
		}
		ts, err := decodeList[Table](callTables, raw)
		if err != nil {
			return nil, err
		}
		for i := range ts {
			if ts[i].HallID == "" {
				ts[i].HallID = text(hall)
			}
		}
		tables = append(tables, ts...)
	}
	c.learnSeats(ctx, spot, now)

	for _, t := range tables {
		if t.IsDeleted != 0 {
			continue
		}
		if t.ID == "" {
			return nil, fmt.Errorf("poster %s: table without table_id", callTables)
		}
		if lay.ids[string(t.ID)] {
			continue // listed under two halls: keep the first
		}
		lay.ids[string(t.ID)] = true
		wt := wire.Table{
			ID: string(t.ID), HallID: string(t.HallID), Number: string(t.Num),
			Name: t.Title, Seats: cmp.Or(c.seats[string(t.ID)], c.cfg.Seats),
		}
		if t.X != 0 || t.Y != 0 || t.Width != 0 || t.Height != 0 {
			wt.Position = &wire.Position{
				X: float64(t.X), Y: float64(t.Y), W: float64(t.Width), H: float64(t.Height),
			}
		}
		lay.tables = append(lay.tables, wt)
	}
	slices.SortFunc(lay.tables, func(a, b wire.Table) int { return strings.Compare(a.ID, b.ID) })
	c.layout = lay
	return lay, nil
}

// learnHours are the local hours of tomorrow at which learnSeats asks for
// free tables: a table reserved at one of them is seen at another, and most
// venues are open at some of them. A slot Poster refuses (a closed hour,
// perhaps) is skipped.
var learnHours = []int{13, 16, 19}

// learnSeats asks which tables are free for a short slot at each of
// learnHours tomorrow, only to learn their capacities (tables busy at all of
// them keep what was learned before, or Config.Seats). It fails quietly
// (one log line per new error). c.mu must be held.
func (c *Connector) learnSeats(ctx context.Context, spot string, now time.Time) {
	day := now.In(c.loc).AddDate(0, 0, 1)
	var firstErr error
	answered := 0
	for _, h := range learnHours {
		at := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, c.loc)
		free, err := c.freeTables(ctx, spot, at, MinDuration, 1)
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		answered++
		for _, t := range free {
			if t.Capacity > 0 && t.ID != "" {
				c.seats[string(t.ID)] = int(t.Capacity)
			}
		}
	}
	if answered == 0 {
		if firstErr.Error() != c.freeErr {
			c.freeErr = firstErr.Error()
			c.log.Warn("cannot learn table capacities; using the configured seats",
				"seats", c.cfg.Seats, "err", firstErr)
		}
		return
	}
	c.freeErr = ""
}

// SeatsUnknown returns the numbers of the tables whose seat count Poster
// never gave (they have Config.Seats), as of the last layout read.
func (c *Connector) SeatsUnknown() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	if c.layout != nil {
		for _, t := range c.layout.tables {
			if _, ok := c.seats[t.ID]; !ok {
				out = append(out, cmp.Or(t.Number, t.ID))
			}
		}
	}
	return out
}

// orders reads the open checks on the spot's tables. unknown is set when a
// check is on a table the layout does not have.
func (c *Connector) orders(ctx context.Context, spot string, lay *layout) (
	[]wire.Order, bool, error) {
	// TODO(#6): check on a stand whether dash.getTransactions without
	// dateFrom lists a check opened before midnight that is still open.
	q := url.Values{"status": {"1"}, "spot_id": {spot}}
	raw, err := c.api.get(ctx, callTransactions, q)
	if err != nil {
		return nil, false, c.explain(err, false)
	}
	txs, err := decodeList[Transaction](callTransactions, raw)
	if err != nil {
		return nil, false, err
	}
	var orders []wire.Order
	unknown := false
	for _, tx := range txs {
		if tx.ID == "" {
			return nil, false, fmt.Errorf("poster %s: check without transaction_id",
				callTransactions)
		}
		// A check without a table (take-away) occupies none; status 1 is
		// open, the filter notwithstanding.
		if tx.TableID == "" || tx.TableID == "0" || tx.Status != 1 ||
			(tx.SpotID != "" && string(tx.SpotID) != spot) {
			continue
		}
		if !lay.ids[string(tx.TableID)] {
			unknown = true
			continue
		}
		if tx.DateStart <= 0 {
			return nil, false, fmt.Errorf("poster %s: check %s has date_start %d",
				callTransactions, tx.ID, tx.DateStart)
		}
		orders = append(orders, wire.Order{
			ID: string(tx.ID), TableIDs: []string{string(tx.TableID)},
			OpenedAt: time.UnixMilli(int64(tx.DateStart)).UTC(),
			Guests:   int(tx.GuestsCount), Status: "open",
		})
	}
	return orders, unknown, nil
}

// reservations reads the reservations from two hours ago to WindowAhead
// ahead, with tables from the connector's map, or for those made at the
// till, the tables Poster holds for them (placeTill).
func (c *Connector) reservations(ctx context.Context, spot string, lay *layout) (
	[]wire.Reservation, error) {
	now := c.now()
	rs, err := c.listReservations(ctx, now.Add(-lookBack), now.Add(c.cfg.WindowAhead))
	if err != nil {
		return nil, err
	}
	var out []wire.Reservation
	for _, r := range rs {
		if r.SpotID != "" && string(r.SpotID) != spot {
			continue
		}
		w, err := c.toWire(r)
		if err != nil {
			return nil, fmt.Errorf("poster %s: %w", callReservations, err)
		}
		if len(w.TableIDs) == 1 && !lay.ids[w.TableIDs[0]] {
			w.TableIDs = []string{} // the table was removed since
		}
		out = append(out, w)
	}
	c.placeTill(ctx, spot, lay, out)
	return out, nil
}

func (c *Connector) listReservations(ctx context.Context, from, to time.Time) (
	[]Reservation, error) {
	q := url.Values{"date_from": {formatLocal(from, c.loc)}, "date_to": {formatLocal(to, c.loc)}}
	raw, err := c.api.get(ctx, callReservations, q)
	if err != nil {
		return nil, c.explain(err, false)
	}
	rs, err := decodeList[Reservation](callReservations, raw)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.ID == "" {
			return nil, fmt.Errorf("poster %s: reservation without incoming_order_id",
				callReservations)
		}
	}
	return rs, nil
}

// toWire converts r with the table and booking the map holds for it.
func (c *Connector) toWire(r Reservation) (wire.Reservation, error) {
	p, _ := c.tmap.get(string(r.ID))
	return r.toWire(c.loc, p.TableID, p.BookingID)
}

// explain adds the next step to an *APIError; other errors pass.
func (c *Connector) explain(err error, write bool) error {
	var ae *APIError
	if errors.As(err, &ae) {
		return explain(ae, write)
	}
	return err
}
