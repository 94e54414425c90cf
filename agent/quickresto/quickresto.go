// Package quickresto is the read-only connector to Quick Resto, a cloud RMS
// whose back office lives at https://<layer>.quickresto.ru. It reads the
// table schemes (halls and tables, with their capacity and busy flag)
// through the public API's list verb:
//
//	GET /platform/online/api/list?moduleName=front.tablemanagement
//	    &className=ru.edgex.quickresto.modules.front.tablemanagement.TableScheme
//
// with HTTP Basic credentials of the account's API login and password.
// Integrators disagree on the header: most send Authorization, one
// reports X-Authorization; Config.AuthHeader chooses, Authorization by
// default.
//
// What the connector makes of it:
//
//   - Halls are a scheme's halls (or webHalls); tables a scheme lists
//     outside any hall go to a hall named after the scheme, with the id
//     "scheme/<scheme id>". Deleted halls and tables are left out. Seats are
//     the table's maxCapacity; geometry (x, y, width, height) is the
//     table's Position.
//   - Quick Resto has no documented open-order state, but a table has
//     isBusy. A busy table shows as a synthetic open order "busy/<table id>"
//     so that availability treats the table as taken. Its OpenedAt is when
//     the connector first saw the table busy, remembered across polls (not
//     across restarts: a restarted agent sees it busy from then).
//   - Reservations: none. Quick Resto documents no reservation API (the
//     scheme's reservations field has no known shape), so the connector is
//     not an agent.ReservationWriter: bookings for a Quick Resto venue are
//     confirmed by its staff (manual confirmation) and entered by hand.
//
// Each Snapshot is one request.
package quickresto

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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
	DefaultRequestTimeout = 20 * time.Second
	// HeaderAuthorization and HeaderXAuthorization are the values of
	// Config.AuthHeader.
	HeaderAuthorization  = "authorization"
	HeaderXAuthorization = "x-authorization"
)

// The list call the connector makes.
const (
	listPath        = "/platform/online/api/list"
	tableModule     = "front.tablemanagement"
	tableSchemeName = "ru.edgex.quickresto.modules.front.tablemanagement.TableScheme"
	callList        = "list TableScheme"
)

// maxBody bounds an answer read from Quick Resto.
const maxBody = 16 << 20

