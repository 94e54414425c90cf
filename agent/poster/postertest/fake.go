// Package postertest is a fake of Poster's web API (joinposter.com/api),
// written from the documented shapes, for the connector's tests and the
// demo. It serves one account on a loopback httptest server, keeps spots,
// halls, tables, open checks and reservations that change as staff would
// change them, counts requests per call, and has a knob for every fault the
// connector must survive: token errors, in-band error codes, HTTP errors,
// malformed bodies, slow answers, answers lost after the work was done,
// and the whole API being down.
//
// Like Poster, the fake keeps the table of every reservation but does not
// return it in incomingOrders.getReservations; Reservations shows it.
package postertest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// Poster's error codes, as the fake answers them.
const (
	CodeTokenMissing = 10
	CodeTokenInvalid = 11
	CodeTokenExpired = 12
	CodeNotFound     = 32
	CodeEmptyField   = 34
	CodeBadRequest   = 400
	CodeUnknown      = 404
	CodeTariffLimit  = 700
)

const localLayout = "2006-01-02 15:04:05"

// Options shape a fake account. The zero value is valid.
type Options struct {
	// Token is the token the fake accepts; "test-token" when empty.
	Token string
	// TimeZone is the account's zone; Europe/Moscow when empty.
	TimeZone string
	// Halls and TablesPerHall size the one spot (2 and 4 when zero).
	Halls, TablesPerHall int
	// Spots is the number of spots in the account (1 when zero); the
	// halls and tables belong to the first one.
	Spots int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Table is a table of the fake spot.
type Table struct {
	ID, HallID, Num, Title string
	Capacity               int
	X, Y, W, H             float64
	Deleted                bool
}

type hall struct{ id, name string }

type check struct {
	id, table string
	guests    int
	start     time.Time
}

type reservation struct {
	id, spot, table            string
	status                     int
	firstName, lastName, phone string
	comment                    string
	start                      time.Time
	duration                   time.Duration
	guests                     int
	created, updated           time.Time
}

type fault struct {
	code      int    // in-band error code
	message   string // with code
	status    int    // HTTP status with a non-JSON body
	malformed bool
}

// Fake is a fake Poster account. It is safe for concurrent use.
type Fake struct {
	srv *httptest.Server
	loc *time.Location
	now func() time.Time

	mu       sync.Mutex
	token    string // guarded by mu
	expired  bool
	down     bool
	slow     time.Duration
	lose     int  // write answers still to lose
	noTariff bool // reservations refused with code 700
	faults   map[string][]fault
	counts   map[string]int

	spots  []string // spot ids; the first holds the halls
	halls  []hall
	tables []*Table
	checks map[string]*check
	res    map[string]*reservation
	nextID int
}

// New starts a fake account on 127.0.0.1. Close it when done.
func New(o Options) (*Fake, error) {
	o.Token = cmp.Or(o.Token, "test-token")
	loc, err := time.LoadLocation(cmp.Or(o.TimeZone, "Europe/Moscow"))
	if err != nil {
		return nil, fmt.Errorf("postertest: time zone: %w", err)
	}
	if o.Halls < 0 || o.TablesPerHall < 0 || o.Spots < 0 {
		return nil, fmt.Errorf("postertest: negative size")
	}
	o.Halls, o.TablesPerHall, o.Spots = cmp.Or(o.Halls, 2), cmp.Or(o.TablesPerHall, 4),
		cmp.Or(o.Spots, 1)
	if o.Now == nil {
		o.Now = time.Now
	}
	f := &Fake{
		loc: loc, now: o.Now, token: o.Token,
		faults: map[string][]fault{}, counts: map[string]int{},
		checks: map[string]*check{}, res: map[string]*reservation{}, nextID: 100,
	}
	for i := 1; i <= o.Spots; i++ {
		f.spots = append(f.spots, strconv.Itoa(i))
	}
	n := 0
	for h := 1; h <= o.Halls; h++ {
		id := strconv.Itoa(h)
		f.halls = append(f.halls, hall{id: id, name: fmt.Sprintf("Зал %d", h)})
		for i := 0; i < o.TablesPerHall; i++ {
			n++
			f.tables = append(f.tables, &Table{
				ID: strconv.Itoa(n), HallID: id, Num: strconv.Itoa(n),
				Title: fmt.Sprintf("Стол %d", n), Capacity: 2 + 2*(i%3),
				X: float64(60 * i), Y: float64(80 * (h - 1)), W: 50, H: 50,
			})
		}
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f, nil
}

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

// URL is the API's base address, as connector.poster.base_url takes it.
func (f *Fake) URL() string { return f.srv.URL + "/api" }

// Token is the token the fake accepts now.
func (f *Fake) Token() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.token
}

// SpotID is the spot holding the halls and tables.
func (f *Fake) SpotID() string { return f.spots[0] }

// Location is the account's time zone.
func (f *Fake) Location() *time.Location { return f.loc }

// Tables lists the tables, deleted ones included.
func (f *Fake) Tables() []Table {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Table, 0, len(f.tables))
	for _, t := range f.tables {
		out = append(out, *t)
	}
	return out
}

