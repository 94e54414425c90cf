package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/web"
)

// FuzzIikoHook posts arbitrary bodies, with the venue's right token, to
// the iiko webhook: whatever the body, the hub answers 2xx or 4xx, never
// 5xx, never panics, and queues at most the bounded polls for the agent.
func FuzzIikoHook(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("testdata", "iiko-cloud-webhook-reserve-update.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"eventType":"TableOrderUpdate","eventInfo":{"id":"x","order":null}}]`))
	f.Add([]byte(`[{"eventType":"ReserveUpdate","eventInfo":{"id":7}}]`))
	f.Add([]byte(`{"eventType":"ReserveUpdate"}`))
	f.Add([]byte("\x00\xff"))

	st, err := bolt.Open(filepath.Join(f.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	mustDo(f, st.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Пушкин",
		TimeZone: "Europe/Moscow", CreatedAt: now}))
	mustDo(f, st.CreateAgent(ctx, hub.Agent{ID: "agt_on", VenueID: "ven_1",
		SecretHash: hub.HashSecret("s"), CreatedAt: now}))
	api := web.New(st, &fleet{}, quietLog())
	api.SetWebhookSecret(hookSecret)
	auth := "Bearer " + web.WebhookToken(hookSecret, "ven_1")

	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/hooks/iiko/ven_1",
			strings.NewReader(string(body)))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		api.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("body %q: %d %s", body, w.Code, w.Body.String())
		}
		pending, err := st.PendingCommands(ctx, "agt_on")
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) > 4 {
			t.Fatalf("%d polls wait for the agent, at most 4", len(pending))
		}
	})
}
