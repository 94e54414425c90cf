package rkeeper_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/rkeeper"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/shared/wire"
)

// clock is a settable time for the connector.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// counts reads the fake's request counters for the commands.
func counts(f *rkeepertest.Fake, cmds ...string) map[string]int {
	m := map[string]int{}
	for _, c := range cmds {
		m[c] = f.Requests(c)
	}
	return m
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// bookingFor asks for table at 19:00 tomorrow, venue time, for two hours.
func bookingFor(f *rkeepertest.Fake, table, id string) wire.ReservationRequest {
	d := time.Now().In(f.Location()).AddDate(0, 0, 1)
	return wire.ReservationRequest{
		BookingID: id, TableIDs: []string{table},
		Start:    time.Date(d.Year(), d.Month(), d.Day(), 19, 0, 0, 0, f.Location()).UTC(),
		Duration: wire.Duration(2 * time.Hour), Guests: 4,
		Name: "Анна Петрова", Phone: "+7 916 123-45-67", Comment: "у окна",
	}
}

func TestPinning(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})

	t.Run("right pin, written with colons", func(t *testing.T) {
		cfg := configFor(f)
		fp, err := rkeeper.ParseFingerprint(f.Fingerprint())
		if err != nil {
			t.Fatal(err)
		}
		cfg.CertSHA256 = strings.ToLower(rkeeper.FormatFingerprint(fp))
		snapshot(t, connect(t, cfg))
	})

	t.Run("wrong pin names both fingerprints", func(t *testing.T) {
		other := startFake(t, rkeepertest.Options{})
		cfg := configFor(f)
		cfg.CertSHA256 = other.Fingerprint()
		before := f.Requests("")
		_, err := connect(t, cfg).Snapshot(ctxT(t))
		var pe *rkeeper.PinError
		if !errors.As(err, &pe) {
			t.Fatalf("snapshot with the wrong pin = %v, want a *PinError", err)
		}
		want, _ := rkeeper.ParseFingerprint(other.Fingerprint())
		got, _ := rkeeper.ParseFingerprint(f.Fingerprint())
		for _, s := range []string{rkeeper.FormatFingerprint(want), rkeeper.FormatFingerprint(got),
			"rkeeper GetRefData"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not name %s", err, s)
			}
		}
		fix, ok := agent.FixOf(err)
		if !ok || !strings.Contains(fix.EN, "cert_sha256 to "+rkeeper.FormatFingerprint(got)) ||
			!strings.Contains(fix.RU, rkeeper.FormatFingerprint(got)) {
			t.Errorf("fix = %+v, want the presented fingerprint to write into cert_sha256", fix)
		}
		if n := f.Requests("") - before; n != 0 {
			t.Errorf("the server got %d requests over an unpinned connection", n)
		}
	})

	t.Run("no pin", func(t *testing.T) {
		cfg := configFor(f)
		cfg.CertSHA256 = ""
		if _, err := rkeeper.New(cfg); err == nil {
			t.Error("a connector without a pin was built")
		}
	})
}

func TestParseFingerprint(t *testing.T) {
	hex := strings.Repeat("0a", 32)
	for _, s := range []string{hex, strings.ToUpper(hex),
		strings.TrimSuffix(strings.Repeat("0A:", 32), ":"), " " + hex + " "} {
		b, err := rkeeper.ParseFingerprint(s)
		if err != nil || len(b) != 32 || b[0] != 0x0a {
			t.Errorf("ParseFingerprint(%q) = %x, %v", s, b, err)
		}
	}
	for _, s := range []string{"", "0a0a", hex + "0a", strings.Repeat("zz", 32)} {
		if _, err := rkeeper.ParseFingerprint(s); err == nil {
			t.Errorf("ParseFingerprint(%q) accepted", s)
		}
	}
}

func TestInBandErrorNamesCommand(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	f.FailCommand("GetOrderList", rkeepertest.Fault{Status: "Query Executing Error",
		Code: "1234", Text: "Кассовый сервер занят"})
	_, err := c.Snapshot(ctxT(t))
	var se *rkeeper.StatusError
	if !errors.As(err, &se) || se.Cmd != "GetOrderList" || se.Code != "1234" {
		t.Fatalf("snapshot = %v, want a StatusError of GetOrderList", err)
	}
	want := "rkeeper GetOrderList: Query Executing Error (RK7ErrorN 1234): Кассовый сервер занят"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	snapshot(t, c) // and the next poll works
}

