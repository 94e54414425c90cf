package e2e_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// rmsFake is a fake RMS this test process serves on loopback, the agent
// config that reaches it, and what the tests do at its till.
type rmsFake struct {
	kind string
	// connector is the agent config's connector section.
	connector    string
	openOrder    func(t testing.TB, tableID string) string
	closeOrder   func(t testing.TB, orderID string)
	reservations func() []wire.Reservation
}

func iikoFake(t testing.TB) rmsFake {
	f := iikotest.New(iikotest.Options{Tables: 6})
	t.Cleanup(f.Close)
	o := f.Options()
	return rmsFake{
		kind: "iiko",
		connector: fmt.Sprintf("connector:\n  kind: iiko\n  iiko: {base_url: %q, api_key: %q, "+
			"app_id: %q, client_secret: %q, time_zone: Europe/Moscow}\n",
			f.URL(), o.APIKey, o.AppID, o.ClientSecret),
		openOrder:    func(_ testing.TB, id string) string { return f.OpenOrder(id, 2) },
		closeOrder:   func(_ testing.TB, id string) { f.CloseOrder(id) },
		reservations: f.Reservations,
	}
}

func rkeeperFake(t testing.TB) rmsFake {
	f, err := rkeepertest.New(rkeepertest.Options{Halls: 2, TablesPerHall: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return rmsFake{
		kind: "rkeeper",
		connector: fmt.Sprintf("connector:\n  kind: rkeeper\n  rkeeper: {url: %q, user: %q, "+
			"password: %q, cert_sha256: %q, time_zone: Europe/Moscow, station: \"1\", "+
			"waiter: \"17\", manager: \"3\", delete_reason: \"2\"}\n",
			f.URL(), f.User(), f.Password(), f.Fingerprint()),
		openOrder: func(t testing.TB, id string) string {
			o, err := f.OpenOrder(id, 2)
			if err != nil {
				t.Fatal(err)
			}
			return o
		},
		closeOrder: func(t testing.TB, id string) {
			if err := f.CloseOrder(id); err != nil {
				t.Fatal(err)
			}
		},
		reservations: f.Reservations,
	}
}

// rmsVenue is a hub and an agent on a fake RMS, with an API key.
type rmsVenue struct {
	h    *hubEnv
	cred credential
	api  apiClient
}

func startRMSVenue(t testing.TB, fake rmsFake, poll time.Duration) rmsVenue {
	t.Helper()
	h := newHub(t, "")
	cred := h.addAgent("RMS " + fake.kind)
	key := h.apiKey(cred.VenueID)
	h.start()
	dir := t.TempDir()
	cfg := agentConfig(t, dir, cred, []string{"ws://" + h.addr},
		fmt.Sprintf("poll_interval: %s\nuplink: {backoff_min: 20ms, backoff_max: 200ms}\n%s",
			poll, fake.connector))
	a := startAgent(t, cfg)
	waitFor(t, 30*time.Second, "the "+fake.kind+" venue's tables in the hub", func() bool {
		if a.exited() {
			t.Fatalf("agent exited:\n%s", tail(dirLog(dir), 30))
		}
		st, err := h.state(cred.VenueID)
		return err == nil && len(st.Tables) == 6
	})
	api := apiClient{t: t, base: h.url(), key: key}
	var services []hub.Service
	for d := time.Sunday; d <= time.Saturday; d++ {
		services = append(services, hub.Service{Weekday: d, Open: "00:00", Close: "24:00"})
	}
	policy := map[string]any{"services": services, "min_lead": "1m",
		"turn_times": []map[string]any{{"max_party": 8, "duration": "1h30m"}}}
	if code := api.do("PUT", "/api/v1/venues/"+cred.VenueID+"/policy", policy, nil); code != 200 {
		t.Fatalf("set policy: %d", code)
	}
	return rmsVenue{h: h, cred: cred, api: api}
}

func dirLog(dir string) string { return dir + "/agent.log" }

// firstSlot returns the earliest bookable slot for two from day days
// ahead on, in Moscow's local dates.
func (v rmsVenue) firstSlot(t testing.TB, days int) slot {
	t.Helper()
	moscow, _ := time.LoadLocation("Europe/Moscow")
	for d := days; d <= days+1; d++ {
		date := time.Now().In(moscow).AddDate(0, 0, d).Format("2006-01-02")
		var avail struct {
			Slots         []slot
			Error, Reason string
		}
		path := fmt.Sprintf("/api/v1/venues/%s/availability?date=%s&party=2", v.cred.VenueID, date)
		code := v.api.do("GET", path, nil, &avail)
		// Sales open once the agent has reported a good read of its RMS
		// (its status comes every few seconds).
		for deadline := time.Now().Add(15 * time.Second); code == 503 &&
			time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			code = v.api.do("GET", path, nil, &avail)
		}
		if code != 200 {
			t.Fatalf("availability %s: %d %s %s", date, code, avail.Error, avail.Reason)
		}
		if len(avail.Slots) > 0 {
			return avail.Slots[0]
		}
	}
	t.Fatal("no bookable slot")
	return slot{}
}

// TestBookingLandsInTheRMS books through the hub's API on a venue whose
// agent runs on the iiko fake, and on one on the R-Keeper fake: the
// reservation lands in the fake with the right table, start, duration,
// guest name and phone, and the booking is confirmed. Then a walk-in opened
// at the till takes its table out of availability within one poll.
func TestBookingLandsInTheRMS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the hub and agent binaries")
	}
	for _, mk := range []func(testing.TB) rmsFake{iikoFake, rkeeperFake} {
		fake := mk(t)
		t.Run(fake.kind, func(t *testing.T) {
			const poll = time.Second
			v := startRMSVenue(t, fake, poll)

			s := v.firstSlot(t, 1)
			var b hub.Booking
			code := v.api.do("POST", "/api/v1/venues/"+v.cred.VenueID+"/bookings", map[string]any{
				"start": s.Start, "party": 2, "name": "Мария Иванова", "phone": "+79161234567",
				"confirm": true}, &b, "Idempotency-Key", "e2e-"+fake.kind)
			if code != 201 {
				t.Fatalf("book: %d", code)
			}
			waitFor(t, 30*time.Second, "the booking to be confirmed", func() bool {
				v.api.do("GET", "/api/v1/bookings/"+b.ID, nil, &b)
				if b.State == hub.BookingDeclined {
					t.Fatalf("declined: %s", b.Reason)
				}
				return b.State == hub.BookingConfirmed
			})

			var found []wire.Reservation
			for _, r := range fake.reservations() {
				if r.Status != wire.ReservationCancelled && r.Start.Equal(b.Start) {
					found = append(found, r)
				}
			}
			if len(found) != 1 {
				t.Fatalf("the fake holds %d reservations at %v, want 1: %+v", len(found), b.Start, found)
			}
			r := found[0]
			if !slices.Equal(sorted(r.TableIDs), sorted(b.TableIDs)) {
				t.Errorf("tables in the RMS %v, booked %v", r.TableIDs, b.TableIDs)
			}
			if r.Duration != wire.Duration(b.End.Sub(b.Start)) {
				t.Errorf("duration in the RMS %v, booked %v", r.Duration, b.End.Sub(b.Start))
			}
			// R-Keeper keeps name and phone in one holder field.
			if guest := r.Name + " " + r.Phone; !strings.Contains(guest, "Мария Иванова") ||
				!strings.Contains(strings.ReplaceAll(guest, " ", ""), "79161234567") {
				t.Errorf("guest in the RMS %q / %q", r.Name, r.Phone)
			}
			if r.Guests != 2 {
				t.Errorf("guests in the RMS %d", r.Guests)
			}

			// A walk-in at the till: the table the hub would give next
			// leaves availability within one poll (and a little for the
			// hub's own work).
			now := v.firstSlot(t, 0)
			table := now.TableIDs[0]
			order := fake.openOrder(t, table)
			opened := time.Now()
			waitFor(t, 10*time.Second, "the walk-in's table out of availability", func() bool {
				next := v.firstSlot(t, 0)
				return !next.Start.Equal(now.Start) || !slices.Contains(next.TableIDs, table)
			})
			if took := time.Since(opened); took > poll+500*time.Millisecond {
				t.Errorf("the walk-in left availability after %v; the poll interval is %v", took, poll)
			}
			fake.closeOrder(t, order)
		})
	}
}

