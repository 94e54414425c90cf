package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// clock is the desk's clock; tests move it forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// API keys the booking tests use.
const (
	keyPushkin = "sk_pushkin" // ven_1
	keyChain   = "sk_chain"   // ven_1 and ven_2
	keyOther   = "sk_other"   // ven_2 only
	keyRevoked = "sk_revoked" // ven_1, revoked
	badHeader  = "X-Test-Bad" // marks a request the document rightly refuses
	zoneName   = "Europe/Moscow"
)

// api is a booking API under test, whose every request and response is
// checked against the OpenAPI document.
type api struct {
	url   string
	store hub.Store
	clock *clock
	c     *http.Client
	zone  *time.Location
}

// openHours is a policy with the venue open 10:00–23:00 every day.
func openHours() hub.Policy {
	var p hub.Policy
	for d := time.Sunday; d <= time.Saturday; d++ {
		p.Services = append(p.Services, hub.Service{Weekday: d, Open: "10:00", Close: "23:00"})
	}
	return p
}

func setupAPI(t *testing.T) *api {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	// ven_1 is staff-confirmed (manual): its sales never pause. ven_2 has
	// an agent that never connected: its online sales are paused.
	must(t, st.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Пушкин", TimeZone: zoneName,
		Mode: hub.ModeManual, Policy: openHours(), CreatedAt: now}))
	must(t, st.CreateVenue(ctx, hub.Venue{ID: "ven_2", Name: "Онегин", TimeZone: zoneName,
		Mode: hub.ModeAPI, Policy: openHours(), CreatedAt: now}))
	for _, a := range []struct{ id, venue string }{{"agt_1", "ven_1"}, {"agt_2", "ven_2"}} {
		must(t, st.CreateAgent(ctx, hub.Agent{ID: a.id, VenueID: a.venue,
			SecretHash: hub.HashSecret("s"), CreatedAt: now}))
		var events []wire.Event
		for i, seats := range []int{4, 2} {
			id := fmt.Sprintf("t-%d", i+1)
			data, _ := json.Marshal(wire.Table{ID: id, HallID: "h-1", Number: id, Seats: seats})
			events = append(events, wire.Event{Seq: uint64(i + 1), Entity: wire.EntityTable,
				ID: id, Op: wire.OpUpsert, Data: data})
		}
		if _, err := st.ApplyBatch(ctx, a.id, events); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []struct {
		key    string
		venues []string
	}{
		{keyPushkin, []string{"ven_1"}}, {keyChain, []string{"ven_1", "ven_2"}},
		{keyOther, []string{"ven_2"}}, {keyRevoked, []string{"ven_1"}},
	} {
		must(t, st.CreateAPIKey(ctx, hub.APIKey{ID: "key_" + k.key, Name: k.key,
			KeyHash: hub.HashSecret(k.key), VenueIDs: k.venues, CreatedAt: now}))
	}
	must(t, st.RevokeAPIKey(ctx, "key_"+keyRevoked, now))

	clk := &clock{t: now}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := web.New(st, &fleet{}, log)
	s.SetDesk(desk.New(st, &fleet{}, desk.Options{Now: clk.Now, Logger: log}))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	zone, err := time.LoadLocation(zoneName)
	if err != nil {
		t.Fatal(err)
	}
	return &api{url: srv.URL, store: st, clock: clk, zone: zone,
		c: &http.Client{Transport: newChecker(t, srv.URL)}}
}

// checker is a RoundTripper that validates each request and response
// against the OpenAPI document and fails the test on any mismatch.
type checker struct {
	t      testing.TB
	router routers.Router
}

func newChecker(t testing.TB, url string) *checker {
	t.Helper()
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(web.OpenAPI)
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: url}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &checker{t: t, router: router}
}

func (c *checker) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	bad := req.Header.Get(badHeader) != ""
	req.Header.Del(badHeader)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return nil, err
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req.Clone(req.Context()),
		PathParams: params, Route: route, Options: opts}
	in.Request.Body = io.NopCloser(bytes.NewReader(body))
	err = openapi3filter.ValidateRequest(req.Context(), in)
	switch {
	case err != nil && !bad:
		c.t.Errorf("%s %s: request does not match the document: %v", req.Method, req.URL, err)
	case err == nil && bad:
		c.t.Errorf("%s %s: the document accepts a request marked bad", req.Method, req.URL)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(rb))
	in.Request.Body = io.NopCloser(bytes.NewReader(body))
	if err := openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(rb)), Options: opts,
	}); err != nil {
		c.t.Errorf("%s %s: response %d %s does not match the document: %v", req.Method,
			req.URL, res.StatusCode, rb, err)
	}
	return res, nil
}