func TestNoChangesKeepsOrders(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	table := f.Tables()[0].ID
	order, err := f.OpenOrder(table, 2)
	if err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, c)

	cmds := []string{"GetRefData", "GetOrderList", "GetOrderList2"}
	before := counts(f, cmds...)
	second := snapshot(t, c)
	after := counts(f, cmds...)
	if after["GetOrderList"] != before["GetOrderList"]+1 ||
		after["GetOrderList2"] != before["GetOrderList2"] ||
		after["GetRefData"] != before["GetRefData"] {
		t.Errorf("an unchanged venue cost %v requests after %v; want one GetOrderList only",
			after, before)
	}
	if len(second.Orders) != 1 || second.Orders[0].ID != order ||
		!slices.Equal(second.Orders[0].TableIDs, []string{table}) {
		t.Errorf("orders after No changes = %+v, want order %s on %s", second.Orders, order, table)
	}
	if len(first.Orders) != len(second.Orders) {
		t.Errorf("order count changed from %d to %d", len(first.Orders), len(second.Orders))
	}
}

func TestRefDataCachedByVersion(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	clk := newClock()
	cfg := configFor(f)
	cfg.Now, cfg.RefCheck = clk.Now, time.Minute
	c := connect(t, cfg)
	n := len(snapshot(t, c).Tables)

	added := f.AddTable(6)
	clk.Advance(5 * time.Second)
	before := f.Requests("GetRefData")
	if got := len(snapshot(t, c).Tables); got != n {
		t.Errorf("tables before the check = %d, want the cached %d", got, n)
	}
	if f.Requests("GetRefData") != before {
		t.Errorf("GetRefData asked before RefCheck passed")
	}

	clk.Advance(time.Minute)
	st := snapshot(t, c)
	if !slices.ContainsFunc(st.Tables, func(tb wire.Table) bool { return tb.ID == added }) {
		t.Errorf("the added table %s is not read after its DataVersion changed", added)
	}
	// Two version probes and one full read of TABLES.
	if got := f.Requests("GetRefData") - before; got != 3 {
		t.Errorf("GetRefData requests = %d, want 3", got)
	}

	clk.Advance(time.Minute)
	before = f.Requests("GetRefData")
	snapshot(t, c)
	if got := f.Requests("GetRefData") - before; got != 2 {
		t.Errorf("GetRefData requests with no change = %d, want the 2 probes", got)
	}
}

func TestCreateVoidsHalfMadeOrder(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	table := f.Tables()[1].ID
	f.FailCommand("UpdateOrder", rkeepertest.Fault{Status: "Query Executing Error",
		Code: "4001", Text: "Нельзя изменить заказ"})

	_, err := c.CreateReservation(ctxT(t), bookingFor(f, table, "bk-half"))
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "UpdateOrder") {
		t.Fatalf("create = %v, want a refusal naming UpdateOrder", err)
	}
	if got := f.Requests("VoidOrder"); got != 1 {
		t.Errorf("VoidOrder requests = %d, want 1 for the half-made order", got)
	}
	st := snapshot(t, c)
	if len(st.Orders) != 0 || len(st.Reservations) != 0 || len(f.Reservations()) != 0 {
		t.Errorf("after the refused second step: orders %v, reservations %v, want none",
			st.Orders, st.Reservations)
	}
}

func TestCreateRetriesAndFinds(t *testing.T) {
	for _, lose := range []string{"CreateOrder", "UpdateOrder"} {
		t.Run("lost "+lose, func(t *testing.T) {
			f := startFake(t, rkeepertest.Options{})
			c := connect(t, configFor(f))
			req := bookingFor(f, f.Tables()[2].ID, "bk-lost")
			f.LoseAnswerTo(lose)
			res, err := c.CreateReservation(ctxT(t), req)
			if err != nil {
				t.Fatalf("create after a lost %s answer: %v", lose, err)
			}
			again, err := c.CreateReservation(ctxT(t), req)
			if err != nil || again.ID != res.ID {
				t.Errorf("create again = %s, %v; want the same reservation %s",
					again.ID, err, res.ID)
			}
			if n := f.Requests("CreateOrder"); n != 1 {
				t.Errorf("CreateOrder requests = %d, want 1", n)
			}
			rs := f.Reservations()
			if len(rs) != 1 || rs[0].BookingID != "bk-lost" {
				t.Fatalf("the RMS holds %+v, want one reservation for bk-lost", rs)
			}
			if res.Phone != req.Phone || res.Name != req.Name || res.Comment != req.Comment {
				t.Errorf("created %q %q %q, want %q %q %q", res.Name, res.Phone, res.Comment,
					req.Name, req.Phone, req.Comment)
			}
		})
	}
}

