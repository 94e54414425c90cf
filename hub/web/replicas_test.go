package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/hub/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// replica is one hub process on the shared database: its own store pool,
// gateway and web server, named like the gateway names it in agents'
// status.
type replica struct {
	name  string
	dbURL string
	store hub.Store
	gw    *gateway.Gateway
	api   *web.Server
	srv   *httptest.Server
}

// replicas starts n hub replicas on one fresh PostgreSQL database, which
// holds venues ven_0.. with agents agt_0.. (secret "secret of agt_i"), the
// accounts of newLiveHub and the support API key.
func replicas(t *testing.T, n int) []*replica {
	t.Helper()
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	var rs []*replica
	for i := range n {
		st, err := postgres.Open(ctx, postgres.Config{URL: dbURL})
		if err != nil {
			t.Fatal(err)
		}
		r := &replica{name: fmt.Sprintf("hub-%d", i+1), dbURL: dbURL, store: st}
		r.gw = gateway.New(st, gateway.Options{Logger: quietLog(), Replica: r.name,
			WriteWait: 2 * time.Second})
		r.api = web.New(st, r.gw, quietLog())
		r.api.SetOptions(web.Options{BcryptCost: 4, Replica: r.name})
		mux := http.NewServeMux()
		mux.Handle("/agent/", r.gw)
		mux.Handle("/", r.api)
		r.srv = httptest.NewServer(mux)
		t.Cleanup(func() {
			_ = r.gw.Close()
			r.srv.Close()
			st.Close()
		})
		rs = append(rs, r)
	}

	st, now := rs[0].store, time.Now().UTC()
	for i := range n {
		venue := fmt.Sprintf("ven_%d", i)
		agent := fmt.Sprintf("agt_%d", i)
		mustDo(t, st.CreateVenue(ctx, hub.Venue{ID: venue, Name: "Venue " + venue,
			TimeZone: "Europe/Moscow", Mode: hub.ModeManual, CreatedAt: now}))
		mustDo(t, st.CreateAgent(ctx, hub.Agent{ID: agent, VenueID: venue,
			SecretHash: hub.HashSecret("secret of " + agent), CreatedAt: now}))
	}
	hash, err := web.HashPassword(password, 4)
	mustDo(t, err)
	for _, u := range []hub.User{
		{ID: "usr_sup", Email: "support@stolik.ru", Role: hub.RoleSupport, Lang: "en"},
		{ID: "usr_a", Email: "staff@a.ru", Role: hub.RoleStaff, VenueIDs: []string{"ven_0"},
			Lang: "en"},
	} {
		u.PasswordHash, u.CreatedAt = hash, now
		mustDo(t, st.CreateUser(ctx, u))
	}
	mustDo(t, st.CreateAPIKey(ctx, hub.APIKey{ID: "key_support", Name: "tests",
		KeyHash: hub.HashSecret(supportKey), Role: hub.RoleSupport, CreatedAt: now}))
	return rs
}

// connect runs a real agent (sim connector) with agentID's credential,
// connected to r only, until the test ends, and waits until r's gateway
// holds it and the store names r as its holder.
func (r *replica) connect(t *testing.T, agentID string) {
	t.Helper()
	c := config.Default()
	c.DataDir = t.TempDir()
	c.PollInterval = 200 * time.Millisecond
	c.Hub.URLs = []string{r.srv.URL}
	c.Hub.AgentID, c.Hub.Secret = agentID, "secret of "+agentID
	c.Connector.Sim = config.Sim{Seed: 7, Halls: 1, Tables: 4, Step: 300 * time.Millisecond,
		ChangesPerStep: 1}
	c.Uplink.BackoffMin, c.Uplink.BackoffMax = 50*time.Millisecond, 200*time.Millisecond
	log, closeLog := service.OpenLogger(c, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- service.Run(ctx, c, "test", log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("agent did not stop within 10s")
		}
		closeLog()
	})
	waitUntil(t, 10*time.Second, agentID+" connected to "+r.name, func() bool {
		a, err := r.store.Agent(context.Background(), agentID)
		return r.gw.Live(agentID).Connected && err == nil && a.Status.Replica == r.name
	})
}

// lastSample returns the newest sample of agentID (of the last minutes:
// a test may run over a minute's end).
func lastSample(t *testing.T, st hub.Store, agentID string) (hub.AgentSample, bool) {
	t.Helper()
	list, err := st.AgentSamples(context.Background(), agentID,
		time.Now().UTC().Add(-2*time.Minute))
	mustDo(t, err)
	if len(list) == 0 {
		return hub.AgentSample{}, false
	}
	return list[len(list)-1], true
}

