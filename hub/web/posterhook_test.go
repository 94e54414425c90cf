package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/posterhook"
)

const posterSecret = "s3cret-poster-app"

// posterBody is a signed Poster webhook with data as JSON text (left out
// when ""): a string is signed as its text, an object as sent.
func posterBody(account, object, objectID, data string) string {
	var d *string
	dataField := ""
	if data != "" {
		signed := strings.Trim(data, `"`)
		d = &signed
		dataField = `"data":` + data + `,`
	}
	v := posterhook.Sign(account, object, objectID, "changed", d, "1700000000", posterSecret)
	return `{"account":"` + account + `","account_number":"12345","object":"` + object +
		`","object_id":` + objectID + `,"action":"changed","time":"1700000000",` + dataField +
		`"verify":"` + v + `"}`
}

func TestPosterHookByVenue(t *testing.T) {
	srv, st, f := hookSetup(t, hookSecret)
	url := srv.URL + "/hooks/poster/ven_1"
	good := `{"account":"mykitchen","account_number":"12345","object":"incoming_order",` +
		`"object_id":42,"action":"changed","time":"1700000000",` +
		`"verify":"4f4dd510ba553cc8a1327995ddeed693"}` // worked out by hand

	forged := strings.Replace(good, `"object_id":42`, `"object_id":43`, 1)
	if code, body := postHook(t, url, "", forged); code != http.StatusUnauthorized {
		t.Errorf("forged webhook: %d %s, want 401", code, body)
	}
	for _, bad := range []string{`[]`, `{`, `{"account":"x"}`} {
		if code, body := postHook(t, url, "", bad); code != http.StatusBadRequest ||
			!strings.Contains(body, "not a Poster webhook") {
			t.Errorf("body %s: %d %s, want 400 naming the shape", bad, code, body)
		}
	}
	if n := len(pendingPolls(t, st, "agt_on")); n != 0 {
		t.Fatalf("%d polls pending after bad calls, want 0", n)
	}

	// The agent reports no account yet: the venue's address is taken at
	// its word.
	code, body := postHook(t, url, "", good)
	if code != http.StatusOK || !strings.Contains(body, `"queued"`) {
		t.Fatalf("good webhook: %d %s, want 200 queued", code, body)
	}
	if n := len(pendingPolls(t, st, "agt_on")); n != 1 || len(f.poked) != 1 {
		t.Errorf("%d polls pending, %d pokes; want 1 and 1", n, len(f.poked))
	}

	// Objects that say nothing about tables or reservations poll nothing.
	other := posterBody("mykitchen", "spot", "1", "")
	if code, body := postHook(t, url, "", other); code != http.StatusOK || strings.Contains(body, "poll") {
		t.Errorf("spot webhook: %d %s, want 200 without a poll", code, body)
	}

	// Once the agent reports its account, another account's webhook on the
	// venue's address is refused.
	setAccount(t, st, "agt_on", "mykitchen")
	if code, body := postHook(t, url, "", posterBody("otherplace", "incoming_order", "5", "")); code != http.StatusForbidden ||
		!strings.Contains(body, "otherplace") {
		t.Errorf("other account on the venue's address: %d %s, want 403", code, body)
	}

	off, _, _ := hookSetup(t, "")
	for _, u := range []string{"/hooks/poster/ven_1", "/hooks/poster"} {
		if code, _ := postHook(t, off.URL+u, "", good); code != http.StatusNotFound {
			t.Errorf("%s without a secret: %d, want 404", u, code)
		}
	}
}

func TestPosterHookByAccount(t *testing.T) {
	srv, st, f := hookSetup(t, hookSecret)
	ctx := context.Background()
	now := time.Now().UTC()
	must(t, st.CreateVenue(ctx, hub.Venue{ID: "ven_2", Name: "Онегин",
		TimeZone: "Europe/Moscow", CreatedAt: now}))
	must(t, st.CreateAgent(ctx, hub.Agent{ID: "agt_2", VenueID: "ven_2",
		SecretHash: hub.HashSecret("s"), CreatedAt: now}))
	setAccount(t, st, "agt_on", "mykitchen")
	setAccount(t, st, "agt_2", "Onegin")
	url := srv.URL + "/hooks/poster"

	// Data as an object (signed as sent) is taken, and the account, in
	// any case, finds its venue alone.
	code, body := postHook(t, url, "", posterBody("onegin", "incoming_order", "7", `{"status":1}`))
	if code != http.StatusOK || !strings.Contains(body, `"queued"`) {
		t.Fatalf("webhook for onegin: %d %s, want 200 queued", code, body)
	}
	if n1, n2 := len(pendingPolls(t, st, "agt_on")), len(pendingPolls(t, st, "agt_2")); n1 != 0 || n2 != 1 {
		t.Errorf("polls pending: ven_1 %d, ven_2 %d; want 0 and 1", n1, n2)
	}
	code, body = postHook(t, url, "", posterBody("mykitchen", "transaction", "9", `"x"`))
	if code != http.StatusOK || len(pendingPolls(t, st, "agt_on")) != 1 {
		t.Errorf("webhook for mykitchen: %d %s, want a poll for ven_1", code, body)
	}

	// An account no agent reads is answered 200, so Poster does not retry
	// for two days, and polls nothing.
	pokes := len(f.poked)
	code, body = postHook(t, url, "", posterBody("stranger", "incoming_order", "1", ""))
	if code != http.StatusOK || !strings.Contains(body, "no venue") || len(f.poked) != pokes {
		t.Errorf("unknown account: %d %s, %d new pokes; want 200 no venue and none",
			code, body, len(f.poked)-pokes)
	}
	bad := strings.Replace(posterBody("onegin", "incoming_order", "7", ""), `"7"`, `"8"`, 1)
	bad = strings.Replace(bad, `"object_id":7`, `"object_id":8`, 1)
	if code, _ := postHook(t, url, "", bad); code != http.StatusUnauthorized {
		t.Errorf("forged webhook: %d, want 401", code)
	}
}

func setAccount(t *testing.T, st hub.Store, agentID, account string) {
	t.Helper()
	must(t, st.UpdateAgentStatus(context.Background(), agentID, hub.AgentStatus{
		Connector: "poster", RMSAccount: account}))
}
