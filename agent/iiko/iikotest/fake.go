// Package iikotest is a fake of the iikoCloud API for tests and the demo:
// an HTTP server on 127.0.0.1 that keeps one organization with one
// terminal group, its restaurant sections and tables, reserves and table
// orders, and answers the calls the iiko connector makes, in the shapes
// documented for iikoCloud (see the shared RMS material, shared/rms beside this repository).
//
// It behaves like iiko where that matters to the connector: tokens expire
// (v2 and v1 login), reserve creation is asynchronous (InProgress for the
// first status polls), cancel and change are commands followed through
// /commands/status, tables carry revisions for incremental reads, and
// reserve and order changes can be pushed as webhooks. Knobs inject every
// fault the connector must survive: HTTP errors, 429, malformed bodies,
// slow answers, lost answers after the work is done, and being down.
//
// Where the documentation is silent the fake makes a choice, marked [I] in
// the comments: a reserve overlapping another on the same table fails to
// be created with error code Common; a cancelled reserve leaves the
// workload.
package iikotest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options describe the fake venue. Zero fields take the defaults shown.
type Options struct {
	// Credentials the fake accepts: v2 (APIKey, AppID, ClientSecret) and
	// v1 (APILogin). Defaults: "test-key", "test-app", "test-secret",
	// "test-login".
	APIKey, AppID, ClientSecret, APILogin string
	// TimeZone is what the terminal group reports (default
	// "Europe/Moscow"); the fake reads and writes local times in it.
	TimeZone string
	// Halls and Tables set the layout (default 2 halls, 6 tables of 4
	// seats).
	Halls, Tables int
	// TokenTTL is a token's lifetime (default one hour).
	TokenTTL time.Duration
	// InProgressPolls is how many status polls a new reserve stays
	// InProgress for, and how many a command does (default 1; negative:
	// none, the answer to create is final).
	InProgressPolls int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// DisabledGroup adds a disabled terminal group to the organization,
	// listed only when terminal_groups is asked with includeDisabled.
	DisabledGroup bool
}

// Fixed ids of the fake's organization and terminal group.
const (
	OrganizationID  = "9e798329-ef72-4531-977c-d4d58a3a512b"
	TerminalGroupID = "4f396bee-1383-446a-adca-f7c7b4e5e543"
	// DisabledTerminalGroupID is the group Options.DisabledGroup adds.
	DisabledTerminalGroupID = "0b6a3f52-27d1-4c9e-9a61-3d0c2f7e8a14"
)

// Fake is a running fake of the iikoCloud API. It is safe for concurrent
// use.
type Fake struct {
	srv  *httptest.Server
	opts Options
	loc  *time.Location

	mu       sync.Mutex
	tokens   map[string]time.Time // token -> expiry
	serial   int
	revision int64
	halls    []*hall
	tables   map[string]*table
	reserves map[string]*reserve
	orders   map[string]*order
	commands map[string]*command
	counts   map[string]int
	last     map[string]map[string]any // call -> last request body
	faults   faults
	hook     hook
	sent     sync.WaitGroup // webhook deliveries in flight
}

type faults struct {
	down      bool
	slow      time.Duration
	fail      map[string][]int // call -> statuses to answer, in turn
	malformed map[string]int   // call -> how many malformed answers
	limited   map[string]int   // call -> how many 429s
	loseWrite bool
	gone      bool
	creation  []string // error codes for the next reserve creations
	expireIn  int      // the tokens end at this many requests from now (0: off)
}

type hall struct {
	id, name string
}

type table struct {
	id, hall, name string
	number, seats  int
	revision       int64
	deleted        bool
	x, y           int
}

type reserve struct {
	id, name, phone, comment string
	tables                   []string
	start                    time.Time
	minutes, guests          int
	status                   string // New, Started, Closed
	cancelReason             string
	deleted                  bool
	creation                 string // InProgress, Success, Error
	errorCode                string
	pollsLeft                int
	timestamp                int64
}

type order struct {
	id      string
	tables  []string
	status  string // New, Bill, Closed
	created time.Time
	guests  int
	number  int
	stamp   int64
}

type command struct {
	state, reason string
	pollsLeft     int
}

