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

// The venue the live refresh is measured on, and its fixture's size.
const (
	liveVenue        = "ven_live"
	liveAgent        = "agt_live"
	liveTables       = 40
	liveReservations = 200
	liveBookings     = 50
	// Every fifth booking is cancelled while the RMS still holds its
	// reservation: a till task.
	liveTillTasks = liveBookings / 5
)

// BenchmarkVenuePageLive measures the venue page's live refresh (GET
// /venues/{id}/live.json, which the page's script polls every 2 s) on the
// embedded store: one venue with 40 tables, 200 RMS reservations (50 of
// them for hub bookings) and 50 bookings of the day, 10 of them till
// tasks, in a fleet of 1,000 agents. Target: under 20 ms a refresh. Its
// baseline, measured in the same run, is the same venue in a fleet of 10
// agents: ratio_fleet near 1 says the refresh does not grow with the
// fleet (target <= 1.5).
func BenchmarkVenuePageLive(b *testing.B) {
	big, date := venueLiveFixture(b, 1000)
	small, _ := venueLiveFixture(b, 10)
	b.ReportAllocs()
	var bigTook, smallTook time.Duration
	// make bench runs each benchmark once (-benchtime 1x): an iteration
	// serves several refreshes so one cold refresh does not make the figure.
	const perIter = 20
	for b.Loop() {
		for range perIter {
			bigTook += liveRefresh(b, big, date)
			b.StopTimer()
			smallTook += liveRefresh(b, small, date)
			b.StartTimer()
		}
	}
	n := float64(b.N * perIter)
	perBig := float64(bigTook) / n / float64(time.Millisecond)
	perSmall := float64(smallTook) / n / float64(time.Millisecond)
	b.ReportMetric(perBig, "ms/refresh")
	b.ReportMetric(perSmall, "fleet10_ms")
	b.ReportMetric(perBig/perSmall, "ratio_fleet")
}

// liveRefresh serves one live refresh of the fixture's venue for date and
// returns how long it took; it fails tb unless the answer is the whole
// venue.
func liveRefresh(tb testing.TB, api *web.Server, date string) time.Duration {
	req := httptest.NewRequest(http.MethodGet, "/venues/"+liveVenue+"/live.json?date="+date,
		nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: "sid"})
	start := time.Now()
	w := httptest.NewRecorder()
	api.ServeHTTP(w, req)
	took := time.Since(start)
	if w.Code != http.StatusOK {
		tb.Fatalf("live refresh: %d %s", w.Code, w.Body.String())
	}
	var lv web.LiveView
	if err := json.Unmarshal(w.Body.Bytes(), &lv); err != nil {
		tb.Fatalf("live refresh: %v", err)
	}
	if len(lv.Tables) != liveTables || len(lv.Bookings) != liveBookings {
		tb.Fatalf("live refresh: %d tables and %d bookings, want %d and %d", len(lv.Tables),
			len(lv.Bookings), liveTables, liveBookings)
	}
	return took
}

