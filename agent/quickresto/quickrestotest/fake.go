// Package quickrestotest is a fake of Quick Resto's public API, written
// from the documented shapes, for the connector's tests and the demo. It
// serves one account's table schemes on a loopback httptest server through
// the list verb with HTTP Basic credentials, lets tests and the demo mark
// tables busy and free, counts requests, and has knobs for the faults the
// connector must survive: refused credentials, HTTP errors, malformed
// bodies, slow answers and the whole API being down.
package quickrestotest

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// The list call the fake serves.
const (
	ListPath    = "/platform/online/api/list"
	ModuleName  = "front.tablemanagement"
	SchemeClass = "ru.edgex.quickresto.modules.front.tablemanagement.TableScheme"
)

// Options shape a fake account. The zero value is valid.
type Options struct {
	// Login and Password are the accepted credentials ("cafe", "secret"
	// when empty).
	Login, Password string
	// XAuthorization makes the fake read the credentials from the
	// X-Authorization header instead of Authorization.
	XAuthorization bool
	// Halls and TablesPerHall size the one scheme (2 and 4 when zero).
	Halls, TablesPerHall int
	// LooseTables adds tables listed on the scheme outside any hall.
	LooseTables int
}

// Table is a table of the fake account.
type Table struct {
	ID, HallID  string
	Title       string
	MaxCapacity int
	Busy        bool
	Deleted     bool
}

type fault struct {
	status    int
	malformed bool
}

// Fake is a fake Quick Resto account. It is safe for concurrent use.
type Fake struct {
	srv    *httptest.Server
	header string

	mu       sync.Mutex
	auth     string // guarded by mu; the accepted header value
	down     bool
	slow     time.Duration
	faults   []fault
	requests int
	halls    []string // hall ids; the scheme is "1"
	tables   []*Table
	nextID   int
}

// New starts a fake account on 127.0.0.1. Close it when done.
func New(o Options) (*Fake, error) {
	if o.Halls < 0 || o.TablesPerHall < 0 || o.LooseTables < 0 {
		return nil, fmt.Errorf("quickrestotest: negative size")
	}
	f := &Fake{header: "Authorization", nextID: 1000}
	if o.XAuthorization {
		f.header = "X-Authorization"
	}
	f.setAuth(cmp.Or(o.Login, "cafe"), cmp.Or(o.Password, "secret"))
	halls, per := cmp.Or(o.Halls, 2), cmp.Or(o.TablesPerHall, 4)
	n := 0
	for h := 1; h <= halls; h++ {
		hid := strconv.Itoa(10 + h)
		f.halls = append(f.halls, hid)
		for i := 0; i < per; i++ {
			n++
			f.tables = append(f.tables, &Table{
				ID: strconv.Itoa(100 + n), HallID: hid, Title: strconv.Itoa(n),
				MaxCapacity: 2 + 2*(i%3),
			})
		}
	}
	for i := 0; i < o.LooseTables; i++ {
		n++
		f.tables = append(f.tables, &Table{ID: strconv.Itoa(100 + n), Title: strconv.Itoa(n),
			MaxCapacity: 2})
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f, nil
}

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

// URL is the account's address, as connector.quickresto.base_url takes it.
func (f *Fake) URL() string { return f.srv.URL }

func (f *Fake) setAuth(login, password string) {
	f.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(login+":"+password))
}

// SetPassword changes the accepted password, as when it is changed in the
// back office.
func (f *Fake) SetPassword(login, password string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setAuth(login, password)
}

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

// SetBusy marks a table busy (guests seated, an order open) or free.
func (f *Fake) SetBusy(tableID string, busy bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tables {
		if t.ID == tableID && !t.Deleted {
			t.Busy = busy
			return nil
		}
	}
	return fmt.Errorf("quickrestotest: no table %s", tableID)
}

// AddTable adds a table to a hall and returns its id.
func (f *Fake) AddTable(hallID string, capacity int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := strconv.Itoa(f.nextID)
	f.tables = append(f.tables, &Table{ID: id, HallID: hallID, Title: id, MaxCapacity: capacity})
	return id
}

// DeleteTable marks a table deleted.
func (f *Fake) DeleteTable(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tables {
		if t.ID == id {
			t.Deleted = true
		}
	}
}

// SetDown makes every request's connection drop without an answer (true),
// or the API answer again (false).
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

// FailNextHTTP makes the next request answer status with a non-JSON body.
func (f *Fake) FailNextHTTP(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{status: status})
}

// MalformNext makes the next request answer a body cut in the middle.
func (f *Fake) MalformNext() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{malformed: true})
}

// Requests returns how many requests the fake got, down ones included.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Activity seats and frees guests every interval until ctx ends, for the
// demo: each step flips one random table between busy and free.
func (f *Fake) Activity(ctx context.Context, rnd *rand.Rand, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.mu.Lock()
			if len(f.tables) > 0 {
				tb := f.tables[rnd.IntN(len(f.tables))]
				if !tb.Deleted {
					tb.Busy = !tb.Busy
				}
			}
			f.mu.Unlock()
		}
	}
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	down, slow := f.down, f.slow
	f.mu.Unlock()
	if down {
		drop(w)
		return
	}
	if slow > 0 {
		t := time.NewTimer(slow)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.faults) > 0 {
		ft := f.faults[0]
		f.faults = f.faults[1:]
		if ft.malformed {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"id":1,"halls":[{"id":11,"tables":[{"id":`))
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(ft.status)
		fmt.Fprintf(w, "<html><body>%d</body></html>", ft.status)
		return
	}
	if r.Header.Get(f.header) != f.auth {
		w.Header().Set("WWW-Authenticate", `Basic realm="quickresto"`)
		http.Error(w, `{"error":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	if r.URL.Path != ListPath || q.Get("moduleName") != ModuleName ||
		q.Get("className") != SchemeClass {
		http.Error(w, `{"error":"unknown module or class"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(f.schemes())
}

// schemes is the list answer: one scheme with its halls; f.mu must be held.
func (f *Fake) schemes() []map[string]any {
	var halls []map[string]any
	loose := []map[string]any{}
	for i, hid := range f.halls {
		tables := []map[string]any{}
		for _, t := range f.tables {
			if t.HallID == hid {
				tables = append(tables, tableJSON(t))
			}
		}
		halls = append(halls, map[string]any{
			"id": mustInt(hid), "name": fmt.Sprintf("Зал %d", i+1), "deleted": false,
			"tables": tables,
		})
	}
	total := 0
	for _, t := range f.tables {
		total += t.MaxCapacity
		if t.HallID == "" {
			loose = append(loose, tableJSON(t))
		}
	}
	return []map[string]any{{
		"id": 1, "name": "Основная схема", "itemTitle": "Основная схема",
		"maxCapacity": total, "currentLoad": 0, "halls": halls, "tables": loose,
		"reservations": []any{},
	}}
}

func tableJSON(t *Table) map[string]any {
	n := mustInt(t.ID)
	return map[string]any{
		"id": n, "title": t.Title, "itemTitle": "Стол " + t.Title, "minCapacity": 1,
		"maxCapacity": t.MaxCapacity, "isBusy": t.Busy, "reservable": true,
		"deleted": t.Deleted, "x": n % 10 * 70, "y": n / 10 % 10 * 70, "width": 60,
		"height": 60, "angle": 0, "shape": "RECTANGLE",
	}
}

func mustInt(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