func TestCreateRefusesOverlap(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	req := bookingFor(f, f.Tables()[0].ID, "bk-overlap")
	if _, err := f.AddReservation(wire.Reservation{TableIDs: req.TableIDs,
		Start: req.Start.Add(time.Hour), Duration: wire.Duration(time.Hour), Guests: 2,
		Name: "Олег"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateReservation(ctxT(t), req)
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("create over a phone reservation = %v, want a refusal", err)
	}
	if n := f.Requests("CreateOrder"); n != 0 {
		t.Errorf("CreateOrder requests = %d, want none", n)
	}
}

func TestCancel(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	res, err := c.CreateReservation(ctxT(t), bookingFor(f, f.Tables()[0].ID, "bk-cancel"))
	if err != nil {
		t.Fatal(err)
	}
	f.LoseNextAnswer()
	if err := c.CancelReservation(ctxT(t), wire.CancelRequest{ReservationID: res.ID}); err != nil {
		t.Errorf("cancel with a lost answer = %v, want success (the order is gone)", err)
	}
	if err := c.CancelReservation(ctxT(t), wire.CancelRequest{ReservationID: res.ID}); err != nil {
		t.Errorf("cancel again = %v, want success", err)
	}
	err = c.CancelReservation(ctxT(t), wire.CancelRequest{BookingID: "bk-unknown"})
	if err != nil {
		t.Errorf("cancel by an unknown booking id = %v, want success", err)
	}
	err = c.CancelReservation(ctxT(t), wire.CancelRequest{ReservationID: "not-a-guid"})
	if err == nil || !strings.Contains(err.Error(), "not-a-guid") {
		t.Errorf("cancel of a malformed id = %v, want an error naming it", err)
	}
	if len(f.Reservations()) != 0 {
		t.Errorf("the RMS still holds %v", f.Reservations())
	}
}

func TestUnauthorized(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	snapshot(t, c)

	// One 401 is one failed login: no second try with the same
	// credentials, a FixError about them, and the next poll gets in.
	f.ExpireToken()
	before := f.Requests("")
	_, err := c.Snapshot(ctxT(t))
	fix, ok := agent.FixOf(err)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !ok ||
		!strings.Contains(fix.EN, "connector.rkeeper.user") ||
		!strings.Contains(fix.EN, "HTTP access right") {
		t.Errorf("a 401 = %v (fix %+v), want an HTTP 401 error about the user, password "+
			"and the HTTP access right", err, fix)
	}
	if got := f.Requests("") - before; got != 1 {
		t.Errorf("%d requests for a snapshot refused with 401, want 1 (no retry)", got)
	}
	snapshot(t, c)

	cfg := configFor(f)
	cfg.Password = "wrong"
	if _, err := connect(t, cfg).Snapshot(ctxT(t)); err == nil {
		t.Error("a wrong password was accepted")
	}
}

func TestBrokenAnswers(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	cfg := configFor(f)
	cfg.RequestTimeout = 200 * time.Millisecond
	c := connect(t, cfg)
	snapshot(t, c)

	for _, tc := range []struct {
		name  string
		fault func()
		want  string
	}{
		{"malformed", f.MalformNext, "rkeeper GetOrderList: decode answer"},
		{"HTTP 500", func() { f.FailHTTP(http.StatusInternalServerError) }, "HTTP 500"},
		{"slow", func() { f.SetSlow(time.Second) }, "deadline exceeded"},
		{"down", func() { f.SetDown(true) }, "rkeeper GetOrderList"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault()
			_, err := c.Snapshot(ctxT(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("snapshot = %v, want an error with %q", err, tc.want)
			}
			f.SetSlow(0)
			f.SetDown(false)
			snapshot(t, c)
		})
	}
}

func TestDurationForms(t *testing.T) {
	for _, form := range []struct{ fake, conn string }{
		{"datetime", rkeeper.DurationAuto}, {"minutes", rkeeper.DurationMinutes},
		{"hhmm", rkeeper.DurationHHMM},
	} {
		t.Run(form.fake, func(t *testing.T) {
			f := startFake(t, rkeepertest.Options{DurationForm: form.fake})
			cfg := configFor(f)
			cfg.DurationFormat = form.conn
			c := connect(t, cfg)
			tables := f.Tables()
			phone, err := f.AddReservation(wire.Reservation{TableIDs: []string{tables[0].ID},
				Start:    time.Now().Add(3 * time.Hour).Truncate(time.Hour),
				Duration: wire.Duration(90 * time.Minute), Guests: 2, Name: "Олег"})
			if err != nil {
				t.Fatal(err)
			}
			ours, err := c.CreateReservation(ctxT(t), bookingFor(f, tables[1].ID, "bk-"+form.fake))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]wire.Duration{}
			for _, r := range snapshot(t, c).Reservations {
				got[r.ID] = r.Duration
			}
			if got[phone] != wire.Duration(90*time.Minute) ||
				got[ours.ID] != wire.Duration(2*time.Hour) {
				t.Errorf("durations = %v, want 1h30m for %s and 2h for %s", got, phone, ours.ID)
			}
		})
	}
}

