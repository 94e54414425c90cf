package web_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// exampleReserveID is the reserve the iiko webhook example names.
const exampleReserveID = "10687527-56dc-438b-a2ef-d942516b5cca"

func hintsOf(t *testing.T, c hub.Command) wire.PollHints {
	t.Helper()
	h, err := wire.DecodePollHints(c.Body)
	if err != nil {
		t.Fatalf("poll %s body %.200s: %.300v", c.ID, c.Body, err)
	}
	return h
}

func reserveEvent(id string) string {
	return fmt.Sprintf(`{"eventType":"ReserveUpdate","eventInfo":{"id":%q,"reserve":null}}`, id)
}

// TestIikoHookHints: the poll a webhook queues names the reserve that
// changed; a later webhook about another reserve queues a poll for it, up
// to a bound, and one about a reserve already hinted adds none.
func TestIikoHookHints(t *testing.T) {
	srv, st, _ := hookSetup(t, hookSecret)
	url := srv.URL + web.WebhookPath("ven_1")
	token := web.WebhookToken(hookSecret, "ven_1")
	example, err := os.ReadFile(filepath.Join("testdata", "iiko-cloud-webhook-reserve-update.json"))
	must(t, err)
	post := func(body, want string) {
		t.Helper()
		code, ans := postHook(t, url, token, body)
		if code != http.StatusOK || !strings.Contains(ans, `"`+want+`"`) {
			t.Fatalf("post %.60s: %d %s, want 200 %s", body, code, ans, want)
		}
	}

	post(string(example), "queued")
	polls := pendingPolls(t, st, "agt_on")
	if len(polls) != 1 {
		t.Fatalf("%d polls pending, want 1", len(polls))
	}
	if diff := cmp.Diff(hintsOf(t, polls[0]),
		wire.PollHints{Reservations: []string{exampleReserveID}}); diff != "" {
		t.Errorf("hints of the queued poll (-got +want):\n%s", diff)
	}

	// The same reserve again, or an event naming nothing: covered.
	post(string(example), "pending")
	post(`[{"eventType":"TableOrderUpdate"}]`, "pending")
	// Another reserve and a table order: a poll of their own.
	post("["+reserveEvent("r-2")+`,{"eventType":"TableOrderUpdate","eventInfo":{"id":"o-1"}}]`,
		"queued")
	polls = pendingPolls(t, st, "agt_on")
	if len(polls) != 2 {
		t.Fatalf("%d polls pending after a second reserve, want 2", len(polls))
	}
	if diff := cmp.Diff(hintsOf(t, polls[1]), wire.PollHints{Reservations: []string{"r-2"},
		Orders: []string{"o-1"}}); diff != "" {
		t.Errorf("hints of the second poll (-got +want):\n%s", diff)
	}

	// At most four polls wait; past them a new reserve adds none.
	post("["+reserveEvent("r-3")+"]", "queued")
	post("["+reserveEvent("r-4")+"]", "queued")
	post("["+reserveEvent("r-5")+"]", "pending")
	if n := len(pendingPolls(t, st, "agt_on")); n != 4 {
		t.Errorf("%d polls pending after five reserves, want 4", n)
	}
}

// TestIikoHookHintsBounded: a body naming thousands of reserves, with
// long or odd ids and event details of other shapes, queues one poll whose
// hints are within the wire's bounds.
func TestIikoHookHintsBounded(t *testing.T) {
	srv, st, _ := hookSetup(t, hookSecret)
	var events []string
	for i := range 3000 {
		events = append(events, reserveEvent(fmt.Sprintf("r-%05d", i)))
	}
	events = append([]string{
		reserveEvent(strings.Repeat("x", 5000)),
		reserveEvent("r\n1"),
		`{"eventType":"ReserveUpdate","eventInfo":[1,2]}`,
		`{"eventType":"ReserveUpdate","eventInfo":"r-x"}`,
		`{"eventType":"StopListUpdate","eventInfo":{"id":"s-1"}}`,
	}, events...)
	body := "[" + strings.Join(events, ",") + "]"
	code, ans := postHook(t, srv.URL+web.WebhookPath("ven_1"),
		web.WebhookToken(hookSecret, "ven_1"), body)
	if code != http.StatusOK || !strings.Contains(ans, `"queued"`) {
		t.Fatalf("a %d-byte body naming 3,000 reserves: %d %s, want 200 queued",
			len(body), code, ans)
	}
	polls := pendingPolls(t, st, "agt_on")
	if len(polls) != 1 {
		t.Fatalf("%d polls pending, want 1", len(polls))
	}
	h := hintsOf(t, polls[0]) // validates the bounds
	if len(h.Reservations) != wire.MaxPollHints || h.Reservations[0] != "r-00000" ||
		len(h.Orders) != 0 {
		t.Errorf("hints %d reservations from %q, %d orders; want the first %d valid ids",
			len(h.Reservations), h.Reservations[0], len(h.Orders), wire.MaxPollHints)
	}
	if len(polls[0].Body) > 2*wire.MaxPollHints*wire.MaxPollHintLen {
		t.Errorf("the poll's body is %d bytes", len(polls[0].Body))
	}
}
