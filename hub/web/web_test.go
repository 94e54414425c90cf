package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// fleet is a gateway stand-in: agent "agt_on" is connected.
type fleet struct{ poked []string }

func (f *fleet) Live(id string) hub.Live {
	if id == "agt_on" {
		return hub.Live{Connected: true, Since: time.Unix(1700000000, 0).UTC()}
	}
	return hub.Live{}
}
func (f *fleet) Poke(id string)       { f.poked = append(f.poked, id) }
func (f *fleet) Disconnect(id string) {}

func setup(t *testing.T) (*httptest.Server, hub.Store, *fleet) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	now := time.Now().UTC()
	must(t, st.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Пушкин", TimeZone: "Europe/Moscow", CreatedAt: now}))
	for _, id := range []string{"agt_on", "agt_off"} {
		must(t, st.CreateAgent(ctx, hub.Agent{ID: id, VenueID: "ven_1", SecretHash: hub.HashSecret("s"), CreatedAt: now}))
	}
	table, _ := json.Marshal(wire.Table{ID: "t-1", HallID: "h-1", Number: "1", Seats: 4})
	if _, err := st.ApplyBatch(ctx, "agt_on", []wire.Event{
		{Seq: 1, Entity: wire.EntityTable, ID: "t-1", Op: wire.OpUpsert, Data: table},
	}); err != nil {
		t.Fatal(err)
	}
	must(t, st.CreateAPIKey(ctx, hub.APIKey{ID: "key_support", Name: "tests",
		KeyHash: hub.HashSecret(supportKey), Role: hub.RoleSupport, CreatedAt: now}))
	f := &fleet{}
	srv := httptest.NewServer(web.New(st, f, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv, st, f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// supportKey is the support API key setup makes; get sends it.
const supportKey = "sk_support_for_tests"

func get(t *testing.T, url string, want int, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+supportKey)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != want {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("GET %s: %d %s, want %d", url, r.StatusCode, b, want)
	}
	if v != nil {
		must(t, json.NewDecoder(r.Body).Decode(v))
	}
}

func TestAgents(t *testing.T) {
	srv, _, _ := setup(t)
	var agents []web.AgentView
	get(t, srv.URL+"/api/v1/agents", http.StatusOK, &agents)
	if len(agents) != 2 {
		t.Fatalf("%d agents, want 2", len(agents))
	}
	byID := map[string]web.AgentView{}
	for _, a := range agents {
		byID[a.ID] = a
	}
	on, off := byID["agt_on"], byID["agt_off"]
	if !on.Connected || on.AppliedSeq != 1 || on.AppliedEvents != 1 || on.VenueName != "Пушкин" {
		t.Errorf("agt_on = %+v", on)
	}
	if off.Connected || off.AppliedSeq != 0 {
		t.Errorf("agt_off = %+v", off)
	}
	get(t, srv.URL+"/api/v1/agents/agt_nope", http.StatusNotFound, nil)
}

func TestVenueState(t *testing.T) {
	srv, _, _ := setup(t)
	var st hub.VenueState
	get(t, srv.URL+"/api/v1/venues/ven_1/state", http.StatusOK, &st)
	if len(st.Tables) != 1 || st.Tables[0].Seats != 4 {
		t.Errorf("state = %+v", st)
	}
	var e struct{ Error string }
	get(t, srv.URL+"/api/v1/venues/ven_x/state", http.StatusNotFound, &e)
	if e.Error == "" {
		t.Error("404 without a message")
	}
}

func TestHealthz(t *testing.T) {
	srv, st, _ := setup(t)
	get(t, srv.URL+"/healthz", http.StatusOK, nil)
	st.Close()
	get(t, srv.URL+"/healthz", http.StatusServiceUnavailable, nil)
}

func TestResyncQueuesCommandAndPokes(t *testing.T) {
	srv, st, f := setup(t)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/agents/agt_on/resync", nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+supportKey)
	r, err := http.DefaultClient.Do(req)
	must(t, err)
	defer r.Body.Close()
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", r.StatusCode)
	}
	var c hub.Command
	must(t, json.NewDecoder(r.Body).Decode(&c))
	pending, err := st.PendingCommands(context.Background(), "agt_on")
	must(t, err)
	if len(pending) != 1 || pending[0].ID != c.ID || pending[0].Kind != wire.CommandResync {
		t.Errorf("pending = %+v", pending)
	}
	if len(f.poked) != 1 || f.poked[0] != "agt_on" {
		t.Errorf("poked %v", f.poked)
	}
	get(t, srv.URL+"/api/v1/commands/"+c.ID, http.StatusOK, nil)
}

func TestEnrollOnce(t *testing.T) {
	srv, st, _ := setup(t)
	ctx := context.Background()
	now := time.Now().UTC()
	code, e := web.NewEnrollment("ven_1", now, time.Hour)
	must(t, st.CreateEnrollment(ctx, e))
	expired, old := web.NewEnrollment("ven_1", now.Add(-2*time.Hour), time.Hour)
	must(t, st.CreateEnrollment(ctx, old))

	post := func(code string) (*http.Response, []byte) {
		t.Helper()
		body, _ := json.Marshal(web.EnrollRequest{Code: code})
		r, err := http.Post(srv.URL+"/api/v1/enroll", "application/json", bytes.NewReader(body))
		must(t, err)
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r, b
	}

	// Typed in upper case without dashes: still the same code.
	r, b := post(strings.ToUpper(strings.ReplaceAll(code, "-", "")))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("enroll: %d %s", r.StatusCode, b)
	}
	var cred web.EnrollResponse
	must(t, json.Unmarshal(b, &cred))
	a, err := st.Agent(ctx, cred.AgentID)
	must(t, err)
	if a.VenueID != "ven_1" || !hub.CheckSecret(a.SecretHash, cred.Secret) {
		t.Errorf("agent %+v does not match the credential %+v", a, cred)
	}

	for name, c := range map[string]string{"used": code, "expired": expired, "unknown": "zzzz-zzzz"} {
		if r, b := post(c); r.StatusCode != http.StatusGone || !strings.Contains(string(b), "expired") {
			t.Errorf("%s code: %d %s, want 410 saying why", name, r.StatusCode, b)
		}
	}
	if r, _ := post(""); r.StatusCode != http.StatusBadRequest {
		t.Errorf("empty code: %d, want 400", r.StatusCode)
	}
}

func TestAgentsBehindLatest(t *testing.T) {
	srv, st, _ := setup(t)
	ctx := context.Background()
	must(t, st.UpdateAgentStatus(ctx, "agt_on", hub.AgentStatus{Version: "1.2.0"}))
	must(t, st.UpdateAgentStatus(ctx, "agt_off", hub.AgentStatus{Version: "1.3.0"}))
	// setup's server has no latest version: nobody is behind.
	var agents []web.AgentView
	get(t, srv.URL+"/api/v1/agents", http.StatusOK, &agents)
	for _, a := range agents {
		if a.Behind {
			t.Errorf("%s behind with no latest version set", a.ID)
		}
	}

	api := web.New(st, &fleet{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	api.SetLatestAgentVersion("1.3.0")
	srv2 := httptest.NewServer(api)
	defer srv2.Close()
	get(t, srv2.URL+"/api/v1/agents", http.StatusOK, &agents)
	for _, a := range agents {
		if want := a.ID == "agt_on"; a.Behind != want {
			t.Errorf("%s (version %s) behind = %v, want %v", a.ID, a.Version, a.Behind, want)
		}
	}
}
