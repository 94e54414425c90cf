package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/hub/web"
)

// password is every test account's password.
const password = "correct horse battery"

// liveHub is an in-process hub: bolt store, gateway, desk and web server
// on one loopback listener, with two venues and their accounts.
type liveHub struct {
	t     testing.TB
	store hub.Store
	gw    *gateway.Gateway
	api   *web.Server
	srv   *httptest.Server
	// Venues A (manual mode, the agent's) and B, each with a staff
	// account; one support account.
	venueA, venueB hub.Venue
	agentA, agentB hub.Agent
	secretA        string
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newLiveHub(t testing.TB) *liveHub {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now().UTC()
	h := &liveHub{t: t, store: st}
	var policy hub.Policy
	for d := time.Sunday; d <= time.Saturday; d++ {
		policy.Services = append(policy.Services, hub.Service{Weekday: d, Open: "10:00",
			Close: "23:00"})
	}
	h.venueA = hub.Venue{ID: "ven_a", Name: "Кафе Пушкин", TimeZone: "Europe/Moscow",
		Mode: hub.ModeManual, Policy: policy, CreatedAt: now}
	h.venueB = hub.Venue{ID: "ven_b", Name: "Бар Б", TimeZone: "Europe/Moscow",
		Mode: hub.ModeManual, Policy: policy, CreatedAt: now}
	mustDo(t, st.CreateVenue(ctx, h.venueA))
	mustDo(t, st.CreateVenue(ctx, h.venueB))
	h.secretA = hub.NewSecret()
	h.agentA = hub.Agent{ID: "agt_a", VenueID: "ven_a", SecretHash: hub.HashSecret(h.secretA),
		CreatedAt: now}
	h.agentB = hub.Agent{ID: "agt_b", VenueID: "ven_b", SecretHash: hub.HashSecret("b"),
		CreatedAt: now}
	mustDo(t, st.CreateAgent(ctx, h.agentA))
	mustDo(t, st.CreateAgent(ctx, h.agentB))
	hash, err := web.HashPassword(password, 4)
	mustDo(t, err)
	// The tests read the pages' English; staff-ru@a.ru keeps the staff's
	// default, Russian.
	for _, u := range []hub.User{
		{ID: "usr_sup", Email: "support@stolik.ru", Role: hub.RoleSupport, Lang: "en"},
		{ID: "usr_a", Email: "staff@a.ru", Role: hub.RoleStaff, VenueIDs: []string{"ven_a"},
			Lang: "en"},
		{ID: "usr_b", Email: "staff@b.ru", Role: hub.RoleStaff, VenueIDs: []string{"ven_b"},
			Lang: "en"},
		{ID: "usr_ru", Email: "staff-ru@a.ru", Role: hub.RoleStaff,
			VenueIDs: []string{"ven_a"}},
	} {
		u.PasswordHash, u.CreatedAt = hash, now
		mustDo(t, st.CreateUser(ctx, u))
	}

	h.gw = gateway.New(st, gateway.Options{Logger: quietLog(), WriteWait: 2 * time.Second})
	d := desk.New(st, h.gw, desk.Options{Logger: quietLog()})
	h.api = web.New(st, h.gw, quietLog())
	h.api.SetDesk(d)
	h.api.SetOptions(web.Options{BcryptCost: 4})
	mux := http.NewServeMux()
	mux.Handle("/agent/", h.gw)
	mux.Handle("/", h.api)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		_ = h.gw.Close()
		h.srv.Close()
		st.Close()
	})
	return h
}

// startAgent runs a real agent (sim connector) for venue A in-process
// until the test ends, and waits until it is connected.
func (h *liveHub) startAgent() string {
	h.t.Helper()
	c := config.Default()
	c.DataDir = h.t.TempDir()
	c.PollInterval = 200 * time.Millisecond
	c.Hub.URLs = []string{h.srv.URL}
	c.Hub.AgentID, c.Hub.Secret = h.agentA.ID, h.secretA
	c.Connector.Sim = config.Sim{Seed: 7, Halls: 1, Tables: 8, Step: 300 * time.Millisecond,
		ChangesPerStep: 2}
	h.runAgent(c)
	return c.DataDir
}

// startIikoAgent runs a real agent for venue A on a fake iikoCloud until
// the test ends, waits until it is connected, and returns the fake: the
// test opens orders and takes reserves there as a venue's staff would.
func (h *liveHub) startIikoAgent() *iikotest.Fake {
	h.t.Helper()
	f := iikotest.New(iikotest.Options{Halls: 1, Tables: 6})
	h.t.Cleanup(f.Close)
	o := f.Options()
	c := config.Default()
	c.DataDir = h.t.TempDir()
	c.PollInterval = 200 * time.Millisecond
	c.Hub.URLs = []string{h.srv.URL}
	c.Hub.AgentID, c.Hub.Secret = h.agentA.ID, h.secretA
	c.Connector.Kind = "iiko"
	c.Connector.Iiko.BaseURL = f.URL()
	c.Connector.Iiko.APIKey, c.Connector.Iiko.AppID = o.APIKey, o.AppID
	c.Connector.Iiko.ClientSecret = o.ClientSecret
	c.Connector.Iiko.TimeZone = "Europe/Moscow"
	h.runAgent(c)
	return f
}

// runAgent runs an agent configured by c in-process until the test ends,
// and waits until it is connected.
func (h *liveHub) runAgent(c config.Config) {
	h.t.Helper()
	c.Uplink.BackoffMin, c.Uplink.BackoffMax = 50*time.Millisecond, 200*time.Millisecond
	log, closeLog := service.OpenLogger(c, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- service.Run(ctx, c, "test", log) }()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			h.t.Error("agent did not stop within 10s")
		}
		closeLog()
	})
	waitUntil(h.t, 10*time.Second, "agent connected", func() bool {
		return h.gw.Live(h.agentA.ID).Connected
	})
}

// waitUntil polls cond every 20 ms until it holds or the deadline passes.
func waitUntil(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// browser is an HTTP client signed in to the dashboard.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
	// lastLocation is the Location of the last POST's answer.
	lastLocation string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn logs in as email and returns a client with its session and the
// session's CSRF token. Redirects are not followed.
func (h *liveHub) signIn(email string) *browser {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: h.t, base: h.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	code, _ := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if code != http.StatusSeeOther {
		h.t.Fatalf("sign in as %s: %d, want 303", email, code)
	}
	_, body := b.get("/venues")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		h.t.Fatalf("no CSRF token on /venues:\n%s", body)
	}
	b.csrf = m[1]
	return b
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	r, err := b.c.Get(b.base + path)
	mustDo(b.t, err)
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	r, err := b.c.Post(b.base+path, "application/x-www-form-urlencoded",
		strings.NewReader(form.Encode()))
	mustDo(b.t, err)
	defer r.Body.Close()
	b.lastLocation = r.Header.Get("Location")
	body, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(body)
}

// form returns values with the session's CSRF token added.
func (b *browser) form(kv ...string) url.Values {
	v := url.Values{"csrf": {b.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