// AddTable adds a table to a hall and returns its id.
func (f *Fake) AddTable(hallID string, capacity int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.newID()
	f.tables = append(f.tables, &Table{
		ID: id, HallID: hallID, Num: id, Title: "Стол " + id, Capacity: capacity,
	})
	return id
}

// DeleteTable marks a table deleted.
func (f *Fake) DeleteTable(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.table(id); t != nil {
		t.Deleted = true
	}
}

// OpenCheck opens a check on a table, as a waiter does, and returns its id.
func (f *Fake) OpenCheck(tableID string, guests int) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.table(tableID) == nil {
		return "", fmt.Errorf("postertest: no table %s", tableID)
	}
	id := f.newID()
	f.checks[id] = &check{id: id, table: tableID, guests: guests,
		start: f.now().Truncate(time.Millisecond)}
	return id, nil
}

// CloseCheck closes (pays) a check.
func (f *Fake) CloseCheck(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.checks[id] == nil {
		return fmt.Errorf("postertest: no open check %s", id)
	}
	delete(f.checks, id)
	return nil
}

// AddReservation records a reservation made at the till on r.TableIDs[0]
// and returns its id. Start, Duration, Guests, Name, Phone and Comment are
// used.
func (f *Fake) AddReservation(r wire.Reservation) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(r.TableIDs) != 1 || f.table(r.TableIDs[0]) == nil {
		return "", fmt.Errorf("postertest: reservation needs one known table, got %v",
			r.TableIDs)
	}
	now := f.now()
	x := &reservation{
		id: f.newID(), spot: f.spots[0], table: r.TableIDs[0], status: 1,
		firstName: r.Name, phone: r.Phone, comment: r.Comment,
		start: r.Start.Truncate(time.Second), duration: time.Duration(r.Duration),
		guests: r.Guests, created: now, updated: now,
	}
	f.res[x.id] = x
	return x.id, nil
}

// SetReservationStatus changes a reservation's status as staff do on the
// terminal: 1 accepted, 7 cancelled.
func (f *Fake) SetReservationStatus(id string, status int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.res[id]
	if r == nil {
		return fmt.Errorf("postertest: no reservation %s", id)
	}
	r.status, r.updated = status, f.now()
	return nil
}

// Reservations lists every reservation with its table, cancelled ones
// included (with status cancelled), by id.
func (f *Fake) Reservations() []wire.Reservation {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wire.Reservation
	for _, r := range f.res {
		st := wire.ReservationNew
		switch r.status {
		case 1:
			st = wire.ReservationConfirmed
		case 7:
			st = wire.ReservationCancelled
		}
		name := r.firstName
		if r.lastName != "" {
			name += " " + r.lastName
		}
		out = append(out, wire.Reservation{
			ID: r.id, TableIDs: []string{r.table}, Start: r.start.UTC(),
			Duration: wire.Duration(r.duration), Guests: r.guests, Name: name,
			Phone: r.phone, Comment: r.comment, Status: st,
		})
	}
	slices.SortFunc(out, func(a, b wire.Reservation) int { return cmpID(a.ID, b.ID) })
	return out
}

// Checks lists the open checks' ids by table id.
func (f *Fake) Checks() map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for _, c := range f.checks {
		out[c.table] = append(out[c.table], c.id)
	}
	for _, ids := range out {
		sort.Strings(ids)
	}
	return out
}

// table returns the table with id, or nil; f.mu must be held.
func (f *Fake) table(id string) *Table {
	for _, t := range f.tables {
		if t.ID == id && !t.Deleted {
			return t
		}
	}
	return nil
}

// newID returns a fresh numeric id; f.mu must be held.
func (f *Fake) newID() string {
	f.nextID++
	return strconv.Itoa(f.nextID)
}

func cmpID(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}