func sorted(ids []string) []string {
	c := slices.Clone(ids)
	sort.Strings(c)
	return c
}

// BenchmarkChangeToMirror measures, for an agent on the iiko fake and one
// on the R-Keeper fake polling every second, the time from a change at the
// till (a walk-in's order opened or closed) to the hub's mirror showing
// it. Target: p50 under the poll interval plus 200 ms.
func BenchmarkChangeToMirror(b *testing.B) {
	const poll = time.Second
	changes := envInt("STOLIK_BENCH_CHANGES", 10)
	for _, mk := range []func(testing.TB) rmsFake{iikoFake, rkeeperFake} {
		fake := mk(b)
		b.Run(fake.kind, func(b *testing.B) {
			for range b.N {
				p50, p90 := changeToMirror(b, fake, poll, changes)
				b.ReportMetric(float64(p50.Milliseconds()), "p50_ms")
				b.ReportMetric(float64(p90.Milliseconds()), "p90_ms")
				b.ReportMetric(float64(poll.Milliseconds()), "poll_ms")
			}
		})
	}
}

// changeToMirror opens and closes n walk-in orders at the fake's till, at
// random moments within the poll interval, and returns the median and 90th
// percentile of the time until the hub's mirror showed each change.
func changeToMirror(b *testing.B, fake rmsFake, poll time.Duration, n int) (p50, p90 time.Duration) {
	v := startRMSVenue(b, fake, poll)
	st, err := v.h.state(v.cred.VenueID)
	if err != nil {
		b.Fatal(err)
	}
	busy := map[string]bool{}
	for _, o := range st.Orders {
		for _, id := range o.TableIDs {
			busy[id] = true
		}
	}
	var free []string
	for _, tb := range st.Tables {
		if !busy[tb.ID] {
			free = append(free, tb.ID)
		}
	}
	if len(free) == 0 {
		b.Fatal("no free table")
	}
	shows := func(orderID string) bool {
		st, err := v.h.state(v.cred.VenueID)
		if err != nil {
			return false
		}
		return slices.ContainsFunc(st.Orders, func(o wire.Order) bool { return o.ID == orderID })
	}
	var lat []time.Duration
	for i := range n {
		time.Sleep(time.Duration(rand.Int64N(int64(poll))))
		order := fake.openOrder(b, free[i%len(free)])
		t0 := time.Now()
		waitFor(b, 10*time.Second, "the order in the mirror", func() bool { return shows(order) })
		lat = append(lat, time.Since(t0))

		time.Sleep(time.Duration(rand.Int64N(int64(poll))))
		fake.closeOrder(b, order)
		t0 = time.Now()
		waitFor(b, 10*time.Second, "the order gone from the mirror", func() bool { return !shows(order) })
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*9/10]
}