// TestSamplesTwoReplicas: two replicas, one agent on each. Whichever
// replica samples last, both agents' samples say connected, with the
// connection's start; and each replica's agent list shows both connected.
func TestSamplesTwoReplicas(t *testing.T) {
	ctx := context.Background()
	rs := replicas(t, 2)
	rs[0].connect(t, "agt_0")
	rs[1].connect(t, "agt_1")

	for _, order := range [][]int{{0, 1}, {1, 0}} {
		for _, i := range order {
			mustDo(t, rs[i].api.SampleAgents(ctx))
		}
		for i, r := range rs {
			agent := fmt.Sprintf("agt_%d", i)
			sm, ok := lastSample(t, r.store, agent)
			if !ok || !sm.Connected || sm.ConnectedSince.IsZero() {
				t.Errorf("sampled by %s then %s: %s's sample %+v (found %v), want connected "+
					"since its connection started", rs[order[0]].name, rs[order[1]].name, agent,
					sm, ok)
			}
		}
	}

	for _, r := range rs {
		var list []web.AgentView
		get(t, r.srv.URL+"/api/v1/agents", http.StatusOK, &list)
		for _, a := range list {
			if !a.Connected {
				t.Errorf("%s lists %s as disconnected", r.name, a.ID)
			}
		}
		if len(list) != 2 {
			t.Errorf("%s lists %d agents, want 2", r.name, len(list))
		}
	}
}

// TestSamplesReplicaGone: an agent whose status names a replica that
// stopped refreshing it (it died) is sampled as disconnected by the live
// replicas; one whose replica refreshed it lately is left to that replica.
func TestSamplesReplicaGone(t *testing.T) {
	ctx := context.Background()
	rs := replicas(t, 2)
	st := rs[0].store
	now := time.Now().UTC()

	// agt_0's replica died ten minutes ago; agt_1's holder is alive (it
	// wrote its last-seen time just now) but is neither of these two.
	mustDo(t, st.UpdateAgentStatus(ctx, "agt_0", hub.AgentStatus{Replica: "hub-gone",
		LastSeen: now.Add(-10 * time.Minute)}))
	mustDo(t, st.UpdateAgentStatus(ctx, "agt_1", hub.AgentStatus{Replica: "hub-9",
		LastSeen: now}))
	for _, r := range rs {
		mustDo(t, r.api.SampleAgents(ctx))
	}

	sm, ok := lastSample(t, st, "agt_0")
	if !ok || sm.Connected {
		t.Errorf("agent of a dead replica: sample %+v (found %v), want disconnected", sm, ok)
	}
	if sm, ok := lastSample(t, st, "agt_1"); ok {
		t.Errorf("agent of another live replica sampled here: %+v", sm)
	}
	var view web.AgentView
	get(t, rs[0].srv.URL+"/api/v1/agents/agt_0", http.StatusOK, &view)
	if view.Connected {
		t.Error("agent of a dead replica shown connected")
	}
}

// TestLoginLimitAcrossReplicas: failed sign-ins spread over two replicas
// are limited as if they had gone to one, per account and per address.
func TestLoginLimitAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	try := func(r *replica, email, pw string) int {
		t.Helper()
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		resp, err := c.PostForm(r.srv.URL+"/login", url.Values{"email": {email},
			"password": {pw}})
		mustDo(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	// Five failures of one account, alternating replicas: each replica saw
	// fewer than the limit.
	for i := range 5 {
		if code := try(rs[i%2], "staff@a.ru", "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, code)
		}
	}
	for _, r := range rs {
		if code := try(r, "staff@a.ru", password); code != http.StatusTooManyRequests {
			t.Errorf("right password on %s after 5 failures over both = %d, want 429",
				r.name, code)
		}
	}
	if code := try(rs[0], "support@stolik.ru", password); code != http.StatusSeeOther {
		t.Errorf("another account = %d, want signed in (303)", code)
	}

	// Fifteen more failures from the same address, other emails: twenty
	// in all, spread over both.
	for i := range 15 {
		try(rs[i%2], fmt.Sprintf("nobody%d@x.ru", i), "wrong password")
	}
	for _, r := range rs {
		if code := try(r, "support@stolik.ru", password); code != http.StatusTooManyRequests {
			t.Errorf("on %s after 20 failures from one address = %d, want 429", r.name, code)
		}
	}
}
