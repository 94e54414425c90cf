package iiko_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/iiko"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

// clock is a settable time source shared by a fake and a connector.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

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

func snap(t testing.TB, c *iiko.Connector) agent.State {
	t.Helper()
	st, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return st
}

func request(table, booking string) wire.ReservationRequest {
	return wire.ReservationRequest{BookingID: booking, TableIDs: []string{table},
		Start:    time.Now().Add(3 * time.Hour).Truncate(15 * time.Minute).UTC(),
		Duration: wire.Duration(2 * time.Hour), Guests: 3, Name: "Анна",
		Phone: "+7 916 123-45-67", Comment: "у окна"}
}

func TestTablesByRevision(t *testing.T) {
	clk := newClock()
	f := newFake(t, iikotest.Options{Now: clk.Now})
	cfg := config(f)
	cfg.Now = clk.Now
	cfg.SectionsEvery = time.Nanosecond
	c := newConnector(t, cfg)
	revision := func() any {
		t.Helper()
		return f.LastRequest("reserve/available_restaurant_sections")["revision"]
	}
	first := snap(t, c)
	if r := revision(); r != nil {
		t.Errorf("first read sent revision %v, want null", r)
	}
	if len(first.Halls) != 2 || len(first.Tables) != 6 {
		t.Fatalf("%d halls, %d tables; want 2 and 6", len(first.Halls), len(first.Tables))
	}
	for _, tb := range first.Tables {
		if tb.Position == nil || tb.Position.W != 80 {
			t.Errorf("table %s position = %+v, want one from the schema", tb.Number, tb.Position)
		}
	}

	tables := f.Tables()
	f.SetSeats(tables[0], 8)
	f.DeleteTable(tables[1])
	added := f.AddTable(42, 2)
	clk.Add(time.Second)
	st := snap(t, c)
	got := map[string]wire.Table{}
	for _, tb := range st.Tables {
		got[tb.ID] = tb
	}
	if len(got) != 6 {
		t.Errorf("%d tables after one added and one deleted, want 6", len(got))
	}
	if got[tables[0]].Seats != 8 {
		t.Errorf("seats of the changed table = %d, want 8", got[tables[0]].Seats)
	}
	if _, ok := got[tables[1]]; ok {
		t.Error("the deleted table is still there")
	}
	if got[added].Number != "42" {
		t.Errorf("added table = %+v, want number 42", got[added])
	}
	if r, ok := revision().(float64); !ok || r < 6 {
		t.Errorf("second read sent revision %v, want the first answer's", revision())
	}
	clk.Add(time.Hour)
	if st := snap(t, c); len(st.Tables) != 6 || revision() != nil {
		t.Errorf("hourly full read: %d tables, revision %v; want 6 and null",
			len(st.Tables), revision())
	}
	// Unchanged tables kept everything, though iiko did not send them again.
	if diff := cmp.Diff(got[tables[2]], first.Tables[slices.IndexFunc(first.Tables,
		func(tb wire.Table) bool { return tb.ID == tables[2] })]); diff != "" {
		t.Errorf("an unchanged table changed (-got +want):\n%s", diff)
	}
}

