package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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

func get(t *testing.T, url string, want int, v any) {
	t.Helper()
	r, err := http.Get(url)
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
	r, err := http.Post(srv.URL+"/api/v1/agents/agt_on/resync", "", nil)
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
