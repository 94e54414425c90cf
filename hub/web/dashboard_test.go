package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// booking stores a requested booking at the venue, tomorrow at noon.
func (h *liveHub) booking(id, venueID, table string) hub.Booking {
	h.t.Helper()
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	b := hub.Booking{ID: id, VenueID: venueID, TableIDs: []string{table}, Start: start,
		End: start.Add(2 * time.Hour), Party: 2, State: hub.BookingRequested, Name: "Гость",
		Channel: "staff", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	got, err := h.store.CreateBooking(context.Background(), b, "test")
	mustDo(h.t, err)
	return got
}

// TestStaffSeeOnlyTheirVenues: staff of venue A can see and act on
// nothing of venue B, on the dashboard or through the API; what is theirs
// works. Every dashboard and support API route is listed.
func TestStaffSeeOnlyTheirVenues(t *testing.T) {
	h := newLiveHub(t)
	h.booking("bkg_a", "ven_a", "t1")
	h.booking("bkg_b", "ven_b", "t1")
	cmdB := hub.Command{ID: "cmd_b", AgentID: "agt_b", Kind: wire.CommandResync,
		CreatedAt: time.Now().UTC(), State: hub.CommandPending}
	mustDo(t, h.store.EnqueueCommand(context.Background(), cmdB))
	staff := h.signIn("staff@a.ru")

	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/venues/ven_b", http.StatusNotFound},
		{"GET", "/venues/ven_b/live.json", http.StatusNotFound},
		{"POST", "/venues/ven_b/bookings", http.StatusNotFound},
		{"POST", "/venues/ven_b/enroll", http.StatusNotFound},
		{"POST", "/venues/ven_b/notices/done", http.StatusNotFound},
		{"POST", "/bookings/bkg_b/confirm", http.StatusNotFound},
		{"POST", "/bookings/bkg_b/decline", http.StatusNotFound},
		{"POST", "/bookings/bkg_b/seat", http.StatusNotFound},
		{"POST", "/bookings/bkg_b/cancel", http.StatusNotFound},
		{"POST", "/bookings/bkg_b/move", http.StatusNotFound},
		{"GET", "/agents/agt_b", http.StatusNotFound},
		{"POST", "/agents/agt_b/resync", http.StatusNotFound},
		{"POST", "/agents/agt_b/revoke", http.StatusNotFound},
		{"POST", "/agents/agt_b/logs", http.StatusNotFound},
		{"GET", "/api/v1/agents/agt_b", http.StatusForbidden},
		{"POST", "/api/v1/agents/agt_b/resync", http.StatusForbidden},
		{"GET", "/api/v1/commands/cmd_b", http.StatusForbidden},
		{"GET", "/api/v1/venues/ven_b/state", http.StatusForbidden},
		// Their own venue.
		{"GET", "/venues/ven_a", http.StatusOK},
		{"GET", "/venues/ven_a/live.json", http.StatusOK},
		{"GET", "/agents/agt_a", http.StatusOK},
		{"POST", "/agents/agt_a/resync", http.StatusSeeOther},
		{"POST", "/bookings/bkg_a/confirm", http.StatusSeeOther},
		{"GET", "/api/v1/agents/agt_a", http.StatusOK},
		{"GET", "/api/v1/venues/ven_a/state", http.StatusOK},
		// Support only.
		{"POST", "/agents/agt_a/revoke", http.StatusForbidden},
		{"POST", "/venues", http.StatusForbidden},
		{"POST", "/venues/ven_a/enroll", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, h.srv.URL+tt.path,
				strings.NewReader(staff.form("name", "x").Encode()))
			mustDo(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-CSRF-Token", staff.csrf)
			r, err := staff.c.Do(req)
			mustDo(t, err)
			r.Body.Close()
			if r.StatusCode != tt.want {
				t.Errorf("%s %s as staff of A = %d, want %d", tt.method, tt.path,
					r.StatusCode, tt.want)
			}
		})
	}

	// Lists show only their venue.
	for _, path := range []string{"/fleet", "/venues", "/api/v1/agents", "/api/v1/venues",
		"/fleet.json"} {
		code, body := staff.get(path)
		if code != http.StatusOK || strings.Contains(body, "ven_b") ||
			strings.Contains(body, "agt_b") || strings.Contains(body, "Бар Б") {
			t.Errorf("GET %s as staff of A = %d, shows venue B:\n%s", path, code, body)
		}
	}
	b, err := h.store.Booking(context.Background(), "bkg_b")
	mustDo(t, err)
	if b.State != hub.BookingRequested {
		t.Errorf("booking of venue B is %s after staff of A tried, want requested", b.State)
	}
	if a, _ := h.store.Agent(context.Background(), "agt_b"); a.RevokedAt != nil {
		t.Error("staff of A revoked the agent of B")
	}
}