func TestWindowAhead(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	far, err := f.AddReservation(wire.Reservation{TableIDs: []string{f.Tables()[0].ID},
		Start: time.Now().Add(40 * 24 * time.Hour), Duration: wire.Duration(time.Hour),
		Guests: 2, Name: "Олег"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		window time.Duration
		want   int
	}{{0, 0}, {60 * 24 * time.Hour, 1}} {
		cfg := configFor(f)
		cfg.WindowAhead = tc.window
		st := snapshot(t, connect(t, cfg))
		if len(st.Reservations) != tc.want {
			t.Errorf("window %v: %d reservations, want %d (%s is 40 days ahead)",
				tc.window, len(st.Reservations), tc.want, far)
		}
	}
}

func TestOrderListHalfReadIsNotApplied(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	snapshot(t, c)
	order, err := f.OpenOrder(f.Tables()[0].ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	f.FailCommand("GetOrderList2", rkeepertest.Fault{Status: "Query Executing Error",
		Text: "занято"})
	if _, err := c.Snapshot(ctxT(t)); err == nil {
		t.Fatal("snapshot with a failed GetOrderList2 succeeded")
	}
	// The order list moved on at the server; the connector must not have
	// taken its version without the reserves that go with it.
	st := snapshot(t, c)
	if len(st.Orders) != 1 || st.Orders[0].ID != order {
		t.Errorf("orders after the failed read = %+v, want %s", st.Orders, order)
	}
}

func TestOrderOnNewTableRereadsTables(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	clk := newClock()
	cfg := configFor(f)
	cfg.Now = clk.Now
	c := connect(t, cfg)
	snapshot(t, c)

	table := f.AddTable(4)
	order, err := f.OpenOrder(table, 3)
	if err != nil {
		t.Fatal(err)
	}
	st := snapshot(t, c) // well before RefCheck
	if len(st.Orders) != 1 || st.Orders[0].ID != order ||
		!slices.ContainsFunc(st.Tables, func(tb wire.Table) bool { return tb.ID == table }) {
		t.Errorf("snapshot = orders %+v, %d tables; want order %s on the new table %s",
			st.Orders, len(st.Tables), order, table)
	}
}

func TestConcurrentSnapshotsAndWrites(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	c := connect(t, configFor(f))
	tables := f.Tables()
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(tables))
	for i, tb := range tables {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := c.CreateReservation(ctxT(t), bookingFor(f, tb.ID, "bk-"+tb.ID))
			errs <- err
		}()
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, err := c.Snapshot(ctxT(t))
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(snapshot(t, c).Reservations); got != len(tables) {
		t.Errorf("%d reservations, want one per table (%d)", got, len(tables))
	}
}