// call sends a request with key (none when empty) and a JSON body (none
// when nil) and checks the status; out, if set, receives the body.
func (a *api) call(t testing.TB, method, path, key string, body any, want int, out any,
	hdr ...string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, rb, want)
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, rb)
		}
	}
}

// at returns a time tomorrow at hh:mm in the venue's zone, in UTC.
func (a *api) at(hh, mm int) time.Time {
	d := a.clock.Now().In(a.zone).AddDate(0, 0, 1)
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, a.zone).UTC()
}

func (a *api) tomorrow() string { return a.at(12, 0).In(a.zone).Format(time.DateOnly) }

// apiError is an error body.
type apiError struct {
	Error        string         `json:"error"`
	Field        string         `json:"field"`
	Reason       string         `json:"reason"`
	Alternatives []web.SlotView `json:"alternatives"`
}

func (a *api) hold(t testing.TB, start time.Time, party int) hub.Booking {
	t.Helper()
	var b hub.Booking
	a.call(t, "POST", "/api/v1/venues/ven_1/bookings", keyPushkin,
		web.CreateBookingRequest{Start: start, Party: party, Name: "Анна"}, http.StatusCreated, &b)
	return b
}

func TestGetVenueAndPolicy(t *testing.T) {
	a := setupAPI(t)
	var v hub.Venue
	a.call(t, "GET", "/api/v1/venues/ven_1", keyPushkin, nil, http.StatusOK, &v)
	if v.ID != "ven_1" || len(v.Policy.Services) != 7 {
		t.Errorf("venue = %+v", v)
	}
	p := openHours()
	p.HoldTTL = wire.Duration(2 * time.Minute)
	p.TurnTimes = []hub.TurnTime{{MaxParty: 2, Duration: wire.Duration(90 * time.Minute)}}
	a.call(t, "PUT", "/api/v1/venues/ven_1/policy", keyPushkin, p, http.StatusOK, &v)
	if diff := cmp.Diff(v.Policy, p); diff != "" {
		t.Errorf("policy (-got +want):\n%s", diff)
	}
	a.call(t, "GET", "/api/v1/venues/ven_1", keyPushkin, nil, http.StatusOK, &v)
	if diff := cmp.Diff(v.Policy, p); diff != "" {
		t.Errorf("stored policy (-got +want):\n%s", diff)
	}

	bad := openHours()
	bad.SlotStep = wire.Duration(time.Second)
	var e apiError
	a.call(t, "PUT", "/api/v1/venues/ven_1/policy", keyPushkin, bad, http.StatusBadRequest, &e)
	if e.Field != "slot_step" || e.Error == "" {
		t.Errorf("invalid policy: %+v", e)
	}
	a.call(t, "PUT", "/api/v1/venues/ven_1/policy", keyPushkin,
		map[string]any{"slot_stepp": "15m"}, http.StatusBadRequest, &e, badHeader, "1")
	if e.Field != "slot_stepp" {
		t.Errorf("misspelt field: %+v", e)
	}
	a.call(t, "GET", "/api/v1/venues/ven_x", keyPushkin, nil, http.StatusNotFound, nil)
}

func TestAuth(t *testing.T) {
	a := setupAPI(t)
	for _, tc := range []struct {
		name, key, path string
		want            int
	}{
		{"no key", "", "/api/v1/venues/ven_1", http.StatusUnauthorized},
		{"unknown key", "sk_nope", "/api/v1/venues/ven_1", http.StatusUnauthorized},
		{"revoked key", keyRevoked, "/api/v1/venues/ven_1", http.StatusUnauthorized},
		{"other venue", keyOther, "/api/v1/venues/ven_1", http.StatusForbidden},
		{"other venue bookings", keyOther, "/api/v1/venues/ven_1/bookings",
			http.StatusForbidden},
		{"chain key", keyChain, "/api/v1/venues/ven_1", http.StatusOK},
		{"chain key, second venue", keyChain, "/api/v1/venues/ven_2", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e apiError
			a.call(t, "GET", tc.path, tc.key, nil, tc.want, &e)
			if tc.want != http.StatusOK && e.Error == "" {
				t.Errorf("%d without words", tc.want)
			}
		})
	}
	b := a.hold(t, a.at(19, 0), 2)
	a.call(t, "GET", "/api/v1/bookings/"+b.ID, keyOther, nil, http.StatusForbidden, nil)
	a.call(t, "POST", "/api/v1/bookings/"+b.ID+"/cancel", keyOther, nil, http.StatusForbidden,
		nil)
	a.call(t, "GET", "/api/v1/bookings/"+b.ID, "", nil, http.StatusUnauthorized, nil)
}

