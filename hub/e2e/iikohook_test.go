package e2e_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/iiko"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// TestIikoWebhookStatusAtOnce: guests seated at the till (a status change
// that leaves the reserve's slot as it was) reach the hub through iiko's
// webhook, the poll it asks for and the reserve id that poll carries,
// well before the agent's poll interval or the details' maximum age.
func TestIikoWebhookStatusAtOnce(t *testing.T) {
	const secret = "e2e-webhook-secret-0123456789"
	f := iikotest.New(iikotest.Options{Tables: 6})
	t.Cleanup(f.Close)
	o := f.Options()
	h := newHub(t, "webhook_secret: "+secret+"\n")
	cred := h.addAgent("iiko webhooks")
	h.start()
	dir := t.TempDir()
	cfg := agentConfig(t, dir, cred, []string{"ws://" + h.addr}, fmt.Sprintf(
		"poll_interval: 10m\nuplink: {backoff_min: 20ms, backoff_max: 200ms}\n"+
			"connector:\n  kind: iiko\n  iiko: {base_url: %q, api_key: %q, app_id: %q, "+
			"client_secret: %q, time_zone: Europe/Moscow}\n",
		f.URL(), o.APIKey, o.AppID, o.ClientSecret))
	a := startAgent(t, cfg)
	reservation := func(id string) (wire.Reservation, bool) {
		if a.exited() {
			t.Fatalf("agent exited:\n%s", tail(dirLog(dir), 30))
		}
		st, err := h.state(cred.VenueID)
		if err != nil {
			return wire.Reservation{}, false
		}
		i := slices.IndexFunc(st.Reservations, func(r wire.Reservation) bool { return r.ID == id })
		if i < 0 {
			return wire.Reservation{}, false
		}
		return st.Reservations[i], true
	}
	waitFor(t, 30*time.Second, "the venue's tables in the hub", func() bool {
		st, err := h.state(cred.VenueID)
		return err == nil && len(st.Tables) == 6
	})

	f.SetWebhook(h.url()+web.WebhookPath(cred.VenueID), web.WebhookToken(secret, cred.VenueID))
	id := f.AddReservation(wire.Reservation{TableIDs: f.Tables()[:1],
		Start: time.Now().Add(time.Hour), Duration: wire.Duration(time.Hour), Guests: 2,
		Name: "Гость", Phone: "+79990001122"})
	waitFor(t, 15*time.Second, "the till's reserve in the hub", func() bool {
		r, ok := reservation(id)
		return ok && r.Status == wire.ReservationConfirmed
	})

	// Without the reserve id the poll would reuse details younger than
	// DetailsMaxAge, and the next poll after that is 10 minutes away.
	start := time.Now()
	f.Lock(id)
	waitFor(t, iiko.DefaultDetailsMaxAge/4, "the seated reserve in the hub", func() bool {
		r, _ := reservation(id)
		return r.Status == wire.ReservationSeated
	})
	t.Logf("seated at the till to seated in the hub: %v", time.Since(start).Round(time.Millisecond))
}
