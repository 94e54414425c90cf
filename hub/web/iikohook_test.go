package web_test

import (
	"context"
	"io"
	"log/slog"
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
	"github.com/stolik/stolik/shared/wire"
)

const hookSecret = "test-webhook-secret-0123456789"

// hookSetup serves the API with webhooks on (when secret is set) over a
// store with venue ven_1, its agent agt_on and a revoked agent agt_old.
func hookSetup(t *testing.T, secret string) (*httptest.Server, hub.Store, *fleet) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	now := time.Now().UTC()
	must(t, st.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Пушкин",
		TimeZone: "Europe/Moscow", CreatedAt: now}))
	for _, id := range []string{"agt_old", "agt_on"} {
		must(t, st.CreateAgent(ctx, hub.Agent{ID: id, VenueID: "ven_1",
			SecretHash: hub.HashSecret("s"), CreatedAt: now}))
	}
	must(t, st.RevokeAgent(ctx, "agt_old", now))
	f := &fleet{}
	api := web.New(st, f, slog.New(slog.NewTextHandler(io.Discard, nil)))
	api.SetWebhookSecret(secret)
	if secret != "" {
		api.SetPosterSecret(posterSecret)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv, st, f
}

func postHook(t *testing.T, url, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	must(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func pendingPolls(t *testing.T, st hub.Store, agentID string) []hub.Command {
	t.Helper()
	cmds, err := st.PendingCommands(context.Background(), agentID)
	must(t, err)
	var polls []hub.Command
	for _, c := range cmds {
		if c.Kind == wire.CommandPoll {
			polls = append(polls, c)
		}
	}
	return polls
}

func TestIikoHook(t *testing.T) {
	srv, st, f := hookSetup(t, hookSecret)
	url := srv.URL + web.WebhookPath("ven_1")
	token := web.WebhookToken(hookSecret, "ven_1")
	example, err := os.ReadFile(filepath.Join("testdata", "iiko-cloud-webhook-reserve-update.json"))
	must(t, err)

	for _, auth := range []string{"", "Bearer nope", token[:len(token)-1] + "0",
		"Bearer " + web.WebhookToken(hookSecret, "ven_2"), web.WebhookToken("other", "ven_1")} {
		if code, body := postHook(t, url, auth, string(example)); code != http.StatusUnauthorized {
			t.Errorf("auth %q: %d %s, want 401", auth, code, body)
		}
	}
	if n := len(pendingPolls(t, st, "agt_on")); n != 0 {
		t.Fatalf("%d polls pending after forged calls, want 0", n)
	}

	code, body := postHook(t, url, "Bearer "+token, string(example))
	if code != http.StatusOK || !strings.Contains(body, `"queued"`) {
		t.Fatalf("good token: %d %s, want 200 queued", code, body)
	}
	polls := pendingPolls(t, st, "agt_on")
	if len(polls) != 1 {
		t.Fatalf("%d polls pending for agt_on, want 1", len(polls))
	}
	if d := polls[0].Expires.Sub(polls[0].CreatedAt); d != time.Minute {
		t.Errorf("poll expires after %v, want 1m", d)
	}
	if len(pendingPolls(t, st, "agt_old")) != 0 {
		t.Error("a poll was queued for the revoked agent")
	}
	if len(f.poked) != 1 || f.poked[0] != "agt_on" {
		t.Errorf("poked %v, want [agt_on]", f.poked)
	}

	// A bare token works too; a second event while one poll is pending
	// adds none.
	code, body = postHook(t, url, token, `[{"eventType":"TableOrderUpdate"}]`)
	if code != http.StatusOK || !strings.Contains(body, `"pending"`) {
		t.Fatalf("second event: %d %s, want 200 pending", code, body)
	}
	if n := len(pendingPolls(t, st, "agt_on")); n != 1 {
		t.Errorf("%d polls pending after a second event, want 1", n)
	}

	// Events that do not concern tables are accepted and ignored.
	code, _ = postHook(t, url, token, `[{"eventType":"StopListUpdate"},{"x":1}]`)
	if code != http.StatusOK {
		t.Errorf("unrelated events: %d, want 200", code)
	}
}

func TestIikoHookBadBody(t *testing.T) {
	srv, st, _ := hookSetup(t, hookSecret)
	url := srv.URL + web.WebhookPath("ven_1")
	token := web.WebhookToken(hookSecret, "ven_1")
	for _, body := range []string{`{"eventType":"ReserveUpdate"}`, `[{"eventType":`, ``, `nul`} {
		code, ans := postHook(t, url, token, body)
		if code != http.StatusBadRequest || !strings.Contains(ans, "JSON array") {
			t.Errorf("body %q: %d %s, want 400 naming a JSON array", body, code, ans)
		}
	}
	big := `[` + strings.Repeat(`{"eventType":"ReserveUpdate"},`, 40_000) + `{}]`
	if code, _ := postHook(t, url, token, big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte body: %d, want 413", len(big), code)
	}
	if n := len(pendingPolls(t, st, "agt_on")); n != 0 {
		t.Errorf("%d polls pending after bad bodies, want 0", n)
	}
}

func TestIikoHookOff(t *testing.T) {
	srv, _, _ := hookSetup(t, "")
	code, _ := postHook(t, srv.URL+web.WebhookPath("ven_1"),
		web.WebhookToken("", "ven_1"), `[{"eventType":"ReserveUpdate"}]`)
	if code != http.StatusNotFound {
		t.Errorf("webhooks off: %d, want 404", code)
	}
}
