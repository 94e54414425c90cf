package quickresto_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/quickresto"
	"github.com/stolik/stolik/agent/quickresto/quickrestotest"
	"github.com/stolik/stolik/shared/wire"
)

func newFake(tb testing.TB, o quickrestotest.Options) *quickrestotest.Fake {
	tb.Helper()
	f, err := quickrestotest.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	return f
}

func config(f *quickrestotest.Fake) quickresto.Config {
	return quickresto.Config{
		BaseURL: f.URL(), Login: "cafe", Password: "secret", TimeZone: "Europe/Moscow",
		RequestTimeout: 5 * time.Second,
	}
}

func newConnector(tb testing.TB, cfg quickresto.Config) *quickresto.Connector {
	tb.Helper()
	c, err := quickresto.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func snapshot(tb testing.TB, c *quickresto.Connector) agent.State {
	tb.Helper()
	st, err := c.Snapshot(context.Background())
	if err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	return st
}

// venue is the fake as connectortest drives it: an open order is a busy
// table.
type venue struct{ f *quickrestotest.Fake }

func (v venue) OpenOrder(t testing.TB, tableID string, _ int) string {
	t.Helper()
	if err := v.f.SetBusy(tableID, true); err != nil {
		t.Fatal(err)
	}
	return quickresto.BusyOrderID(tableID)
}

func (v venue) CloseOrder(t testing.TB, id string) {
	t.Helper()
	if err := v.f.SetBusy(strings.TrimPrefix(id, "busy/"), false); err != nil {
		t.Fatal(err)
	}
}

func (v venue) AddReservation(t testing.TB, _ wire.Reservation) string {
	t.Helper()
	t.Fatal("quick resto has no reservations")
	return ""
}

func (v venue) Reservations(testing.TB) []wire.Reservation { return nil }
func (v venue) SetDown(_ testing.TB, down bool)            { v.f.SetDown(down) }

func (v venue) LoseNextAnswer(t testing.TB) {
	t.Helper()
	t.Fatal("quick resto has no writes")
}

func (v venue) Lock(t testing.TB, _ string) {
	t.Helper()
	t.Fatal("quick resto has no reservations")
}

func (v venue) ExpireToken(t testing.TB) {
	t.Helper()
	t.Fatal("quick resto has no token")
}

func TestConformance(t *testing.T) {
	const noRes = "Quick Resto documents no reservation API; the connector is read-only"
	connectortest.Run(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			f := newFake(t, quickrestotest.Options{})
			return newConnector(t, config(f)), venue{f}
		},
		Skip: map[string]string{
			connectortest.SkipStaffReserve: noRes + " (busy tables: TestBusyTableIsAnOrder)",
			connectortest.SkipWrite:        noRes,
			connectortest.SkipLose:         noRes,
			connectortest.SkipLock:         noRes,
			connectortest.SkipToken: "HTTP Basic credentials do not expire " +
				"(refused ones: TestCredentialsRefused)",
		},
	})
}

func TestNotAWriter(t *testing.T) {
	f := newFake(t, quickrestotest.Options{})
	c := newConnector(t, config(f))
	if _, ok := agent.Connector(c).(agent.ReservationWriter); ok {
		t.Error("the quickresto connector claims to write reservations")
	}
	if caps := agent.Capabilities(c); len(caps) != 0 {
		t.Errorf("capabilities = %v, want none", caps)
	}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestBusyTableIsAnOrder(t *testing.T) {
	f := newFake(t, quickrestotest.Options{LooseTables: 1})
	clk := &clock{t: time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC)}
	cfg := config(f)
	cfg.Now = clk.Now
	c := newConnector(t, cfg)
	st := snapshot(t, c)
	if len(st.Halls) != 3 || len(st.Tables) != 9 || len(st.Orders) != 0 ||
		len(st.Reservations) != 0 {
		t.Fatalf("snapshot = %d halls, %d tables, %d orders, %d reservations",
			len(st.Halls), len(st.Tables), len(st.Orders), len(st.Reservations))
	}

	if err := f.SetBusy("102", true); err != nil {
		t.Fatal(err)
	}
	seen := clk.Now()
	st = snapshot(t, c)
	want := wire.Order{ID: "busy/102", TableIDs: []string{"102"}, OpenedAt: seen, Status: "busy"}
	if len(st.Orders) != 1 || st.Orders[0].ID != want.ID || !st.Orders[0].OpenedAt.Equal(seen) ||
		st.Orders[0].TableIDs[0] != "102" {
		t.Fatalf("orders = %+v, want %+v", st.Orders, want)
	}

	clk.Add(10 * time.Minute)
	if st := snapshot(t, c); !st.Orders[0].OpenedAt.Equal(seen) {
		t.Errorf("a later poll moved OpenedAt to %v, want %v", st.Orders[0].OpenedAt, seen)
	}

	if err := f.SetBusy("102", false); err != nil {
		t.Fatal(err)
	}
	if st := snapshot(t, c); len(st.Orders) != 0 {
		t.Errorf("orders after the table was freed = %+v", st.Orders)
	}
	clk.Add(time.Minute)
	f.SetBusy("102", true)
	if st := snapshot(t, c); !st.Orders[0].OpenedAt.Equal(clk.Now()) {
		t.Errorf("busy again: OpenedAt %v, want %v", st.Orders[0].OpenedAt, clk.Now())
	}

	f.DeleteTable("101")
	for _, tb := range snapshot(t, c).Tables {
		if tb.ID == "101" {
			t.Error("deleted table 101 is in the snapshot")
		}
	}
}

