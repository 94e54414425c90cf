package poster_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/poster"
	"github.com/stolik/stolik/agent/poster/postertest"
	"github.com/stolik/stolik/shared/wire"
)

func newFake(tb testing.TB, o postertest.Options) *postertest.Fake {
	tb.Helper()
	f, err := postertest.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	return f
}

// config is a connector config for f with a map file in a fresh directory.
func config(tb testing.TB, f *postertest.Fake) poster.Config {
	tb.Helper()
	return poster.Config{
		BaseURL: f.URL(), Token: f.Token(), SpotID: f.SpotID(), TimeZone: "Europe/Moscow",
		MapFile:        filepath.Join(tb.TempDir(), "poster-tables.json"),
		RequestTimeout: 5 * time.Second,
	}
}

func newConnector(tb testing.TB, cfg poster.Config) *poster.Connector {
	tb.Helper()
	c, err := poster.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func snapshot(tb testing.TB, c *poster.Connector) agent.State {
	tb.Helper()
	st, err := c.Snapshot(context.Background())
	if err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	return st
}

// venue is the fake as connectortest drives it.
type venue struct{ f *postertest.Fake }

func (v venue) OpenOrder(t testing.TB, tableID string, guests int) string {
	t.Helper()
	id, err := v.f.OpenCheck(tableID, guests)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v venue) CloseOrder(t testing.TB, id string) {
	t.Helper()
	if err := v.f.CloseCheck(id); err != nil {
		t.Fatal(err)
	}
}

func (v venue) AddReservation(t testing.TB, r wire.Reservation) string {
	t.Helper()
	id, err := v.f.AddReservation(r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v venue) Reservations(testing.TB) []wire.Reservation { return v.f.Reservations() }
func (v venue) LoseNextAnswer(testing.TB)                  { v.f.LoseNextAnswer() }
func (v venue) ExpireToken(testing.TB)                     { v.f.ExpireToken() }
func (v venue) SetDown(_ testing.TB, down bool)            { v.f.SetDown(down) }

func (v venue) Lock(t testing.TB, _ string) {
	t.Helper()
	t.Fatal("poster has no cancel, so nothing to lock")
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			f := newFake(t, postertest.Options{})
			return newConnector(t, suiteConfig(t, f)), venue{f}
		},
		Skip: map[string]string{
			connectortest.SkipCancel: "poster has no cancel API (TestCancelIsUnsupported)",
			connectortest.SkipLock:   "poster has no cancel API, so there is nothing to lock",
			connectortest.SkipToken: "Poster tokens live two years and the API cannot " +
				"renew one: an expired token is an error with a fix (TestTokenErrors)",
		},
		CancelledAtTill: connectortest.CancelledShown, // status 7
	})
}

func TestSnapshotLayout(t *testing.T) {
	f := newFake(t, postertest.Options{Halls: 2, TablesPerHall: 3})
	f.DeleteTable("3")
	c := newConnector(t, config(t, f))
	st := snapshot(t, c)

	if len(st.Halls) != 2 || st.Halls[0].ID != "1" || st.Halls[0].Name != "Зал 1" {
		t.Errorf("halls = %+v", st.Halls)
	}
	if len(st.Tables) != 5 {
		t.Fatalf("tables = %+v, want 5 (one deleted)", st.Tables)
	}
	for _, tb := range st.Tables {
		if tb.ID == "3" {
			t.Error("deleted table 3 is in the snapshot")
		}
	}
	want := wire.Table{ID: "2", HallID: "1", Number: "2", Name: "Стол 2", Seats: 4,
		Position: &wire.Position{X: 60, Y: 0, W: 50, H: 50}}
	got := st.Tables[1]
	if got.ID != want.ID || got.HallID != want.HallID || got.Seats != want.Seats ||
		got.Number != want.Number || got.Name != want.Name || *got.Position != *want.Position {
		t.Errorf("table 2 = %+v, want %+v", got, want)
	}
}