func TestAvailability(t *testing.T) {
	a := setupAPI(t)
	var got web.AvailabilityResponse
	a.call(t, "GET", "/api/v1/venues/ven_1/availability?party=2&date="+a.tomorrow(),
		keyPushkin, nil, http.StatusOK, &got)
	if got.VenueID != "ven_1" || got.Party != 2 || got.Date != a.tomorrow() {
		t.Errorf("availability = %+v", got)
	}
	// 10:00 to 21:00 (the last two-hour seating before 23:00) every 15 min.
	if len(got.Slots) != 45 || !got.Slots[0].Start.Equal(a.at(10, 0)) ||
		!got.Slots[0].End.Equal(a.at(12, 0)) || len(got.Slots[0].TableIDs) != 1 {
		t.Errorf("%d slots, first %+v", len(got.Slots), got.Slots[0])
	}

	yesterday := a.clock.Now().In(a.zone).AddDate(0, 0, -1).Format(time.DateOnly)
	for _, tc := range []struct {
		name, query string
		want        int
		field       string
		bad         bool
	}{
		{"party 0", "party=0&date=" + a.tomorrow(), http.StatusBadRequest, "party", false},
		{"party 500", "party=500&date=" + a.tomorrow(), http.StatusBadRequest, "party", false},
		{"party not a number", "party=two&date=" + a.tomorrow(), http.StatusBadRequest, "party",
			true},
		{"past date", "party=2&date=" + yesterday, http.StatusBadRequest, "start", false},
		{"no date", "party=2", http.StatusBadRequest, "date", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.bad {
				hdr = []string{badHeader, "1"}
			}
			var e apiError
			a.call(t, "GET", "/api/v1/venues/ven_1/availability?"+tc.query, keyPushkin, nil,
				tc.want, &e, hdr...)
			if e.Field != tc.field || e.Error == "" {
				t.Errorf("error = %+v, want field %q", e, tc.field)
			}
		})
	}
	a.call(t, "GET", "/api/v1/venues/ven_x/availability?party=2&date="+a.tomorrow(),
		keyPushkin, nil, http.StatusNotFound, nil)

	var e apiError
	a.call(t, "GET", "/api/v1/venues/ven_2/availability?party=2&date="+a.tomorrow(), keyChain,
		nil, http.StatusServiceUnavailable, &e)
	if e.Reason == "" || e.Error == "" {
		t.Errorf("paused: %+v", e)
	}
}