// New starts a fake; t.Cleanup or Close stops it.
func New(opts Options) *Fake {
	if opts.APIKey == "" {
		opts.APIKey, opts.AppID, opts.ClientSecret = "test-key", "test-app", "test-secret"
	}
	if opts.APILogin == "" {
		opts.APILogin = "test-login"
	}
	if opts.TimeZone == "" {
		opts.TimeZone = "Europe/Moscow"
	}
	if opts.Halls <= 0 {
		opts.Halls = 2
	}
	if opts.Tables <= 0 {
		opts.Tables = 6
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.InProgressPolls == 0 {
		opts.InProgressPolls = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	loc, err := time.LoadLocation(opts.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	f := &Fake{
		opts: opts, loc: loc, tokens: map[string]time.Time{}, tables: map[string]*table{},
		reserves: map[string]*reserve{}, orders: map[string]*order{},
		commands: map[string]*command{}, counts: map[string]int{},
		last: map[string]map[string]any{},
		faults: faults{fail: map[string][]int{}, malformed: map[string]int{},
			limited: map[string]int{}},
	}
	f.layout()
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("iikotest: listen: %v", err))
	}
	f.srv.Listener = ln
	f.srv.Start()
	return f
}

// layout makes the halls and tables.
func (f *Fake) layout() {
	for i := range f.opts.Halls {
		f.halls = append(f.halls, &hall{id: f.newID(), name: fmt.Sprintf("Зал %d", i+1)})
	}
	for i := range f.opts.Tables {
		f.revision++
		t := &table{id: f.newID(), hall: f.halls[i%len(f.halls)].id, number: i + 1,
			name: fmt.Sprintf("Стол %d", i+1), seats: 4, revision: f.revision,
			x: 100 * (i % 5), y: 100 * (i / 5)}
		f.tables[t.id] = t
	}
}

// URL is the base address to give the connector as base_url.
func (f *Fake) URL() string { return f.srv.URL }

// Options returns the options in force, defaults filled in.
func (f *Fake) Options() Options { return f.opts }

// Close stops the server, after any webhook deliveries in flight.
func (f *Fake) Close() {
	f.srv.CloseClientConnections()
	f.srv.Close()
	f.sent.Wait()
}

// newID returns a fresh UUID-shaped id; callers hold mu or own f.
func (f *Fake) newID() string {
	f.serial++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", 0x1ec0<<16|f.serial, f.serial)
}

// Counts returns the requests answered so far, by call ("reserve/create",
// "access_token", ...), faults included.
func (f *Fake) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.counts))
	for k, v := range f.counts {
		out[k] = v
	}
	return out
}

// LastRequest returns the body of the last request of call, decoded, or
// nil.
func (f *Fake) LastRequest(call string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[call]
}

// Requests returns the total number of requests so far.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.counts {
		n += v
	}
	return n
}

// SetDown makes every request fail at the connection (true) or be
// served again (false).
func (f *Fake) SetDown(down bool) { f.with(func() { f.faults.down = down }) }

// SetSlow delays every answer by d (0: none).
func (f *Fake) SetSlow(d time.Duration) { f.with(func() { f.faults.slow = d }) }

// FailNext answers the next calls of call (the path after /api/1/, such
// as "order/by_table", or "*" for any call) with these HTTP statuses, in
// turn, each with iiko's error body.
func (f *Fake) FailNext(call string, statuses ...int) {
	f.with(func() { f.faults.fail[call] = append(f.faults.fail[call], statuses...) })
}

// MalformNext answers the next n calls of call with a body that is not
// JSON.
func (f *Fake) MalformNext(call string, n int) { f.with(func() { f.faults.malformed[call] += n }) }

// RateLimitNext answers the next n calls of call with HTTP 429.
func (f *Fake) RateLimitNext(call string, n int) { f.with(func() { f.faults.limited[call] += n }) }

// LoseNextAnswer makes the next write call (reserve/create,
// reserve/cancel, reserve/change_*) do its work and then drop the
// connection without answering.
func (f *Fake) LoseNextAnswer() { f.with(func() { f.faults.loseWrite = true }) }