// TestSignInRequired: pages send the browser to the login page, the API
// answers 401, without a session or key.
func TestSignInRequired(t *testing.T) {
	h := newLiveHub(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	for path, want := range map[string]int{
		"/fleet": http.StatusSeeOther, "/venues/ven_a": http.StatusSeeOther,
		"/api/v1/agents": http.StatusUnauthorized, "/api/v1/venues/ven_a/state": 401,
		"/fleet.json": http.StatusSeeOther,
	} {
		r, err := c.Get(h.srv.URL + path)
		mustDo(t, err)
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("GET %s signed out = %d, want %d", path, r.StatusCode, want)
		}
	}
	r, err := c.PostForm(h.srv.URL+"/agents/agt_a/revoke", nil)
	mustDo(t, err)
	r.Body.Close()
	if r.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST revoke signed out = %d, want 401", r.StatusCode)
	}
}

// TestFormWithoutCSRFRefused: a form without its token, or with another
// session's, is refused and changes nothing; the API needs the header.
func TestFormWithoutCSRFRefused(t *testing.T) {
	h := newLiveHub(t)
	h.booking("bkg_a", "ven_a", "t1")
	sup := h.signIn("support@stolik.ru")
	other := h.signIn("staff@a.ru")
	for name, form := range map[string]url.Values{
		"no token":            {},
		"another session's":   {"csrf": {other.csrf}},
		"empty token":         {"csrf": {""}},
		"token in wrong case": {"csrf": {strings.ToUpper(sup.csrf)}},
	} {
		if code, _ := sup.post("/agents/agt_a/revoke", form); code != http.StatusForbidden {
			t.Errorf("revoke with %s = %d, want 403", name, code)
		}
		if code, _ := sup.post("/bookings/bkg_a/confirm", form); code != http.StatusForbidden {
			t.Errorf("confirm with %s = %d, want 403", name, code)
		}
	}
	if a, _ := h.store.Agent(context.Background(), "agt_a"); a.RevokedAt != nil {
		t.Fatal("revoked without a CSRF token")
	}
	if b, _ := h.store.Booking(context.Background(), "bkg_a"); b.State != hub.BookingRequested {
		t.Fatalf("booking %s without a CSRF token", b.State)
	}
	r, err := sup.c.Post(h.srv.URL+"/api/v1/agents/agt_a/resync", "", nil)
	mustDo(t, err)
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("API resync by session without X-CSRF-Token = %d, want 403", r.StatusCode)
	}
	if code, _ := sup.post("/bookings/bkg_a/confirm", sup.form()); code != http.StatusSeeOther {
		t.Errorf("confirm with the token = %d, want 303", code)
	}
	if b, _ := h.store.Booking(context.Background(), "bkg_a"); b.State != hub.BookingConfirmed {
		t.Errorf("booking %s after confirm with the token, want confirmed", b.State)
	}
}

// TestLoginRateLimit: five failures lock the account (the right password
// too) but not other accounts; twenty from one address lock the address.
func TestLoginRateLimit(t *testing.T) {
	h := newLiveHub(t)
	try := func(email, pw string) int {
		t.Helper()
		r, err := http.PostForm(h.srv.URL+"/login", url.Values{"email": {email},
			"password": {pw}})
		mustDo(t, err)
		r.Body.Close()
		return r.StatusCode
	}
	for i := range 5 {
		if code := try("staff@a.ru", "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, code)
		}
	}
	if code := try("staff@a.ru", password); code != http.StatusTooManyRequests {
		t.Errorf("right password after 5 failures = %d, want 429", code)
	}
	if code := try("staff@b.ru", password); code != http.StatusOK &&
		code != http.StatusSeeOther {
		t.Errorf("another account = %d, want signed in", code)
	}
	for i := range 15 {
		try(fmt.Sprintf("nobody%d@x.ru", i), "wrong password")
	}
	if code := try("support@stolik.ru", password); code != http.StatusTooManyRequests {
		t.Errorf("after 20 failures from one address = %d, want 429", code)
	}
}

// TestRevokeDisconnectsAgent: revoking on the agent page closes the
// agent's connection at once, and it cannot connect again.
func TestRevokeDisconnectsAgent(t *testing.T) {
	h := newLiveHub(t)
	h.startAgent()
	sup := h.signIn("support@stolik.ru")
	if code, _ := sup.post("/agents/agt_a/revoke", sup.form()); code != http.StatusSeeOther {
		t.Fatalf("revoke = %d, want 303", code)
	}
	waitUntil(t, 2*time.Second, "revoked agent disconnected", func() bool {
		return !h.gw.Live("agt_a").Connected
	})
	// The agent keeps dialling (backoff 50-200 ms); it must never get in.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if h.gw.Live("agt_a").Connected {
			t.Fatal("revoked agent connected again")
		}
		time.Sleep(20 * time.Millisecond)
	}
	hdr := http.Header{}
	wire.SetCredential(hdr, "agt_a", h.secretA)
	wsURL := "ws" + strings.TrimPrefix(h.srv.URL, "http") + wire.ConnectPath
	ws, resp, err := websocket.DefaultDialer.Dial(wsURL, hdr)
	if err == nil {
		ws.Close()
		t.Fatal("a revoked credential was let in")
	}
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("dial with a revoked credential: %v, want 401", err)
	}
}