func TestCreateRoundTrip(t *testing.T) {
	f := newFake(t, iikotest.Options{InProgressPolls: 3})
	c := newConnector(t, config(f))
	table := snap(t, c).Tables[0].ID
	req := request(table, "bk_1")
	res, err := c.CreateReservation(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Reservation{ID: iiko.ReserveID("bk_1"), TableIDs: []string{table},
		Start: req.Start, Duration: req.Duration, Guests: 3, Name: "Анна",
		Phone: "+79161234567", Comment: "у окна", Status: wire.ReservationConfirmed,
		BookingID: "bk_1"}
	if diff := cmp.Diff(res, want); diff != "" {
		t.Errorf("created (-got +want):\n%s", diff)
	}
	if n := f.Counts()["reserve/status_by_id"]; n != 4 {
		t.Errorf("%d status polls for a reserve InProgress for 3, want 4", n)
	}
	if cm := f.Comment(res.ID); !strings.Contains(cm, "bk_1") || !strings.HasPrefix(cm, "у окна") {
		t.Errorf("comment in iiko = %q, want the guest's comment and the booking id", cm)
	}

	// A connector started afresh (an agent restart) knows the booking from
	// the comment.
	again := newConnector(t, config(f))
	r, ok := find(snap(t, again), res.ID)
	if !ok || r.BookingID != "bk_1" || r.Comment != "у окна" {
		t.Errorf("after a restart the reservation is %+v (found %v), want booking bk_1", r, ok)
	}
	// Retrying after a restart finds the same reserve.
	res2, err := again.CreateReservation(context.Background(), req)
	if err != nil || res2.ID != res.ID {
		t.Errorf("retry after restart = %s, %v; want %s", res2.ID, err, res.ID)
	}
	if n := len(f.Reservations()); n != 1 {
		t.Errorf("iiko holds %d reserves, want 1", n)
	}
}

func find(st agent.State, id string) (wire.Reservation, bool) {
	i := slices.IndexFunc(st.Reservations, func(r wire.Reservation) bool { return r.ID == id })
	if i < 0 {
		return wire.Reservation{}, false
	}
	return st.Reservations[i], true
}

func TestCreateRefused(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	table := snap(t, c).Tables[0].ID
	ctx := context.Background()

	for _, phone := range []string{"", "9161234567", "+7916", "+7916abc4567"} {
		req := request(table, "bk_phone")
		req.Phone = phone
		_, err := c.CreateReservation(ctx, req)
		if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "phone") {
			t.Errorf("phone %q: %v, want a refusal about the phone", phone, err)
		}
	}
	if n := f.Counts()["reserve/create"]; n != 0 {
		t.Errorf("%d create calls for bad phones, want 0", n)
	}

	f.FailCreation("TerminalGroupUnregistered")
	_, err := c.CreateReservation(ctx, request(table, "bk_offline"))
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "terminal is offline") {
		t.Errorf("terminal offline: %v, want a refusal saying so", err)
	}
	if _, ok := agent.FixOf(err); !ok {
		t.Error("the offline refusal says nothing about what to do")
	}

	// iiko refuses a reserve over another on the same table (Common).
	if _, err := c.CreateReservation(ctx, request(table, "bk_a")); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateReservation(ctx, request(table, "bk_b"))
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "Common") {
		t.Errorf("overlap: %v, want a refusal with iiko's code", err)
	}

	// An HTTP 400 with a code is a refusal; a 500 is not.
	f.FailNext("reserve/create", 500)
	_, err = c.CreateReservation(ctx, request(f.Tables()[1], "bk_500"))
	if err == nil || errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "500") {
		t.Errorf("HTTP 500: %v, want a plain error naming it", err)
	}
}

func TestCancel(t *testing.T) {
	f := newFake(t, iikotest.Options{InProgressPolls: 2})
	c := newConnector(t, config(f))
	table := snap(t, c).Tables[0].ID
	ctx := context.Background()
	res, err := c.CreateReservation(ctx, request(table, "bk_c"))
	if err != nil {
		t.Fatal(err)
	}
	// By booking id alone: the reserve id is derived from it.
	if err := c.CancelReservation(ctx, wire.CancelRequest{BookingID: "bk_c"}); err != nil {
		t.Fatal(err)
	}
	rs := f.Reservations()
	if len(rs) != 1 || rs[0].ID != res.ID || rs[0].Status != wire.ReservationCancelled {
		t.Errorf("after cancel iiko holds %+v, want it cancelled", rs)
	}
	if _, ok := find(snap(t, c), res.ID); ok {
		t.Error("the cancelled reservation is still in the snapshot")
	}
	// Unknown reserves count as cancelled.
	if err := c.CancelReservation(ctx, wire.CancelRequest{BookingID: "bk_never"}); err != nil {
		t.Errorf("cancel of a reserve never made: %v", err)
	}

	// Seated guests: refused, with iiko's status.
	staff := f.AddReservation(wire.Reservation{TableIDs: []string{f.Tables()[2]},
		Start: time.Now().Add(time.Hour), Duration: wire.Duration(time.Hour), Guests: 2,
		Name: "Пётр", Phone: "+79990001122"})
	f.Lock(staff)
	err = c.CancelReservation(ctx, wire.CancelRequest{ReservationID: staff})
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "Started") {
		t.Errorf("cancel of a seated reserve: %v, want a refusal naming status Started", err)
	}
	if r, ok := find(snap(t, c), staff); !ok || r.Status != wire.ReservationSeated {
		t.Errorf("the seated reserve is %+v in the snapshot, want seated", r)
	}
}

func TestChange(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	tables := f.Tables()
	ctx := context.Background()
	res, err := c.CreateReservation(ctx, request(tables[0], "bk_move"))
	if err != nil {
		t.Fatal(err)
	}
	snap(t, c) // details cached

	if err := c.ChangeTables(ctx, res.ID, []string{tables[3], tables[4]}); err != nil {
		t.Fatal(err)
	}
	later := res.Start.Add(30 * time.Minute)
	if err := c.ChangeStart(ctx, res.ID, later); err != nil {
		t.Fatal(err)
	}
	r, ok := find(snap(t, c), res.ID)
	if !ok || !slices.Equal(r.TableIDs, []string{tables[3], tables[4]}) || !r.Start.Equal(later) {
		t.Errorf("moved reservation = %+v, want tables 4 and 5 at %v", r, later)
	}

	f.Lock(res.ID)
	if err := c.ChangeStart(ctx, res.ID, res.Start); !errors.Is(err, agent.ErrRefused) {
		t.Errorf("moving a seated reserve: %v, want a refusal", err)
	}
	if err := c.ChangeTables(ctx, "00000000-0000-4000-8000-000000000000",
		[]string{tables[0]}); !errors.Is(err, agent.ErrRefused) {
		t.Errorf("moving an unknown reserve: %v, want a refusal", err)
	}
}

