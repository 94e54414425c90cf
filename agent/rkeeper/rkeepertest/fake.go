// Package rkeepertest is a fake R-Keeper 7 cash server: the XML interface
// (RK7Query over HTTPS with Basic auth) on a loopback httptest server with
// a self-signed certificate, written from the documented shapes of
// GetRefData, GetOrderList, GetOrderList2, CreateOrder, UpdateOrder and
// VoidOrder.
//
// It keeps halls, tables and orders (reserve orders included), each
// reference with a DataVersion and the orders with a version answered by
// "No changes" when the client's lastversion is current. Knobs inject the
// faults a real till shows: in-band error statuses, HTTP errors, slow and
// malformed answers, an answer lost after the work was done, an expired
// login, and a server that is down. Activity drives a venue for the demo.
package rkeepertest

import (
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// Options shape a fake venue; zero values take the defaults named.
type Options struct {
	// User and Password are the Basic auth credentials (stolik, secret).
	User, Password string
	// Location is the till's time zone (Europe/Moscow).
	Location *time.Location
	// Halls and TablesPerHall size the venue (2 and 4).
	Halls, TablesPerHall int
	// SeatsAttribute is the TABLES attribute holding seats (MaxGuests).
	SeatsAttribute string
	// DurationForm is how the fake writes durations of reserves it makes
	// itself: "datetime" (1899-12-30T02:00:00, default), "minutes" or
	// "hhmm".
	DurationForm string
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Fake is a running fake cash server. Its methods are safe for concurrent
// use; ids they take and return are in our form (lowercase GUIDs without
// braces).
type Fake struct {
	srv  *httptest.Server
	fp   [32]byte
	opts Options

	mu         sync.Mutex // guards everything below
	halls      []*item
	tables     []*item
	refVersion map[string]int
	orders     map[string]*order // by guid
	nextVisit  int
	nextOrder  int
	nextGUID   int
	version    int // order list version, for lastversion
	counts     map[string]int
	total      int
	// knobs
	down       bool
	slow       time.Duration
	expire     int // answer this many requests with 401
	failHTTP   []int
	malformed  int
	loseNext   string // "": none, "*": the next write command, or a command's name
	failCmd    map[string][]Fault
	lockReason map[string]string // order guid -> why VoidOrder is refused
}

// item is a reference item: a hall or a table.
type item struct {
	ident, code int
	name, guid  string
	hall        int // tables: the hall's ident
	seats       int
}

// order is an open order on a table; reserve orders carry openTime,
// duration and holder.
type order struct {
	guid, visitGUID string
	visit, ident    int
	table           *item
	created         time.Time
	guests          int
	comment         string
	reserve         bool
	openTime        string // local, as written
	duration        string // as written
	holder          string
	props           map[string]string
	bill            bool
}

// Fault is an in-band error the fake answers a command with: HTTP 200 and
// this Status.
type Fault struct {
	Status string // e.g. Query Executing Error
	Code   string // RK7ErrorN
	Text   string
}

// New starts a fake venue. Close it when done.
func New(o Options) (*Fake, error) {
	if o.User == "" {
		o.User, o.Password = "stolik", "secret"
	}
	if o.Location == nil {
		loc, err := time.LoadLocation("Europe/Moscow")
		if err != nil {
			return nil, fmt.Errorf("rkeepertest: %w", err)
		}
		o.Location = loc
	}
	if o.Halls <= 0 {
		o.Halls = 2
	}
	if o.TablesPerHall <= 0 {
		o.TablesPerHall = 4
	}
	if o.SeatsAttribute == "" {
		o.SeatsAttribute = "MaxGuests"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cert, fp, err := selfSigned()
	if err != nil {
		return nil, fmt.Errorf("rkeepertest: %w", err)
	}
	f := &Fake{
		fp: fp, opts: o, refVersion: map[string]int{"HALLPLANS": 1, "TABLES": 1},
		orders: map[string]*order{}, counts: map[string]int{}, failCmd: map[string][]Fault{},
		lockReason: map[string]string{}, nextVisit: 482391000, nextOrder: 100, version: 5000,
	}
	names := []string{"Основной зал", "Веранда", "Терраса", "Банкетный зал"}
	code := 1
	for h := range o.Halls {
		name := fmt.Sprintf("Зал %d", h+1)
		if h < len(names) {
			name = names[h]
		}
		hall := &item{ident: 1000002 + h, code: h + 1, name: name, guid: f.newGUID()}
		f.halls = append(f.halls, hall)
		for range o.TablesPerHall {
			f.tables = append(f.tables, &item{ident: 1000010 + code, code: code,
				name: strconv.Itoa(code), guid: f.newGUID(), hall: hall.ident,
				seats: 2 + 2*(code%3)})
			code++
		}
	}
	f.srv = httptest.NewUnstartedServer(f)
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	// Refused handshakes (a client with the wrong pin) are expected here.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.StartTLS()
	return f, nil
}

// newGUID makes a GUID in our form. Callers hold mu (or own f alone).
func (f *Fake) newGUID() string {
	f.nextGUID++
	return fmt.Sprintf("7b8c9d0e-1f2a-4b3c-8d4e-%012x", f.nextGUID)
}

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

// URL is the XML interface's address.
func (f *Fake) URL() string { return f.srv.URL + "/rk7api/v0/xmlinterface.xml" }

// Fingerprint is the SHA-256 of the server's certificate, in hex.
func (f *Fake) Fingerprint() string { return hex.EncodeToString(f.fp[:]) }

// User and Password are the credentials the fake accepts.
func (f *Fake) User() string { return f.opts.User }

// Password is the password the fake accepts.
func (f *Fake) Password() string { return f.opts.Password }

// Location is the till's time zone.
func (f *Fake) Location() *time.Location { return f.opts.Location }

// SeatsAttribute names the TABLES attribute with the seat count.
func (f *Fake) SeatsAttribute() string { return f.opts.SeatsAttribute }

// Requests counts the requests for cmd (all of them when cmd is empty),
// including refused ones.
func (f *Fake) Requests(cmd string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cmd == "" {
		return f.total
	}
	return f.counts[cmd]
}

// Tables lists the tables as wire tables.
func (f *Fake) Tables() []wire.Table {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wire.Table
	for _, t := range f.tables {
		out = append(out, wire.Table{ID: t.guid, HallID: f.hallGUID(t.hall),
			Number: strconv.Itoa(t.code), Seats: t.seats})
	}
	return out
}

func (f *Fake) hallGUID(ident int) string {
	for _, h := range f.halls {
		if h.ident == ident {
			return h.guid
		}
	}
	return ""
}

// AddTable adds a table to the first hall, as a manager does in the
// reference data, and returns its id. The TABLES DataVersion changes.
func (f *Fake) AddTable(seats int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := len(f.tables) + 1
	t := &item{ident: 1000010 + code, code: code, name: strconv.Itoa(code),
		guid: f.newGUID(), hall: f.halls[0].ident, seats: seats}
	f.tables = append(f.tables, t)
	f.refVersion["TABLES"]++
	return t.guid
}

// OpenOrder opens a walk-in order on a table and returns its id.
func (f *Fake) OpenOrder(tableID string, guests int) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.table("guid", tableID)
	if t == nil {
		return "", fmt.Errorf("rkeepertest: no table %s", tableID)
	}
	return f.newOrder(t, guests, "").guid, nil
}

// newOrder opens an order on t. Callers hold mu.
func (f *Fake) newOrder(t *item, guests int, comment string) *order {
	f.nextVisit++
	f.nextOrder++
	o := &order{guid: f.newGUID(), visitGUID: f.newGUID(), visit: f.nextVisit,
		ident: f.nextOrder, table: t, created: f.opts.Now(), guests: guests,
		comment: comment, props: map[string]string{}}
	f.orders[o.guid] = o
	f.version++
	return o
}

// CloseOrder closes (pays) an open order.
func (f *Fake) CloseOrder(orderID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.orders[orderID]; !ok {
		return fmt.Errorf("rkeepertest: no open order %s", orderID)
	}
	delete(f.orders, orderID)
	f.version++
	return nil
}

// AddReservation records a phone booking made at the till: a reserve
// order on the first of r's tables. It returns the order's id.
func (f *Fake) AddReservation(r wire.Reservation) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(r.TableIDs) == 0 {
		return "", fmt.Errorf("rkeepertest: reservation without a table")
	}
	t := f.table("guid", r.TableIDs[0])
	if t == nil {
		return "", fmt.Errorf("rkeepertest: no table %s", r.TableIDs[0])
	}
	o := f.newOrder(t, r.Guests, "")
	o.reserve = true
	o.openTime = r.Start.In(f.opts.Location).Format(timeLayout)
	o.duration = f.formatDuration(time.Duration(r.Duration))
	o.holder = strings.TrimSpace(r.Name + " " + r.Phone)
	o.created = f.opts.Now()
	return o.guid, nil
}

func (f *Fake) formatDuration(d time.Duration) string {
	switch f.opts.DurationForm {
	case "minutes":
		return strconv.Itoa(int(d / time.Minute))
	case "hhmm":
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Add(d).Format(timeLayout)
}

// Reservations lists the reserve orders open now. Voided ones are gone, as
// on the till. Name is the holder as written; Phone is left empty.
func (f *Fake) Reservations() []wire.Reservation {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wire.Reservation
	for _, o := range f.orders {
		if !o.reserve {
			continue
		}
		start, _ := time.ParseInLocation(timeLayout, o.openTime, f.opts.Location)
		out = append(out, wire.Reservation{ID: o.guid, TableIDs: []string{o.table.guid},
			Start: start.UTC(), Duration: wire.Duration(fakeDuration(o.duration)),
			Guests: o.guests, Name: o.holder, Comment: o.comment,
			Status: wire.ReservationConfirmed, BookingID: o.props["tg_booking_id"]})
	}
	slices.SortFunc(out, func(a, b wire.Reservation) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// fakeDuration reads a duration the way the fake stores it: minutes,
// h:mm[:ss] or a Delphi time value. Unreadable is zero.
func fakeDuration(s string) time.Duration {
	if t, err := time.Parse(timeLayout, s); err == nil {
		return t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC))
	}
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Minute
	}
	var h, m, sec int
	if _, err := fmt.Sscanf(s, "%d:%d:%d", &h, &m, &sec); err == nil {
		return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
			time.Duration(sec)*time.Second
	}
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err == nil {
		return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	}
	return 0
}

// SetOpenTime makes GetOrderList2 give raw as an order's openTime, as a
// till with odd data might.
func (f *Fake) SetOpenTime(orderID, raw string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o := f.orders[orderID]; o != nil {
		o.openTime = raw
		f.version++
	}
}

// Lock makes VoidOrder refuse an order, as the till does for an order with
// printed items.
func (f *Fake) Lock(orderID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lockReason[orderID] = "Заказ содержит напечатанные блюда; удаление запрещено"
}

// SetDown makes the server drop every connection (true) or serve again.
func (f *Fake) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// SetSlow delays every answer by d (0: none).
func (f *Fake) SetSlow(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slow = d
}

// ExpireToken answers the next request with HTTP 401, as the server does
// when it refuses a login; the XML interface has no token, so the request
// after it is served again.
func (f *Fake) ExpireToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expire++
}