// venueLiveFixture makes a hub of fleet agents on a fresh embedded store:
// the measured venue with its agent, 40 tables, 200 reservations and 50
// bookings on one day, and fleet-1 more agents, ten to a venue, each with
// a status. It returns the web server, with a support session (cookie
// "sid"), and the day (YYYY-MM-DD) of the bookings.
func venueLiveFixture(tb testing.TB, fleet int) (*web.Server, string) {
	tb.Helper()
	st, err := bolt.Open(filepath.Join(tb.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	ctx := context.Background()
	now := time.Now().UTC()
	zone, err := time.LoadLocation("Europe/Moscow")
	mustDo(tb, err)
	local := now.In(zone)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)

	// The rest of the fleet.
	for i := range fleet - 1 {
		venue := fmt.Sprintf("ven_%03d", i/10)
		if i%10 == 0 {
			mustDo(tb, st.CreateVenue(ctx, hub.Venue{ID: venue, Name: "Ресторан " + venue,
				TimeZone: "Europe/Moscow", CreatedAt: now}))
		}
		id := fmt.Sprintf("agt_%04d", i)
		mustDo(tb, st.CreateAgent(ctx, hub.Agent{ID: id, VenueID: venue,
			SecretHash: hub.HashSecret(id), CreatedAt: now}))
		mustDo(tb, st.UpdateAgentStatus(ctx, id, hub.AgentStatus{Version: "1.4.2",
			OS: "windows", Connector: "iiko", LastSeen: now, Backlog: uint64(i),
			Health: wire.ConnectorHealth{OK: true, LastSuccess: now}}))
	}

	// The venue: its agent, then its hall and tables.
	mustDo(tb, st.CreateVenue(ctx, hub.Venue{ID: liveVenue, Name: "Пельменная",
		TimeZone: "Europe/Moscow", Mode: hub.ModeAPI, CreatedAt: now}))
	mustDo(tb, st.CreateAgent(ctx, hub.Agent{ID: liveAgent, VenueID: liveVenue,
		SecretHash: hub.HashSecret(liveAgent), CreatedAt: now}))
	mustDo(tb, st.UpdateAgentStatus(ctx, liveAgent, hub.AgentStatus{Version: "1.4.2",
		Connector: "iiko", LastSeen: now, Health: wire.ConnectorHealth{OK: true}}))
	var seq uint64
	event := func(entity wire.Entity, id string, v any) wire.Event {
		data, err := json.Marshal(v)
		mustDo(tb, err)
		seq++
		return wire.Event{Seq: seq, Entity: entity, ID: id, Op: wire.OpUpsert, Data: data}
	}
	plan := []wire.Event{event(wire.EntityHall, "h1", wire.Hall{ID: "h1", Name: "Зал"})}
	table := func(i int) string { return fmt.Sprintf("t%02d", i%liveTables) }
	for i := range liveTables {
		t := wire.Table{ID: table(i), HallID: "h1", Number: fmt.Sprint(i + 1), Seats: 4}
		if i%2 == 0 {
			t.Position = &wire.Position{X: float64(i%8) * 2, Y: float64(i/8) * 2, W: 1, H: 1}
		}
		plan = append(plan, event(wire.EntityTable, t.ID, t))
	}
	_, err = st.ApplyBatch(ctx, liveAgent, plan)
	mustDo(tb, err)

	// The bookings, each with the RMS reservation written for it; then the
	// RMS's own reservations.
	var reservations []wire.Event
	for i := range liveBookings {
		start := day.Add(12*time.Hour + time.Duration(i/liveTables)*3*time.Hour)
		bk := hub.Booking{ID: fmt.Sprintf("bkg_%03d", i), VenueID: liveVenue,
			TableIDs: []string{table(i)}, Start: start, End: start.Add(2 * time.Hour),
			Party: 2, State: hub.BookingConfirmed, Name: fmt.Sprintf("Гость %d", i),
			Phone: "+70000000000", Channel: "telegram", CreatedAt: now, UpdatedAt: now}
		_, err := st.CreateBooking(ctx, bk, "guest:bench")
		mustDo(tb, err)
		if i%5 == 0 {
			_, err := st.TransitionBooking(ctx, bk.ID, hub.Transition{To: hub.BookingCancelled,
				Actor: "guest:bench", At: now})
			mustDo(tb, err)
		}
		id := fmt.Sprintf("res_%03d", i)
		reservations = append(reservations, event(wire.EntityReservation, id,
			wire.Reservation{ID: id, TableIDs: bk.TableIDs, Start: bk.Start,
				Duration: wire.Duration(2 * time.Hour), Guests: 2, Name: bk.Name,
				Status: wire.ReservationConfirmed, BookingID: bk.ID}))
	}
	for i := liveBookings; i < liveReservations; i++ {
		id := fmt.Sprintf("res_%03d", i)
		reservations = append(reservations, event(wire.EntityReservation, id,
			wire.Reservation{ID: id, TableIDs: []string{table(i)},
				Start:    day.Add(time.Duration(9+i%12) * time.Hour),
				Duration: wire.Duration(90 * time.Minute), Guests: 3,
				Name: fmt.Sprintf("Гость RMS %d", i), Status: wire.ReservationNew}))
	}
	_, err = st.ApplyBatch(ctx, liveAgent, reservations)
	mustDo(tb, err)

	mustDo(tb, st.CreateUser(ctx, hub.User{ID: "usr_sup", Email: "support@stolik.ru",
		PasswordHash: []byte("x"), Role: hub.RoleSupport, CreatedAt: now}))
	mustDo(tb, st.CreateSession(ctx, hub.Session{IDHash: hub.HashSecret("sid"),
		UserID: "usr_sup", CSRF: "tok", CreatedAt: now, Expires: now.Add(time.Hour)}))
	return web.New(st, allLive{since: now}, quietLog()), day.Format("2006-01-02")
}

// TestVenueLiveFixture: the fixture BenchmarkVenuePageLive measures is what
// it says, at a small fleet: the page lists the venue's own agent only and
// every till task, and the live refresh has every table and booking.
func TestVenueLiveFixture(t *testing.T) {
	api, date := venueLiveFixture(t, 25)
	req := httptest.NewRequest(http.MethodGet, "/venues/"+liveVenue+"?date="+date, nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: "sid"})
	w := httptest.NewRecorder()
	api.ServeHTTP(w, req)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("venue page: %d %s", w.Code, body)
	}
	if got := strings.Count(body, `href="/agents/`); got != 1 ||
		!strings.Contains(body, `href="/agents/`+liveAgent+`"`) {
		t.Errorf("venue page lists %d agents, want only %s", got, liveAgent)
	}
	if got := strings.Count(body, `id="till-bkg_`); got != liveTillTasks {
		t.Errorf("venue page lists %d till tasks, want %d", got, liveTillTasks)
	}
	for i := 0; i < liveBookings; i += 5 {
		if id := fmt.Sprintf(`id="till-bkg_%03d"`, i); !strings.Contains(body, id) {
			t.Errorf("venue page: no till task %s", id)
		}
	}
	liveRefresh(t, api, date)
}