// Config configures the connector to one Quick Resto account.
type Config struct {
	// Layer is the account name; the API is at https://<Layer>.quickresto.ru.
	Layer string
	// BaseURL overrides the address made from Layer (tests, proxies).
	BaseURL string
	// Login is the API login; Layer when empty.
	Login string
	// Password is the API password.
	Password string
	// TimeZone is the venue's IANA zone. Quick Resto writes UTC, so it is
	// unused until reservations are read; an unknown name is an error.
	TimeZone string
	// RequestTimeout bounds each call.
	RequestTimeout time.Duration
	// AuthHeader is HeaderAuthorization (default) or HeaderXAuthorization.
	AuthHeader string
	// Logger receives the connector's log; nil discards it.
	Logger *slog.Logger
	// HTTPClient is the client used; nil means a new one.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Connector reads one Quick Resto account. It is safe for concurrent use.
type Connector struct {
	listURL string
	header  string // the header name
	auth    string // its value
	timeout time.Duration
	http    *http.Client
	log     *slog.Logger
	now     func() time.Time

	mu        sync.Mutex
	busySince map[string]time.Time // guarded by mu; by table id
}

var _ agent.Connector = (*Connector)(nil)

// New checks cfg, reporting every problem at once. It does not call Quick
// Resto.
func New(cfg Config) (*Connector, error) {
	var errs []error
	base := cfg.BaseURL
	if base == "" && cfg.Layer != "" {
		base = "https://" + cfg.Layer + ".quickresto.ru"
	}
	switch u, err := url.Parse(base); {
	case base == "":
		errs = append(errs, errors.New("quickresto config: layer is empty"))
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		errs = append(errs, fmt.Errorf("quickresto config: address %q is not http(s)", base))
	}
	login := cmp.Or(cfg.Login, cfg.Layer)
	if login == "" || cfg.Password == "" {
		errs = append(errs, errors.New("quickresto config: login and password are needed"))
	}
	if cfg.TimeZone != "" {
		if _, err := time.LoadLocation(cfg.TimeZone); err != nil {
			errs = append(errs, fmt.Errorf("quickresto config: time zone %q: %v",
				cfg.TimeZone, err))
		}
	}
	header := "Authorization"
	switch strings.ToLower(cfg.AuthHeader) {
	case "", HeaderAuthorization:
	case HeaderXAuthorization:
		header = "X-Authorization"
	default:
		errs = append(errs, fmt.Errorf("quickresto config: auth header %q: use %s or %s",
			cfg.AuthHeader, HeaderAuthorization, HeaderXAuthorization))
	}
	if cfg.RequestTimeout < 0 {
		errs = append(errs, errors.New("quickresto config: request timeout is negative"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	q := url.Values{"moduleName": {tableModule}, "className": {tableSchemeName}}
	return &Connector{
		listURL: strings.TrimRight(base, "/") + listPath + "?" + q.Encode(),
		header:  header,
		auth: "Basic " + base64.StdEncoding.EncodeToString(
			[]byte(login+":"+cfg.Password)),
		timeout:   cmp.Or(cfg.RequestTimeout, DefaultRequestTimeout),
		http:      cfg.HTTPClient,
		log:       cfg.Logger.With("connector", "quickresto"),
		now:       cfg.Now,
		busySince: map[string]time.Time{},
	}, nil
}

// Kind returns "quickresto".
func (c *Connector) Kind() string { return "quickresto" }

// Snapshot reads the table schemes: halls, tables, and a synthetic open
// order on every busy table. It returns no reservations.
func (c *Connector) Snapshot(ctx context.Context) (agent.State, error) {
	b, err := c.list(ctx)
	if err != nil {
		return agent.State{}, err
	}
	schemes, err := decodeSchemes(b)
	if err != nil {
		return agent.State{}, err
	}
	st, busy := layout(schemes)

	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now().UTC().Truncate(time.Second)
	for id := range c.busySince {
		if !slices.Contains(busy, id) {
			delete(c.busySince, id)
		}
	}
	for _, id := range busy {
		since, ok := c.busySince[id]
		if !ok {
			since = now
			c.busySince[id] = since
		}
		st.Orders = append(st.Orders, wire.Order{
			ID: BusyOrderID(id), TableIDs: []string{id}, OpenedAt: since, Status: "busy",
		})
	}
	return st, nil
}

// BusyOrderID is the id of the synthetic order on a busy table.
func BusyOrderID(tableID string) string { return "busy/" + tableID }

func (c *Connector) list(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// TODO(#6): integrators call list with GET; check on a stand whether
	// the account needs POST (with a filters body) or paging for big schemes.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.listURL, nil)
	if err != nil {
		return nil, fmt.Errorf("quickresto %s: %w", callList, err)
	}
	req.Header.Set(c.header, c.auth)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, agent.WithFix(fmt.Errorf("quickresto %s: %w", callList, err),
			"check that this server reaches "+req.URL.Host+" (internet, proxy, firewall) "+
				"and that connector.quickresto.layer is the account name",
			"проверьте, что этот сервер видит "+req.URL.Host+" (интернет, прокси, "+
				"файрвол) и что connector.quickresto.layer — имя аккаунта")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("quickresto %s: read answer: %w", callList, err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("quickresto %s: answer larger than %d bytes", callList, maxBody)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, agent.WithFix(
			fmt.Errorf("quickresto %s: HTTP %d: login refused", callList, resp.StatusCode),
			"check connector.quickresto.login and password (STOLIK_QUICKRESTO_PASSWORD): "+
				"the API login and password from Quick Resto's back office; if they are "+
				"right, try auth_header: x-authorization",
			"проверьте connector.quickresto.login и password (STOLIK_QUICKRESTO_PASSWORD): "+
				"логин и пароль API из бэк-офиса Quick Resto; если они верны, "+
				"попробуйте auth_header: x-authorization")
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("quickresto %s: HTTP %d: %s", callList, resp.StatusCode,
			snippet(b))
	}
	return b, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	if s == "" {
		return "empty answer"
	}
	return fmt.Sprintf("%q", s)
}