func TestSeatsFallBackWithoutTariff(t *testing.T) {
	f := newFake(t, postertest.Options{})
	f.SetTariffLimit(true)
	cfg := config(t, f)
	cfg.Seats = 3
	st := snapshot(t, newConnector(t, cfg))
	for _, tb := range st.Tables {
		if tb.Seats != 3 {
			t.Errorf("table %s has %d seats, want the configured 3", tb.ID, tb.Seats)
		}
	}
}

func TestOrdersFollowChecks(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	snapshot(t, c)

	before := time.Now().Truncate(time.Millisecond)
	id, err := f.OpenCheck("2", 3)
	if err != nil {
		t.Fatal(err)
	}
	st := snapshot(t, c)
	if len(st.Orders) != 1 {
		t.Fatalf("orders = %+v, want the check", st.Orders)
	}
	o := st.Orders[0]
	if o.ID != id || o.TableIDs[0] != "2" || o.Guests != 3 || o.OpenedAt.Location() != time.UTC ||
		o.OpenedAt.Before(before) {
		t.Errorf("order = %+v, want check %s on table 2 for 3 opened after %v", o, id, before)
	}

	if err := f.CloseCheck(id); err != nil {
		t.Fatal(err)
	}
	if st := snapshot(t, c); len(st.Orders) != 0 {
		t.Errorf("orders after the check closed = %+v", st.Orders)
	}
}

func TestNewTableReadAtOnce(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	snapshot(t, c)

	id := f.AddTable("1", 6)
	if _, err := f.OpenCheck(id, 2); err != nil {
		t.Fatal(err)
	}
	st := snapshot(t, c)
	found := false
	for _, tb := range st.Tables {
		found = found || tb.ID == id
	}
	if !found || len(st.Orders) != 1 || st.Orders[0].TableIDs[0] != id {
		t.Errorf("after a check on new table %s: orders %+v, table found %v", id, st.Orders, found)
	}
}

func TestTillReservationFindsItsTable(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	start := time.Now().Add(3 * time.Hour).Truncate(15 * time.Minute).UTC()
	id, err := f.AddReservation(wire.Reservation{
		TableIDs: []string{"3"}, Start: start, Duration: wire.Duration(90 * time.Minute),
		Guests: 4, Name: "Иван Смирнов", Phone: "+79031112233",
	})
	if err != nil {
		t.Fatal(err)
	}

	st := snapshot(t, c)
	if len(st.Reservations) != 1 {
		t.Fatalf("reservations = %+v", st.Reservations)
	}
	r := st.Reservations[0]
	if r.ID != id || !slices.Equal(r.TableIDs, []string{"3"}) || !r.Start.Equal(start) ||
		r.Guests != 4 || r.Duration != wire.Duration(90*time.Minute) ||
		r.Status != wire.ReservationConfirmed || r.Name != "Иван Смирнов" {
		t.Errorf("till reservation = %+v, want %s on table 3 at %v", r, id, start)
	}

	// The answer is kept for LayoutEvery: the next poll asks nothing more.
	asked := f.Requests()["incomingOrders.getTablesForReservation"]
	snapshot(t, c)
	if n := f.Requests()["incomingOrders.getTablesForReservation"]; n != asked {
		t.Errorf("the second poll asked Poster %d more times", n-asked)
	}

	if err := f.SetReservationStatus(id, 7); err != nil {
		t.Fatal(err)
	}
	if r := snapshot(t, c).Reservations[0]; r.Status != wire.ReservationCancelled {
		t.Errorf("after staff cancelled: status %q", r.Status)
	}
}