// ForgetCommands makes /commands/status answer 410 Gone for every
// command, as iiko does for an expired correlation id.
func (f *Fake) ForgetCommands(gone bool) { f.with(func() { f.faults.gone = gone }) }

// FailCreation makes the next reserve creations end in creationStatus
// Error with these error codes (such as "TerminalGroupUnregistered").
func (f *Fake) FailCreation(codes ...string) {
	f.with(func() { f.faults.creation = append(f.faults.creation, codes...) })
}

// ExpireTokens invalidates every token issued so far.
func (f *Fake) ExpireTokens() { f.with(func() { clear(f.tokens) }) }

// ExpireTokensAt invalidates every token issued so far when the n-th
// request from now (access_token calls not counted) arrives, so that it and
// the requests after it are refused: n = 1 is ExpireTokens at the next
// request. Tokens issued later are good.
func (f *Fake) ExpireTokensAt(n int) { f.with(func() { f.faults.expireIn = n }) }

func (f *Fake) with(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// token issues a JWT-shaped token (unsigned) that expires after TokenTTL.
func (f *Fake) token() string {
	f.serial++
	exp := f.opts.Now().Add(f.opts.TokenTTL)
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	body := enc.EncodeToString(fmt.Appendf(nil, `{"exp":%d,"n":%d}`, exp.Unix(), f.serial))
	tok := head + "." + body + ".c2ln"
	f.tokens[tok] = exp
	return tok
}

// writeCalls are the calls LoseNextAnswer affects.
var writeCalls = map[string]bool{
	"reserve/create": true, "reserve/cancel": true, "reserve/change_tables": true,
	"reserve/change_estimated_start_time": true,
}

// serve authenticates, applies faults and dispatches a request.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	call := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/api/1/"), "/api/v2/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))

	var req map[string]any
	_ = json.Unmarshal(body, &req)
	f.mu.Lock()
	f.counts[call]++
	f.last[call] = req
	flt := &f.faults
	slow := flt.slow
	if flt.down {
		f.mu.Unlock()
		drop(w)
		return
	}
	f.mu.Unlock()
	if slow > 0 {
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return
		}
	}

	f.mu.Lock()
	if st, ok := f.takeFault(call); ok {
		f.mu.Unlock()
		if st == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		writeError(w, st, "", fmt.Sprintf("injected HTTP %d", st))
		return
	}
	if f.takeCount(flt.malformed, call) {
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"correlationId": "x", "reserves": [`)
		return
	}
	if call != "access_token" && flt.expireIn > 0 {
		if flt.expireIn--; flt.expireIn == 0 {
			clear(f.tokens)
		}
	}
	if call != "access_token" && !f.authorized(r) {
		f.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "", "Unauthorized: the token is missing or expired")
		return
	}
	lose := flt.loseWrite && writeCalls[call]
	if lose {
		flt.loseWrite = false
	}
	status, ans := f.handle(r.URL.Path, call, body)
	f.mu.Unlock()

	if lose {
		drop(w)
		return
	}
	if status != http.StatusOK {
		e := ans.(apiError)
		writeError(w, status, e.code, e.text)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(ans)
}

// takeFault returns an injected HTTP status for call, if one waits.
func (f *Fake) takeFault(call string) (int, bool) {
	if f.takeCount(f.faults.limited, call) {
		return http.StatusTooManyRequests, true
	}
	for _, k := range []string{call, "*"} {
		if q := f.faults.fail[k]; len(q) > 0 {
			f.faults.fail[k] = q[1:]
			return q[0], true
		}
	}
	return 0, false
}

func (f *Fake) takeCount(m map[string]int, call string) bool {
	for _, k := range []string{call, "*"} {
		if m[k] > 0 {
			m[k]--
			return true
		}
	}
	return false
}

func (f *Fake) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, known := f.tokens[tok]
	return ok && known && f.opts.Now().Before(exp)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("iikotest: the server cannot drop a connection")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

type apiError struct {
	code, text string
}

func writeError(w http.ResponseWriter, status int, code, text string) {
	body := map[string]any{
		"correlationId": "00000000-0000-4000-8000-00000000e440", "errorDescription": text,
		"error": nil,
	}
	if code != "" {
		body["error"] = code
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