var codeOnPage = regexp.MustCompile(`id="enroll-code">([a-z0-9-]+)<`)

// TestEnrollmentCodeFromDashboard: support creates a venue and a code on
// the dashboard; stolik-agent enroll's exchange works once.
func TestEnrollmentCodeFromDashboard(t *testing.T) {
	h := newLiveHub(t)
	sup := h.signIn("support@stolik.ru")
	r, err := sup.c.PostForm(h.srv.URL+"/venues", sup.form("name", "Новое место",
		"time_zone", "Asia/Yekaterinburg", "mode", "api"))
	mustDo(t, err)
	r.Body.Close()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/venues/ven_") {
		t.Fatalf("create venue = %d to %q", r.StatusCode, loc)
	}
	venueID := strings.TrimPrefix(loc, "/venues/")
	code, body := sup.post(loc+"/enroll", sup.form())
	m := codeOnPage.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("enroll page = %d without a code:\n%s", code, body)
	}
	ctx := context.Background()
	e, err := service.Enroll(ctx, http.DefaultClient, h.srv.URL, m[1])
	if err != nil {
		t.Fatalf("stolik-agent enroll: %v", err)
	}
	if e.VenueID != venueID || e.Hub.AgentID == "" || e.Hub.Secret == "" {
		t.Errorf("enrollment %+v, want a credential for %s", e, venueID)
	}
	if _, err := service.Enroll(ctx, http.DefaultClient, h.srv.URL, m[1]); !errors.Is(err,
		service.ErrCodeRefused) {
		t.Errorf("second use of the code: %v, want refused", err)
	}
	if code, _ := sup.post("/venues", sup.form("name", "")); code != http.StatusSeeOther {
		t.Errorf("venue without a name = %d, want 303 back with an error", code)
	}
}

// TestAgentPage: the agent page charts the samples, lists commands, and
// fetches the agent's log lines through a logs command.
func TestAgentPage(t *testing.T) {
	h := newLiveHub(t)
	h.startAgent()
	ctx := context.Background()
	waitUntil(t, 10*time.Second, "events applied", func() bool {
		a, err := h.store.Agent(ctx, "agt_a")
		return err == nil && a.AppliedEvents > 0
	})
	mustDo(t, h.api.SampleAgents(ctx))
	samples, err := h.store.AgentSamples(ctx, "agt_a", time.Now().Add(-time.Hour))
	mustDo(t, err)
	if len(samples) != 1 || !samples[0].Connected || samples[0].AppliedEvents == 0 {
		t.Errorf("samples %+v, want one of the connected agent", samples)
	}
	sup := h.signIn("support@stolik.ru")
	code, body := sup.get("/agents/agt_a")
	if code != http.StatusOK || !strings.Contains(body, `<svg class="chart"`) ||
		!strings.Contains(body, "connected since") {
		t.Fatalf("agent page = %d:\n%s", code, body)
	}

	r, err := sup.c.PostForm(h.srv.URL+"/agents/agt_a/logs", sup.form("lines", "50"))
	mustDo(t, err)
	r.Body.Close()
	loc := r.Header.Get("Location")
	if !strings.Contains(loc, "?logs=cmd_") {
		t.Fatalf("logs = %d to %q", r.StatusCode, loc)
	}
	waitUntil(t, 10*time.Second, "log lines on the page", func() bool {
		_, body = sup.get(strings.TrimSuffix(loc, "#logs"))
		return strings.Contains(body, `<pre class="log">`)
	})
	if !strings.Contains(body, "agent started") {
		t.Errorf("log lines lack the agent's start:\n%s", body)
	}
	if !strings.Contains(body, "logs</td><td>done") {
		t.Errorf("commands list lacks the done logs command:\n%s", body)
	}
}