func TestCreateBooking(t *testing.T) {
	a := setupAPI(t)
	start := a.at(19, 0)
	b := a.hold(t, start, 2)
	if b.State != hub.BookingHeld || !b.Start.Equal(start) || b.Party != 2 ||
		b.Channel != "api" || len(b.TableIDs) != 1 || b.HoldUntil.IsZero() {
		t.Errorf("held booking = %+v", b)
	}
	var got hub.Booking
	a.call(t, "GET", "/api/v1/bookings/"+b.ID, keyPushkin, nil, http.StatusOK, &got)
	if diff := cmp.Diff(got, b); diff != "" {
		t.Errorf("GET booking (-got +want):\n%s", diff)
	}

	var confirmed hub.Booking
	a.call(t, "POST", "/api/v1/venues/ven_1/bookings", keyPushkin, web.CreateBookingRequest{
		Start: a.at(13, 0), Party: 2, Name: "Борис", Confirm: true}, http.StatusCreated,
		&confirmed)
	if confirmed.State != hub.BookingRequested {
		t.Errorf("confirm: true made a %s booking, want requested (manual venue)",
			confirmed.State)
	}

	for _, tc := range []struct {
		name  string
		req   any
		want  int
		field string
		bad   bool
	}{
		{"in the past", web.CreateBookingRequest{Start: a.clock.Now().Add(-time.Hour),
			Party: 2, Name: "А"}, http.StatusBadRequest, "start", false},
		{"outside hours", web.CreateBookingRequest{Start: a.at(6, 0), Party: 2, Name: "А"},
			http.StatusBadRequest, "start", false},
		{"party 0", web.CreateBookingRequest{Start: a.at(15, 0), Party: 0, Name: "А"},
			http.StatusBadRequest, "party", false},
		{"party 500", web.CreateBookingRequest{Start: a.at(15, 0), Party: 500, Name: "А"},
			http.StatusBadRequest, "party", false},
		{"unknown table", web.CreateBookingRequest{Start: a.at(15, 0), Party: 2, Name: "А",
			TableIDs: []string{"t-9"}}, http.StatusBadRequest, "table_ids", false},
		{"no name", map[string]any{"start": a.at(15, 0), "party": 2},
			http.StatusBadRequest, "name", true},
		{"party as text", map[string]any{"start": a.at(15, 0), "party": "2", "name": "А"},
			http.StatusBadRequest, "party", true},
		{"misspelt field", map[string]any{"start": a.at(15, 0), "party": 2, "name": "А",
			"comemnt": "x"}, http.StatusBadRequest, "comemnt", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.bad {
				hdr = []string{badHeader, "1"}
			}
			var e apiError
			a.call(t, "POST", "/api/v1/venues/ven_1/bookings", keyPushkin, tc.req, tc.want,
				&e, hdr...)
			if e.Field != tc.field || e.Error == "" {
				t.Errorf("error = %+v, want field %q", e, tc.field)
			}
		})
	}
	a.call(t, "POST", "/api/v1/venues/ven_x/bookings", keyPushkin,
		web.CreateBookingRequest{Start: start, Party: 2, Name: "А"}, http.StatusNotFound, nil)
	var e apiError
	a.call(t, "POST", "/api/v1/venues/ven_2/bookings", keyChain,
		web.CreateBookingRequest{Start: start, Party: 2, Name: "А"},
		http.StatusServiceUnavailable, &e)
	if e.Reason == "" {
		t.Errorf("paused without a reason: %+v", e)
	}
}

func TestTakenSlotOffersAlternatives(t *testing.T) {
	a := setupAPI(t)
	start := a.at(19, 0)
	// Both tables (4 and 2 seats) taken at 19:00.
	first := a.hold(t, start, 4)
	a.hold(t, start, 2)
	var e apiError
	a.call(t, "POST", "/api/v1/venues/ven_1/bookings", keyPushkin,
		web.CreateBookingRequest{Start: start, Party: 2, Name: "Вера"}, http.StatusConflict, &e)
	if e.Error == "" || len(e.Alternatives) == 0 {
		t.Fatalf("taken: %+v", e)
	}
	for _, s := range e.Alternatives {
		if s.Start.Before(start.Add(2*time.Hour)) && s.Start.After(start.Add(-2*time.Hour)) {
			t.Errorf("alternative %v overlaps the taken 19:00", s.Start)
		}
	}
	// A booking's own alternatives leave its tables at its time out.
	var own web.AlternativesResponse
	a.call(t, "GET", "/api/v1/bookings/"+first.ID+"/alternatives", keyPushkin, nil,
		http.StatusOK, &own)
	if own.BookingID != first.ID || len(own.Alternatives) == 0 ||
		own.Alternatives[0].Start.Equal(start) {
		t.Errorf("alternatives of %s: %+v", first.ID, own)
	}
	a.call(t, "GET", "/api/v1/bookings/"+first.ID+"/alternatives", keyOther, nil,
		http.StatusForbidden, nil)
	// The alternative offered can be booked.
	alt := e.Alternatives[0]
	b := a.hold(t, alt.Start, 2)
	if !b.Start.Equal(alt.Start) {
		t.Errorf("booked %v, want %v", b.Start, alt.Start)
	}
}