// FailHTTP answers the next request with the HTTP status code.
func (f *Fake) FailHTTP(code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failHTTP = append(f.failHTTP, code)
}

// MalformNext answers the next request with a truncated XML body.
func (f *Fake) MalformNext() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.malformed++
}

// LoseNextAnswer carries out the next write command (CreateOrder,
// UpdateOrder or VoidOrder), then drops the connection unanswered.
func (f *Fake) LoseNextAnswer() { f.LoseAnswerTo("*") }

// LoseAnswerTo carries out the next request for the write command cmd,
// then drops the connection unanswered.
func (f *Fake) LoseAnswerTo(cmd string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loseNext = cmd
}

// FailCommand answers the next request for cmd with the in-band fault,
// without carrying it out.
func (f *Fake) FailCommand(cmd string, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failCmd[cmd] = append(f.failCmd[cmd], fault)
}

// table finds a table by "guid", "code" or "id" (ident). Callers hold mu.
func (f *Fake) table(by, v string) *item {
	v = strings.ToLower(strings.Trim(strings.TrimSpace(v), "{}"))
	for _, t := range f.tables {
		switch {
		case by == "guid" && t.guid == v,
			by == "code" && strconv.Itoa(t.code) == v,
			by == "id" && strconv.Itoa(t.ident) == v:
			return t
		}
	}
	return nil
}