// TestFleetAttentionFirst: agents needing attention come first; filters
// narrow the list.
func TestFleetAttentionFirst(t *testing.T) {
	h := newLiveHub(t)
	h.startAgent()
	ctx := context.Background()
	waitUntil(t, 10*time.Second, "status received", func() bool {
		a, err := h.store.Agent(ctx, "agt_a")
		return err == nil && a.Status.Health.OK
	})
	sup := h.signIn("support@stolik.ru")
	_, body := sup.get("/fleet")
	a, b := strings.Index(body, `id="agent-agt_a"`), strings.Index(body, `id="agent-agt_b"`)
	if a < 0 || b < 0 || b > a {
		t.Errorf("offline agt_b (at %d) should come before healthy agt_a (at %d)", b, a)
	}
	_, body = sup.get("/fleet?status=online")
	if !strings.Contains(body, "agent-agt_a") || strings.Contains(body, "agent-agt_b") {
		t.Error("status=online does not show only the connected agent")
	}
	_, body = sup.get("/fleet?q=%D0%B1%D0%B0%D1%80") // "бар"
	if strings.Contains(body, "agent-agt_a") || !strings.Contains(body, "agent-agt_b") {
		t.Error("q=бар does not find venue Бар Б only")
	}
}

// TestSessionCookie: the session cookie is HttpOnly and SameSite=Lax,
// Secure behind an https public URL; signing out ends the session in the
// store, so the old cookie no longer works.
func TestSessionCookie(t *testing.T) {
	h := newLiveHub(t)
	for _, tc := range []struct {
		publicURL  string
		wantSecure bool
	}{{"", false}, {"https://hub.example.ru", true}} {
		h.api.SetOptions(web.Options{BcryptCost: 4, PublicURL: tc.publicURL})
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		r, err := noFollow.PostForm(h.srv.URL+"/login", url.Values{
			"email": {"staff@a.ru"}, "password": {password}})
		mustDo(t, err)
		r.Body.Close()
		var c *http.Cookie
		for _, x := range r.Cookies() {
			if x.Name == web.SessionCookie {
				c = x
			}
		}
		if c == nil {
			t.Fatalf("public URL %q: no session cookie", tc.publicURL)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tc.wantSecure {
			t.Errorf("public URL %q: cookie HttpOnly=%v SameSite=%v Secure=%v, want true, "+
				"Lax, %v", tc.publicURL, c.HttpOnly, c.SameSite, c.Secure, tc.wantSecure)
		}
	}
	h.api.SetOptions(web.Options{BcryptCost: 4})

	b := h.signIn("staff@a.ru")
	var sid string
	for _, c := range b.c.Jar.Cookies(mustURL(t, h.srv.URL)) {
		if c.Name == web.SessionCookie {
			sid = c.Value
		}
	}
	if code, _ := b.post("/logout", b.form()); code != http.StatusSeeOther {
		t.Fatalf("sign out = %d, want 303", code)
	}
	// A copy of the cookie kept from before signing out is worth nothing.
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+"/api/v1/venues", nil)
	mustDo(t, err)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: sid})
	r, err := http.DefaultClient.Do(req)
	mustDo(t, err)
	r.Body.Close()
	if sid == "" || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("API with the signed-out session %q = %d, want 401", sid, r.StatusCode)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	mustDo(t, err)
	return u
}

// TestTillTasksOnVenuePage: a cancelled booking whose reservation the RMS
// still holds (Poster cannot cancel through its API) is listed for staff
// to cancel at the till, until the mirror shows it cancelled.
func TestTillTasksOnVenuePage(t *testing.T) {
	h := newLiveHub(t)
	ctx := context.Background()
	b := h.booking("bkg_till", "ven_a", "t1")
	_, err := h.store.TransitionBooking(ctx, b.ID, hub.Transition{To: hub.BookingCancelled,
		Actor: "guest:g1", At: time.Now().UTC()})
	mustDo(t, err)
	reserve := func(seq uint64, st wire.ReservationStatus) {
		data, err := json.Marshal(wire.Reservation{ID: "res_till", TableIDs: []string{"t1"},
			Start: b.Start, Duration: wire.Duration(2 * time.Hour), Guests: 2,
			Name: "Гость", Status: st, BookingID: b.ID})
		mustDo(t, err)
		_, err = h.store.ApplyBatch(ctx, "agt_a", []wire.Event{{Seq: seq,
			Entity: wire.EntityReservation, ID: "res_till", Op: wire.OpUpsert, Data: data}})
		mustDo(t, err)
	}
	reserve(1, wire.ReservationConfirmed)
	staff := h.signIn("staff@a.ru")
	if code, body := staff.get("/venues/ven_a"); code != http.StatusOK ||
		!strings.Contains(body, "To do at the till") || !strings.Contains(body, `id="till-bkg_till"`) {
		t.Fatalf("venue page: %d, want the till task listed:\n%s", code, body)
	}
	reserve(2, wire.ReservationCancelled)
	if _, body := staff.get("/venues/ven_a"); strings.Contains(body, "To do at the till") {
		t.Errorf("the till task stays after the RMS cancelled the reservation")
	}
}