func TestIdempotentCreate(t *testing.T) {
	a := setupAPI(t)
	req := web.CreateBookingRequest{Start: a.at(19, 0), Party: 2, Name: "Глеб"}
	var first, second hub.Booking
	a.call(t, "POST", "/api/v1/venues/ven_1/bookings", keyPushkin, req, http.StatusCreated,
		&first, "Idempotency-Key", "order-1")
	a.call(t, "POST", "/api/v1/venues/ven_1/bookings", keyPushkin, req, http.StatusOK,
		&second, "Idempotency-Key", "order-1")
	if diff := cmp.Diff(second, first); diff != "" {
		t.Errorf("retry (-got +want):\n%s", diff)
	}
	var list []hub.Booking
	a.call(t, "GET", "/api/v1/venues/ven_1/bookings", keyPushkin, nil, http.StatusOK, &list)
	if len(list) != 1 {
		t.Errorf("%d bookings after a retried create, want 1", len(list))
	}
	// Another key is another booking.
	a.call(t, "POST", "/api/v1/venues/ven_1/bookings", keyPushkin, req, http.StatusCreated,
		&second, "Idempotency-Key", "order-2")
	if second.ID == first.ID {
		t.Error("a new idempotency key returned the first booking")
	}
}

func TestLifecycle(t *testing.T) {
	a := setupAPI(t)
	b := a.hold(t, a.at(19, 0), 2)
	path := "/api/v1/bookings/" + b.ID
	var got hub.Booking
	a.call(t, "POST", path+"/confirm", keyPushkin, nil, http.StatusOK, &got)
	if got.State != hub.BookingRequested {
		t.Fatalf("after confirm: %s", got.State)
	}
	a.call(t, "POST", path+"/staff/confirm", keyPushkin, nil, http.StatusOK, &got)
	if got.State != hub.BookingConfirmed {
		t.Fatalf("after staff confirm: %s", got.State)
	}
	var e apiError
	a.call(t, "POST", path+"/staff/complete", keyPushkin, nil, http.StatusOK, &got)
	a.call(t, "POST", path+"/staff/decline", keyPushkin, nil, http.StatusConflict, &e)
	if e.Error == "" {
		t.Error("409 without words")
	}
	a.call(t, "POST", path+"/staff/dance", keyPushkin, nil, http.StatusNotFound, nil,
		badHeader, "1")
	a.call(t, "POST", "/api/v1/bookings/bkg_nope/confirm", keyPushkin, nil,
		http.StatusNotFound, nil)

	c := a.hold(t, a.at(13, 0), 2)
	a.call(t, "POST", "/api/v1/bookings/"+c.ID+"/cancel", keyPushkin,
		web.ReasonRequest{Reason: "plans changed"}, http.StatusOK, &got)
	if got.State != hub.BookingCancelled || got.Reason != "plans changed" {
		t.Errorf("cancelled: %+v", got)
	}

	var list []hub.Booking
	a.call(t, "GET", "/api/v1/venues/ven_1/bookings?state=completed,cancelled&from="+
		a.at(0, 0).Format(time.RFC3339)+"&to="+a.at(23, 0).Format(time.RFC3339), keyPushkin,
		nil, http.StatusOK, &list)
	if len(list) != 2 {
		t.Errorf("%d bookings listed, want 2", len(list))
	}
	a.call(t, "GET", "/api/v1/venues/ven_1/bookings?state=confirmed", keyPushkin, nil,
		http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("%d confirmed bookings, want 0", len(list))
	}
	a.call(t, "GET", "/api/v1/venues/ven_1/bookings?state=lost", keyPushkin, nil,
		http.StatusBadRequest, &e)
	if e.Field != "state" {
		t.Errorf("bad state: %+v", e)
	}
}

func TestExpiredHoldIsGone(t *testing.T) {
	a := setupAPI(t)
	b := a.hold(t, a.at(19, 0), 2)
	a.clock.Add(time.Until(b.HoldUntil) + time.Minute)
	var e apiError
	a.call(t, "POST", "/api/v1/bookings/"+b.ID+"/confirm", keyPushkin, nil, http.StatusGone,
		&e)
	if !strings.Contains(e.Error, "hold ran out") {
		t.Errorf("expired hold: %q", e.Error)
	}
}

func TestOpenAPIServed(t *testing.T) {
	a := setupAPI(t)
	var doc map[string]any
	a.call(t, "GET", "/api/v1/openapi.json", "", nil, http.StatusOK, &doc)
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/venues/{id}/bookings", "/api/v1/agents",
		"/api/v1/enroll", "/api/v1/bookings/{id}/staff/{action}"} {
		if paths[p] == nil {
			t.Errorf("document misses %s", p)
		}
	}
}