func TestTillReservationsBesideOurs(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	at := time.Now().Add(24 * time.Hour).Truncate(time.Hour).UTC()
	ours, err := c.CreateReservation(context.Background(), wire.ReservationRequest{
		BookingID: "bk-1", TableIDs: []string{"2"}, Start: at,
		Duration: wire.Duration(2 * time.Hour), Guests: 2, Name: "Анна",
	})
	if err != nil {
		t.Fatal(err)
	}
	till := func(table string, from, dur time.Duration) string {
		id, err := f.AddReservation(wire.Reservation{TableIDs: []string{table},
			Start: at.Add(from), Duration: wire.Duration(dur), Guests: 2, Name: "Гость"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	// a and b overlap each other and ours; c and d hold the same time.
	a := till("1", 0, 90*time.Minute)
	b := till("5", time.Hour, 2*time.Hour)
	cc := till("6", 6*time.Hour, time.Hour)
	d := till("7", 6*time.Hour, time.Hour)

	want := map[string][]string{ours.ID: {"2"}, a: {"1"}, b: {"5"}, cc: {"6", "7"},
		d: {"6", "7"}}
	st := snapshot(t, c)
	for _, r := range st.Reservations {
		if !slices.Equal(r.TableIDs, want[r.ID]) {
			t.Errorf("reservation %s on %v, want %v", r.ID, r.TableIDs, want[r.ID])
		}
	}
	if len(st.Reservations) != len(want) {
		t.Errorf("reservations = %+v, want %d", st.Reservations, len(want))
	}
}

func TestTillReservationWithoutTariff(t *testing.T) {
	f := newFake(t, postertest.Options{})
	f.SetTariffLimit(true)
	c := newConnector(t, config(t, f))
	start := time.Now().Add(3 * time.Hour).Truncate(15 * time.Minute).UTC()
	if _, err := f.AddReservation(wire.Reservation{TableIDs: []string{"1"}, Start: start,
		Duration: wire.Duration(time.Hour), Guests: 2, Name: "Гость"}); err != nil {
		t.Fatal(err)
	}
	st := snapshot(t, c)
	if len(st.Reservations) != 1 || len(st.Reservations[0].TableIDs) != 0 {
		t.Errorf("reservations = %+v, want the till one with no table", st.Reservations)
	}
}

func TestAccount(t *testing.T) {
	for _, c := range []struct{ account, base, want string }{
		{"", "https://joinposter.com/api", ""},
		{"", "https://MyCafe.joinposter.com/api", "mycafe"},
		{"named", "https://mycafe.joinposter.com/api", "named"},
		{"", "http://127.0.0.1:8080/api", ""},
	} {
		cfg := poster.Config{BaseURL: c.base, Token: "t", TimeZone: "UTC", Account: c.account}
		if got := newConnector(t, cfg).Account(); got != c.want {
			t.Errorf("account %q at %s: %q, want %q", c.account, c.base, got, c.want)
		}
	}
}

func TestSeatsLearnedAcrossTomorrow(t *testing.T) {
	f := newFake(t, postertest.Options{})
	loc := f.Location()
	day := time.Now().In(loc).AddDate(0, 0, 1)
	at := func(h int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, loc).UTC()
	}
	reserve := func(table string, from, to int) {
		if _, err := f.AddReservation(wire.Reservation{TableIDs: []string{table},
			Start: at(from), Duration: wire.Duration(time.Duration(to-from) * time.Hour),
			Guests: 2, Name: "Гость"}); err != nil {
			t.Fatal(err)
		}
	}
	reserve("1", 16, 17) // seen at 19:00 alone: 13:00 is refused below
	reserve("2", 12, 21) // never free: its seats stay unknown
	f.FailNext("incomingOrders.getTablesForReservation", 400, "the spot is closed")
	cfg := config(t, f)
	cfg.Seats = 3
	c := newConnector(t, cfg)
	st := snapshot(t, c)

	want := map[string]int{}
	for _, tb := range f.Tables() {
		want[tb.ID] = tb.Capacity
	}
	want["2"] = 3
	for _, tb := range st.Tables {
		if tb.Seats != want[tb.ID] {
			t.Errorf("table %s has %d seats, want %d", tb.ID, tb.Seats, want[tb.ID])
		}
	}
	if want["1"] == 3 {
		t.Fatal("the fake's table 1 has the configured seat count: the test proves nothing")
	}
	if got := c.SeatsUnknown(); !slices.Equal(got, []string{"2"}) {
		t.Errorf("seats unknown for %v, want [2]", got)
	}
}
