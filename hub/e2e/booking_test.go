package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// apiKey makes an API key for the venue with the hub's CLI (before the hub
// starts: the embedded store is locked while it runs).
func (h *hubEnv) apiKey(venueID string) string {
	h.t.Helper()
	cmd := exec.Command(bins.hub, h.args("apikey", "add", "--venue", venueID, "--name", "e2e")...)
	cmd.Env = append(os.Environ(), h.env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("apikey add: %v: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && k == "key" {
			return strings.TrimSpace(v)
		}
	}
	h.t.Fatalf("apikey add printed no key: %s", out)
	return ""
}

type apiClient struct {
	t    testing.TB
	base string
	key  string
}

// do sends a JSON request and decodes a JSON answer into out; it returns
// the status code.
func (c apiClient) do(method, path string, body any, out any, header ...string) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

type slot struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	TableIDs []string  `json:"table_ids"`
}

// TestBookingThroughTheRMS books through the hub's API a table of a venue
// whose RMS is the simulator: the agent writes the booking and it is
// confirmed; the simulated RMS refuses the next one, which is declined
// with alternatives, and the guest rebooks on one; when the agent goes
// offline, sales pause.
func TestBookingThroughTheRMS(t *testing.T) {
	h := newHub(t, "")
	cred := h.addAgent("Bookings")
	key := h.apiKey(cred.VenueID)
	hubProc := h.start()
	agentDir := t.TempDir()
	cfg := agentConfig(t, agentDir, cred, []string{"ws://" + h.addr},
		"poll_interval: 200ms\nuplink: {backoff_min: 20ms, backoff_max: 200ms}\n"+
			"connector:\n  kind: sim\n  sim: {seed: 5, halls: 1, tables: 6, step: 1h, "+
			"changes_per_step: 1, refuse_every: 2}\n")
	agentProc := startAgent(t, cfg)
	waitFor(t, 15*time.Second, "the venue's tables in the hub", func() bool {
		st, err := h.state(cred.VenueID)
		return err == nil && len(st.Tables) == 6
	})

	api := apiClient{t: t, base: h.url(), key: key}
	var services []hub.Service
	for d := time.Sunday; d <= time.Saturday; d++ {
		services = append(services, hub.Service{Weekday: d, Open: "10:00", Close: "23:00"})
	}
	policy := map[string]any{"services": services, "min_lead": "1m", "pause_after": "2s",
		"turn_times": []map[string]any{{"max_party": 8, "duration": "1h30m"}}}
	if code := api.do("PUT", "/api/v1/venues/"+cred.VenueID+"/policy", policy, nil); code != 200 {
		t.Fatalf("set policy: %d", code)
	}

	moscow, _ := time.LoadLocation("Europe/Moscow")
	date := time.Now().In(moscow).AddDate(0, 0, 1).Format("2006-01-02")
	var avail struct{ Slots []slot }
	path := fmt.Sprintf("/api/v1/venues/%s/availability?date=%s&party=2", cred.VenueID, date)
	if code := api.do("GET", path, nil, &avail); code != 200 || len(avail.Slots) < 2 {
		t.Fatalf("availability: %d, %d slots", code, len(avail.Slots))
	}

	book := func(s slot, idem string) hub.Booking {
		t.Helper()
		var b hub.Booking
		code := api.do("POST", "/api/v1/venues/"+cred.VenueID+"/bookings", map[string]any{
			"start": s.Start, "party": 2, "name": "Анна", "phone": "+79990000001",
			"confirm": true}, &b, "Idempotency-Key", idem)
		if code != 201 && code != 200 {
			t.Fatalf("book %v: %d", s.Start, code)
		}
		return b
	}
	waitState := func(id string, want hub.BookingState) hub.Booking {
		t.Helper()
		var b hub.Booking
		waitFor(t, 15*time.Second, "booking "+id+" to be "+string(want), func() bool {
			api.do("GET", "/api/v1/bookings/"+id, nil, &b)
			return b.State == want
		})
		return b
	}

	// Booked, written into the RMS by the agent, confirmed.
	first := book(avail.Slots[0], "idem-1")
	if again := book(avail.Slots[0], "idem-1"); again.ID != first.ID {
		t.Fatalf("a retried request made a second booking: %s and %s", first.ID, again.ID)
	}
	confirmed := waitState(first.ID, hub.BookingConfirmed)
	if confirmed.ReservationID == "" {
		t.Errorf("confirmed booking without the RMS reservation id: %+v", confirmed)
	}
	waitFor(t, 10*time.Second, "the reservation in the mirror", func() bool {
		st, err := h.state(cred.VenueID)
		if err != nil {
			return false
		}
		for _, r := range st.Reservations {
			if r.BookingID == first.ID {
				return r.Start.Equal(first.Start) && r.Guests == 2 && r.Name == "Анна" &&
					r.Phone == "+79990000001" && len(r.TableIDs) == len(first.TableIDs)
			}
		}
		return false
	})

	// The RMS refuses the next one: declined, with other times offered.
	second := book(avail.Slots[1], "idem-2")
	declined := waitState(second.ID, hub.BookingDeclined)
	if !strings.Contains(declined.Reason, "phone booking") {
		t.Errorf("declined with reason %q, want the RMS's words", declined.Reason)
	}
	var alt struct{ Alternatives []slot }
	if code := api.do("GET", "/api/v1/bookings/"+second.ID+"/alternatives", nil, &alt); code != 200 ||
		len(alt.Alternatives) == 0 {
		t.Fatalf("alternatives: %d, %d offered", code, len(alt.Alternatives))
	}
	third := book(alt.Alternatives[0], "idem-3")
	waitState(third.ID, hub.BookingConfirmed)

	// The agent goes offline: after pause_after, sales pause.
	agentProc.stop()
	var paused struct{ Error, Reason string }
	waitFor(t, 15*time.Second, "sales to pause", func() bool {
		return api.do("GET", path, nil, &paused) == http.StatusServiceUnavailable
	})
	if paused.Reason == "" {
		t.Errorf("paused without a reason: %+v", paused)
	}
	hubProc.stop()
}