func TestOrdersInVenueTime(t *testing.T) {
	clk := newClock()
	f := newFake(t, iikotest.Options{TimeZone: "Europe/Berlin", Now: clk.Now})
	cfg := config(f)
	cfg.Now = clk.Now
	c := newConnector(t, cfg)
	tables := f.Tables()
	id := f.OpenOrder(tables[0], 3)
	f.PrintBill(f.OpenOrder(tables[1], 2))
	closed := f.OpenOrder(tables[2], 2)
	f.CloseOrder(closed)

	st := snap(t, c)
	if len(st.Orders) != 2 {
		t.Fatalf("%d open orders, want 2 (New and Bill)", len(st.Orders))
	}
	i := slices.IndexFunc(st.Orders, func(o wire.Order) bool { return o.ID == id })
	if i < 0 {
		t.Fatal("the new order is missing")
	}
	o := st.Orders[i]
	if !o.OpenedAt.Equal(clk.Now()) || o.OpenedAt.Location() != time.UTC || o.Guests != 3 {
		t.Errorf("order = %+v, want opened at %v UTC with 3 guests", o, clk.Now().UTC())
	}
}

func TestResolveVenue(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	cfg := config(f)
	cfg.TerminalGroupID = "00000000-0000-4000-8000-000000000001"
	c := newConnector(t, cfg)
	_, err := c.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no terminal group") {
		t.Fatalf("wrong terminal group: %v, want it named", err)
	}
	if fix, ok := agent.FixOf(err); !ok || !strings.Contains(fix.EN, "terminal_group_id") {
		t.Errorf("fix = %+v, want a pointer to terminal_group_id", fix)
	}

	cfg = config(f)
	cfg.APIKey = "wrong"
	_, err = newConnector(t, cfg).Snapshot(context.Background())
	if fix, ok := agent.FixOf(err); !ok || !strings.Contains(fix.EN, "api_key") {
		t.Errorf("wrong key: %v (fix %+v), want a pointer to api_key", err, fix)
	}

	cfg = config(f)
	cfg.OrganizationID, cfg.TerminalGroupID = iikotest.OrganizationID, iikotest.TerminalGroupID
	c = newConnector(t, cfg)
	before := f.Counts()["organizations"]
	snap(t, c)
	if n := f.Counts()["organizations"] - before; n != 0 {
		t.Errorf("%d organizations calls with the id configured, want 0", n)
	}
}

func TestDetailsCached(t *testing.T) {
	clk := newClock()
	f := newFake(t, iikotest.Options{Now: clk.Now})
	cfg := config(f)
	cfg.Now = clk.Now
	c := newConnector(t, cfg)
	tables := f.Tables()
	for i := range 3 {
		f.AddReservation(wire.Reservation{TableIDs: []string{tables[i]},
			Start: clk.Now().Add(time.Duration(i+1) * time.Hour), Duration: wire.Duration(time.Hour),
			Guests: 2, Name: "Гость", Phone: "+79990001122"})
	}
	for range 10 {
		if st := snap(t, c); len(st.Reservations) != 3 || st.Reservations[0].Name != "Гость" {
			t.Fatalf("reservations = %+v, want 3 with details", st.Reservations)
		}
		clk.Add(5 * time.Second)
	}
	if n := f.Counts()["reserve/status_by_id"]; n != 1 {
		t.Errorf("%d status_by_id calls over 50 s of an idle venue, want 1", n)
	}
	clk.Add(time.Minute)
	snap(t, c)
	if n := f.Counts()["reserve/status_by_id"]; n != 2 {
		t.Errorf("%d status_by_id calls after the details aged, want 2", n)
	}
}

func TestZoneFromTerminal(t *testing.T) {
	f := newFake(t, iikotest.Options{TimeZone: "Asia/Vladivostok"})
	c := newConnector(t, config(f))
	table := snap(t, c).Tables[0].ID
	res, err := c.CreateReservation(context.Background(), request(table, "bk_vvo"))
	if err != nil {
		t.Fatal(err)
	}
	// The fake reads the start in Vladivostok time, as the connector wrote it.
	if rs := f.Reservations(); len(rs) != 1 || !rs[0].Start.Equal(res.Start) {
		t.Errorf("iiko holds %+v, want the start %v", rs, res.Start)
	}

	f = newFake(t, iikotest.Options{TimeZone: "Mars Standard Time"})
	_, err = newConnector(t, config(f)).Snapshot(context.Background())
	if fix, ok := agent.FixOf(err); err == nil || !ok || !strings.Contains(fix.EN, "time_zone") {
		t.Errorf("unknown terminal zone: %v (fix %+v), want a pointer to time_zone", err, fix)
	}
	cfg := config(f)
	cfg.TimeZone = "Europe/Samara"
	snap(t, newConnector(t, cfg))
}