func TestAuthHeader(t *testing.T) {
	f := newFake(t, quickrestotest.Options{XAuthorization: true})
	cfg := config(f)
	if _, err := newConnector(t, cfg).Snapshot(context.Background()); err == nil {
		t.Error("Authorization accepted by a fake that reads X-Authorization")
	}
	cfg.AuthHeader = quickresto.HeaderXAuthorization
	snapshot(t, newConnector(t, cfg))
}

func TestCredentialsRefused(t *testing.T) {
	f := newFake(t, quickrestotest.Options{})
	c := newConnector(t, config(f))
	snapshot(t, c)
	f.SetPassword("cafe", "changed")
	_, err := c.Snapshot(context.Background())
	fix, ok := agent.FixOf(err)
	if !ok || !strings.Contains(err.Error(), "HTTP 401") ||
		!strings.Contains(err.Error(), "list TableScheme") ||
		!strings.Contains(fix.EN, "x-authorization") || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v, fix %+v; want a 401 naming the call with a fix", err, fix)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(f *quickrestotest.Fake)
		says  string
	}{
		{"http", func(f *quickrestotest.Fake) { f.FailNextHTTP(503) }, "HTTP 503"},
		{"malformed", func(f *quickrestotest.Fake) { f.MalformNext() }, "malformed"},
		{"down", func(f *quickrestotest.Fake) { f.SetDown(true) }, "list TableScheme"},
		{"slow", func(f *quickrestotest.Fake) { f.SetSlow(2 * time.Second) }, "deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, quickrestotest.Options{})
			cfg := config(f)
			cfg.RequestTimeout = 100 * time.Millisecond
			c := newConnector(t, cfg)
			tc.fault(f)
			_, err := c.Snapshot(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.says) ||
				!strings.Contains(err.Error(), "quickresto list TableScheme") {
				t.Errorf("err = %v, want it to name the call and say %q", err, tc.says)
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	_, err := quickresto.New(quickresto.Config{TimeZone: "Nowhere/City", AuthHeader: "bearer"})
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"layer", "password", "time zone", "auth header"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to mention %s", err, want)
		}
	}
	if _, err := quickresto.New(quickresto.Config{Layer: "cafe", Password: "p"}); err != nil {
		t.Errorf("layer and password: %v", err)
	}
}

// BenchmarkIdleRequestsPerMinute counts the requests an idle venue costs
// Quick Resto at the default 5 s poll interval.
func BenchmarkIdleRequestsPerMinute(b *testing.B) {
	f := newFake(b, quickrestotest.Options{Halls: 2, TablesPerHall: 10})
	c := newConnector(b, config(f))
	snapshot(b, c)
	start := f.Requests()
	b.ResetTimer()
	const polls = 720 // an hour at 5 s
	for range b.N {
		for range polls {
			if _, err := c.Snapshot(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	minutes := float64(b.N*polls) * (5 * time.Second).Minutes()
	b.ReportMetric(float64(f.Requests()-start)/minutes, "req/min")
}

// BenchmarkChangeToSnapshot measures from a table turning busy (or free)
// until a Snapshot shows it.
func BenchmarkChangeToSnapshot(b *testing.B) {
	f := newFake(b, quickrestotest.Options{})
	c := newConnector(b, config(f))
	busy := false
	for range b.N {
		busy = !busy
		if err := f.SetBusy("101", busy); err != nil {
			b.Fatal(err)
		}
		st, err := c.Snapshot(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if busy != (len(st.Orders) == 1) {
			b.Fatalf("%d orders after the change", len(st.Orders))
		}
	}
}
