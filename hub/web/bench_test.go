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
// connected) on the embedded store. Target: under 200 ms a page.
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
	api := web.New(st, thirdLive{}, quietLog())

	req := httptest.NewRequest(http.MethodGet, "/fleet", nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: "sid"})
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		api.ServeHTTP(w, req)
		if w.Code != http.StatusOK || strings.Count(w.Body.String(), `id="agent-`) != 1000 {
			b.Fatalf("fleet page: %d, %d agents", w.Code,
				strings.Count(w.Body.String(), `id="agent-`))
		}
	}
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
