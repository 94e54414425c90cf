package web_test

import (
	"context"
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
// (100 venues, statuses with health and backlog; every third agent
// connected) on the embedded store. Target: under 200 ms a page. Its
// baseline, measured in the same run, is the same fleet as JSON from
// GET /api/v1/agents: the store reads without the page around them.
func BenchmarkFleetPage(b *testing.B) {
	st, err := bolt.Open(filepath.Join(b.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	for v := range 100 {
		mustDo(b, st.CreateVenue(ctx, hub.Venue{ID: fmt.Sprintf("ven_%03d", v),
			Name: fmt.Sprintf("Ресторан №%d", v), TimeZone: "Europe/Moscow", CreatedAt: now}))
	}
	for i := range 1000 {
		id := fmt.Sprintf("agt_%04d", i)
		mustDo(b, st.CreateAgent(ctx, hub.Agent{ID: id, VenueID: fmt.Sprintf("ven_%03d", i%100),
			SecretHash: hub.HashSecret(id), CreatedAt: now}))
		health := wire.ConnectorHealth{OK: i%7 != 0, LastSuccess: now}
		if !health.OK {
			health.Error = "iiko: 401 Unauthorized: check the API login"
		}
		mustDo(b, st.UpdateAgentStatus(ctx, id, hub.AgentStatus{Version: "1.4.2", OS: "windows",
			Connector: "iiko", LastSeen: now.Add(-time.Duration(i) * time.Second),
			Backlog: uint64(i * 3 % 2000), Health: health}))
	}
	mustDo(b, st.CreateUser(ctx, hub.User{ID: "usr_sup", Email: "support@stolik.ru",
		PasswordHash: []byte("x"), Role: hub.RoleSupport, CreatedAt: now}))
	mustDo(b, st.CreateSession(ctx, hub.Session{IDHash: hub.HashSecret("sid"),
		UserID: "usr_sup", CSRF: "tok", CreatedAt: now, Expires: now.Add(time.Hour)}))
	mustDo(b, st.CreateAPIKey(ctx, hub.APIKey{ID: "key_sup", Name: "bench",
		KeyHash: hub.HashSecret("sk_bench"), Role: hub.RoleSupport, CreatedAt: now}))
	api := web.New(st, thirdLive{}, quietLog())

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
		if req == page && strings.Count(w.Body.String(), `id="agent-`) != 1000 {
			b.Fatalf("fleet page: %d agents", strings.Count(w.Body.String(), `id="agent-`))
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

// thirdLive says every third agent is connected.
type thirdLive struct{}

func (thirdLive) Live(id string) hub.Live {
	if id[len(id)-1]%3 == 0 {
		return hub.Live{Connected: true, Since: time.Now().Add(-time.Hour)}
	}
	return hub.Live{}
}
func (thirdLive) Poke(string)       {}
func (thirdLive) Disconnect(string) {}
