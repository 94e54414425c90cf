package web_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// BenchmarkFleetPage renders the fleet page for support with 1,000 agents
// (100 venues, statuses with health and backlog), all connected, each with
// a day of minute samples in the store and a last change seen by the
// sampler, on the embedded store: the page does all its work for every
// row. Target: under 200 ms a page. Its baseline, measured in the same
// run, is the same fleet as JSON from GET /api/v1/agents: the store reads
// without the page around them.
func BenchmarkFleetPage(b *testing.B) {
	api := fleetFixture(b, 1000, int(hub.SampleRetention/time.Minute))

	page := httptest.NewRequest(http.MethodGet, "/fleet", nil)
	page.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: "sid"})
	list := httptest.NewRequest(http.MethodGet, "/api/v1/agents", nil)
	list.Header.Set("Authorization", "Bearer sk_bench")
	serve := func(req *http.Request) time.Duration {
		start := time.Now()
		w := httptest.NewRecorder()
		api.ServeHTTP(w, req)
		took := time.Since(start)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", req.URL.Path, w.Code, w.Body.String())
		}
		if req == page {
			checkFleetBody(b, w.Body.String(), 1000)
		}
		return took
	}
	b.ReportAllocs()
	var pages, lists time.Duration
	// make bench runs each benchmark once (-benchtime 1x): an iteration
	// serves several pages so one cold page does not make the figure.
	const perIter = 10
	for b.Loop() {
		for range perIter {
			pages += serve(page)
			b.StopTimer()
			lists += serve(list)
			b.StartTimer()
		}
	}
	n := float64(b.N * perIter)
	perPage := float64(pages) / n / float64(time.Millisecond)
	perList := float64(lists) / n / float64(time.Millisecond)
	b.ReportMetric(perPage, "ms/page")
	b.ReportMetric(perList, "json_ms")
	b.ReportMetric(perPage/perList, "ratio_json")
}

// fleetFixture makes a hub of n agents, ten to a venue, on a fresh
// embedded store: every agent connected, reporting health (every seventh
// failing), a backlog and one applied event; minutes of samples each,
// up to the last minute; and a sampler that has seen each agent's count
// grow. It returns the web server, with a support session (cookie "sid")
// and a support API key ("sk_bench").
func fleetFixture(tb testing.TB, n, minutes int) *web.Server {
	tb.Helper()
	st, err := bolt.Open(filepath.Join(tb.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	ctx := context.Background()
	now := time.Now().UTC()
	venues := (n + 9) / 10
	for v := range venues {
		mustDo(tb, st.CreateVenue(ctx, hub.Venue{ID: fmt.Sprintf("ven_%03d", v),
			Name: fmt.Sprintf("Ресторан №%d", v), TimeZone: "Europe/Moscow", CreatedAt: now}))
	}
	ids := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("agt_%04d", i)
		ids[i] = id
		mustDo(tb, st.CreateAgent(ctx, hub.Agent{ID: id, VenueID: fmt.Sprintf("ven_%03d", i%venues),
			SecretHash: hub.HashSecret(id), CreatedAt: now}))
		health := wire.ConnectorHealth{OK: i%7 != 0, LastSuccess: now}
		if !health.OK {
			health.Error = "iiko: 401 Unauthorized: check the API login"
		}
		mustDo(tb, st.UpdateAgentStatus(ctx, id, hub.AgentStatus{Version: "1.4.2", OS: "windows",
			Connector: "iiko", LastSeen: now.Add(-time.Duration(i) * time.Second),
			Backlog: uint64(i * 3 % 2000), Health: health}))
	}
	// The day before this minute, ten agents a transaction: each agent's
	// samples go to the end of its own bucket.
	since := now.Add(-time.Hour)
	first := now.Truncate(time.Minute).Add(-time.Duration(minutes) * time.Minute)
	for lo := 0; lo < n; lo += 10 {
		var batch []hub.AgentSample
		for _, id := range ids[lo:min(lo+10, n)] {
			for m := range minutes {
				batch = append(batch, hub.AgentSample{AgentID: id,
					Minute: first.Add(time.Duration(m) * time.Minute), AppliedEvents: uint64(m),
					Backlog: uint64(m % 50), Connected: true, ConnectedSince: since})
			}
		}
		mustDo(tb, st.RecordAgentSamples(ctx, batch))
	}
	mustDo(tb, st.CreateUser(ctx, hub.User{ID: "usr_sup", Email: "support@stolik.ru",
		PasswordHash: []byte("x"), Role: hub.RoleSupport, CreatedAt: now}))
	mustDo(tb, st.CreateSession(ctx, hub.Session{IDHash: hub.HashSecret("sid"),
		UserID: "usr_sup", CSRF: "tok", CreatedAt: now, Expires: now.Add(time.Hour)}))
	mustDo(tb, st.CreateAPIKey(ctx, hub.APIKey{ID: "key_sup", Name: "bench",
		KeyHash: hub.HashSecret("sk_bench"), Role: hub.RoleSupport, CreatedAt: now}))
	api := web.New(st, allLive{since: since}, quietLog())

	// The sampler sees every count, then every count grow.
	mustDo(tb, api.SampleAgents(ctx))
	for i, id := range ids {
		table, _ := json.Marshal(wire.Table{ID: fmt.Sprintf("t-%d", i), HallID: "h-1",
			Number: fmt.Sprint(i), Seats: 4})
		_, err := st.ApplyBatch(ctx, id, []wire.Event{{Seq: 1, Entity: wire.EntityTable,
			ID: fmt.Sprintf("t-%d", i), Op: wire.OpUpsert, Data: table}})
		mustDo(tb, err)
	}
	mustDo(tb, api.SampleAgents(ctx))
	return api
}

// checkFleetBody fails unless the fleet page shows n agents, all
// connected, each with a last change.
func checkFleetBody(tb testing.TB, body string, n int) {
	tb.Helper()
	if got := strings.Count(body, `id="agent-`); got != n {
		tb.Fatalf("fleet page: %d agents, want %d", got, n)
	}
	if got := strings.Count(body, `<span class="badge ok">connected</span>`); got != n {
		tb.Fatalf("fleet page: %d agents connected, want %d", got, n)
	}
	if got := strings.Count(body, `>never</`); got != 0 {
		tb.Fatalf("fleet page: %d agents without a last change, want none", got)
	}
}

// TestFleetFixture: the fixture BenchmarkFleetPage measures is what it
// says, at a small size.
func TestFleetFixture(t *testing.T) {
	api := fleetFixture(t, 30, 5)
	req := httptest.NewRequest(http.MethodGet, "/fleet", nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: "sid"})
	w := httptest.NewRecorder()
	api.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("fleet page: %d", w.Code)
	}
	checkFleetBody(t, w.Body.String(), 30)
}

// allLive says every agent is connected, since the given time.
type allLive struct{ since time.Time }

func (l allLive) Live(string) hub.Live {
	return hub.Live{Connected: true, Since: l.since}
}
func (allLive) Poke(string)       {}
func (allLive) Disconnect(string) {}
