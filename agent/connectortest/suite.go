package connectortest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// callTimeout bounds each connector call the suite makes; a fake that
// answers slowly on purpose must stay under it.
const callTimeout = 30 * time.Second

// Run runs the conformance suite on the connectors h builds.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name  string
		needs []string
		run   func(*testing.T, agent.Connector, Venue)
	}{
		{"FullSync", nil, testFullSync},
		{"Orders", []string{SkipOrders}, testOrders},
		{"StaffReservation", []string{SkipStaffReserve}, testStaffReservation},
		{"Create", []string{SkipWrite}, testCreate},
		{"CreateRetriedAfterLostAnswer", []string{SkipWrite, SkipLose}, testCreateRetried},
		{"Cancel", []string{SkipWrite, SkipCancel}, testCancel},
		{"CancelRefused", []string{SkipWrite, SkipCancel, SkipLock}, testCancelRefused},
		{"TokenExpiry", []string{SkipToken}, testTokenExpiry},
		{"DownThenBack", []string{SkipDown}, testDownThenBack},
		{"TablesChange", []string{SkipTables}, testTablesChange},
		{"StaffReservationCancelled", []string{SkipStaffReserve, SkipStaffCancel},
			func(t *testing.T, c agent.Connector, v Venue) {
				testStaffCancelled(t, c, v, h.CancelledAtTill)
			}},
		{"StaffReservationMoved", []string{SkipStaffReserve, SkipStaffMove}, testStaffMoved},
		{"TokenExpiryMidSync", []string{SkipToken}, testTokenMidSync},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range tc.needs {
				if why, ok := h.Skip[n]; ok {
					t.Skipf("skipped: the venue does not simulate %q (%s)", n, why)
				}
			}
			c, v := h.New(t)
			tc.run(t, c, v)
		})
	}
}

func snapshot(t testing.TB, c agent.Connector) agent.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	st, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatalf("%s: snapshot: %v", c.Kind(), err)
	}
	if _, err := st.Items(); err != nil {
		t.Fatalf("%s: snapshot is not a valid state: %v", c.Kind(), err)
	}
	return st
}

func writer(t testing.TB, c agent.Connector) agent.ReservationWriter {
	t.Helper()
	w, ok := c.(agent.ReservationWriter)
	if !ok {
		t.Fatalf("%s is not an agent.ReservationWriter; name %q in Harness.Skip",
			c.Kind(), SkipWrite)
	}
	return w
}

// freeTables returns n tables of two or more seats with no order and no
// live reservation on them, by id.
func freeTables(t testing.TB, st agent.State, n int) []string {
	t.Helper()
	busy := map[string]bool{}
	for _, o := range st.Orders {
		for _, id := range o.TableIDs {
			busy[id] = true
		}
	}
	for _, r := range st.Reservations {
		if r.Status != wire.ReservationCancelled {
			for _, id := range r.TableIDs {
				busy[id] = true
			}
		}
	}
	var free []string
	for _, tb := range st.Tables {
		if tb.Seats >= 2 && !busy[tb.ID] {
			free = append(free, tb.ID)
		}
	}
	slices.Sort(free)
	if len(free) < n {
		t.Fatalf("the venue has %d free tables of two or more seats, the suite needs %d",
			len(free), n)
	}
	return free[:n]
}

// slot is a start the suite books: a few hours ahead, on a quarter hour.
func slot(ahead time.Duration) time.Time {
	return time.Now().Add(ahead).Truncate(15 * time.Minute).UTC()
}

func request(table string, bookingID string) wire.ReservationRequest {
	return wire.ReservationRequest{
		BookingID: bookingID,
		TableIDs:  []string{table},
		Start:     slot(2 * time.Hour),
		Duration:  wire.Duration(2 * time.Hour),
		Guests:    2,
		Name:      "Анна Петрова",
		Phone:     "+79161234567",
		Comment:   "у окна",
	}
}

func create(t testing.TB, w agent.ReservationWriter, req wire.ReservationRequest) (wire.Reservation, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return w.CreateReservation(ctx, req)
}

func cancelRes(t testing.TB, w agent.ReservationWriter, req wire.CancelRequest) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return w.CancelReservation(ctx, req)
}

// digits keeps the digits of a phone number: RMSs format numbers their
// own way.
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// checkAsWritten compares a reservation with the request it was made for.
func checkAsWritten(t testing.TB, where string, got wire.Reservation, req wire.ReservationRequest) {
	t.Helper()
	if got.ID == "" {
		t.Errorf("%s: reservation without id", where)
	}
	if !slices.Equal(sortedCopy(got.TableIDs), sortedCopy(req.TableIDs)) {
		t.Errorf("%s: tables %v, want %v", where, got.TableIDs, req.TableIDs)
	}
	if !got.Start.Equal(req.Start) {
		t.Errorf("%s: start %v, want %v", where, got.Start.UTC(), req.Start)
	}
	if got.Duration != req.Duration {
		t.Errorf("%s: duration %v, want %v", where, got.Duration, req.Duration)
	}
	if got.Guests != req.Guests {
		t.Errorf("%s: guests %d, want %d", where, got.Guests, req.Guests)
	}
	if got.Name != req.Name {
		t.Errorf("%s: name %q, want %q", where, got.Name, req.Name)
	}
	if digits(got.Phone) != digits(req.Phone) {
		t.Errorf("%s: phone %q, want %q", where, got.Phone, req.Phone)
	}
	if got.BookingID != req.BookingID {
		t.Errorf("%s: booking id %q, want %q", where, got.BookingID, req.BookingID)
	}
	if got.Status == wire.ReservationCancelled {
		t.Errorf("%s: status cancelled", where)
	}
}

func sortedCopy(ids []string) []string {
	c := slices.Clone(ids)
	slices.Sort(c)
	return c
}

func findReservation(st agent.State, id string) (wire.Reservation, bool) {
	for _, r := range st.Reservations {
		if r.ID == id {
			return r, true
		}
	}
	return wire.Reservation{}, false
}

// live counts the RMS's reservations on table at start that are not
// cancelled.
func live(rs []wire.Reservation, table string, start time.Time) int {
	n := 0
	for _, r := range rs {
		if r.Status != wire.ReservationCancelled && slices.Contains(r.TableIDs, table) &&
			r.Start.Equal(start) {
			n++
		}
	}
	return n
}

func testFullSync(t *testing.T, c agent.Connector, _ Venue) {
	st := snapshot(t, c)
	if len(st.Halls) == 0 || len(st.Tables) == 0 {
		t.Fatalf("snapshot has %d halls and %d tables; want some of each",
			len(st.Halls), len(st.Tables))
	}
	halls := map[string]bool{}
	for _, h := range st.Halls {
		halls[h.ID] = true
	}
	tables := map[string]bool{}
	for _, tb := range st.Tables {
		tables[tb.ID] = true
		if !halls[tb.HallID] {
			t.Errorf("table %s is in hall %q, which the snapshot does not have", tb.ID, tb.HallID)
		}
		if tb.Seats < 0 {
			t.Errorf("table %s has %d seats", tb.ID, tb.Seats)
		}
	}
	for _, o := range st.Orders {
		for _, id := range o.TableIDs {
			if !tables[id] {
				t.Errorf("order %s is on table %q, which the snapshot does not have", o.ID, id)
			}
		}
		if o.OpenedAt.Location() != time.UTC {
			t.Errorf("order %s opened at %v: not UTC", o.ID, o.OpenedAt)
		}
	}
	for _, r := range st.Reservations {
		if r.Start.Location() != time.UTC {
			t.Errorf("reservation %s starts at %v: not UTC", r.ID, r.Start)
		}
	}

	// Reading an unchanged venue again gives the same state.
	a, _ := st.Items()
	b, _ := snapshot(t, c).Items()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two snapshots of an unchanged venue differ (-first +second):\n%s", diff)
	}
}

func testOrders(t *testing.T, c agent.Connector, v Venue) {
	table := freeTables(t, snapshot(t, c), 1)[0]

	order := v.OpenOrder(t, table, 3)
	var found bool
	for _, o := range snapshot(t, c).Orders {
		if o.ID == order {
			found = true
			if !slices.Contains(o.TableIDs, table) {
				t.Errorf("order %s is on %v, want table %s", o.ID, o.TableIDs, table)
			}
		}
	}
	if !found {
		t.Fatalf("the order opened on table %s (%s) is not in the next snapshot", table, order)
	}

	v.CloseOrder(t, order)
	for _, o := range snapshot(t, c).Orders {
		if o.ID == order {
			t.Fatalf("order %s is still open after it was closed", order)
		}
	}
}

func testStaffReservation(t *testing.T, c agent.Connector, v Venue) {
	table := freeTables(t, snapshot(t, c), 1)[0]
	phone := wire.Reservation{
		TableIDs: []string{table}, Start: slot(3 * time.Hour),
		Duration: wire.Duration(90 * time.Minute), Guests: 4,
		Name: "Иван Смирнов", Phone: "+79031112233",
	}
	id := v.AddReservation(t, phone)
	r, ok := findReservation(snapshot(t, c), id)
	if !ok {
		t.Fatalf("the phone reservation %s is not in the next snapshot", id)
	}
	if !r.Start.Equal(phone.Start) || !slices.Equal(r.TableIDs, phone.TableIDs) ||
		r.Duration != phone.Duration || r.Guests != phone.Guests {
		t.Errorf("phone reservation = %+v, want tables %v at %v for %v, %d guests",
			r, phone.TableIDs, phone.Start, phone.Duration, phone.Guests)
	}
}

func testCreate(t *testing.T, c agent.Connector, v Venue) {
	w := writer(t, c)
	req := request(freeTables(t, snapshot(t, c), 1)[0], "bk-conformance-create")

	res, err := create(t, w, req)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	checkAsWritten(t, "created", res, req)

	got, ok := findReservation(snapshot(t, c), res.ID)
	if !ok {
		t.Fatalf("reservation %s is not in the next snapshot", res.ID)
	}
	checkAsWritten(t, "in the snapshot", got, req)
	if n := live(v.Reservations(t), req.TableIDs[0], req.Start); n != 1 {
		t.Errorf("the RMS holds %d reservations for the booking, want 1", n)
	}
}

func testCreateRetried(t *testing.T, c agent.Connector, v Venue) {
	w := writer(t, c)
	req := request(freeTables(t, snapshot(t, c), 1)[0], "bk-conformance-retry")

	v.LoseNextAnswer(t)
	// The first answer is lost: the connector may report an error, or
	// find out by itself that the RMS did the work.
	first, firstErr := create(t, w, req)
	res, err := create(t, w, req)
	if err != nil {
		t.Fatalf("create retried after a lost answer: %v", err)
	}
	checkAsWritten(t, "retried", res, req)
	if firstErr == nil && first.ID != res.ID {
		t.Errorf("the retry returned reservation %s, the first call %s", res.ID, first.ID)
	}
	if n := live(v.Reservations(t), req.TableIDs[0], req.Start); n != 1 {
		t.Errorf("after a lost answer and a retry the RMS holds %d reservations, want 1", n)
	}
}

func testCancel(t *testing.T, c agent.Connector, v Venue) {
	w := writer(t, c)
	req := request(freeTables(t, snapshot(t, c), 1)[0], "bk-conformance-cancel")
	res, err := create(t, w, req)
	if err != nil {
		t.Fatalf("create: %v", err)
	}

	cr := wire.CancelRequest{BookingID: req.BookingID, ReservationID: res.ID, Reason: "guest cancelled"}
	if err := cancelRes(t, w, cr); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if r, ok := findReservation(snapshot(t, c), res.ID); ok && r.Status != wire.ReservationCancelled {
		t.Errorf("after cancel the snapshot holds the reservation as %q", r.Status)
	}
	if n := live(v.Reservations(t), req.TableIDs[0], req.Start); n != 0 {
		t.Errorf("after cancel the RMS holds %d live reservations for the booking", n)
	}
	if err := cancelRes(t, w, cr); err != nil {
		t.Errorf("cancelling twice: %v, want success", err)
	}
}

func testCancelRefused(t *testing.T, c agent.Connector, v Venue) {
	w := writer(t, c)
	req := request(freeTables(t, snapshot(t, c), 1)[0], "bk-conformance-locked")
	res, err := create(t, w, req)
	if err != nil {
		t.Fatalf("create: %v", err)
	}

	v.Lock(t, res.ID)
	err = cancelRes(t, w, wire.CancelRequest{BookingID: req.BookingID, ReservationID: res.ID})
	if !errors.Is(err, agent.ErrRefused) {
		t.Fatalf("cancel of a locked reservation = %v, want an error wrapping ErrRefused", err)
	}
	if strings.TrimSpace(strings.TrimPrefix(err.Error(), agent.ErrRefused.Error())) == "" {
		t.Errorf("the refusal %q gives no reason", err)
	}
	if n := live(v.Reservations(t), req.TableIDs[0], req.Start); n != 1 {
		t.Errorf("after a refused cancel the RMS holds %d live reservations, want 1", n)
	}
}

func testTokenExpiry(t *testing.T, c agent.Connector, v Venue) {
	before, _ := snapshot(t, c).Items()
	v.ExpireToken(t)
	after, _ := snapshot(t, c).Items()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the snapshot after the token expired differs (-before +after):\n%s", diff)
	}
}

func testDownThenBack(t *testing.T, c agent.Connector, v Venue) {
	before, _ := snapshot(t, c).Items()

	v.SetDown(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	_, err := c.Snapshot(ctx)
	cancel()
	if err == nil {
		t.Fatal("snapshot of an RMS that is down succeeded")
	}
	if err.Error() == "" {
		t.Error("the error of an RMS that is down says nothing")
	}

	v.SetDown(t, false)
	after, _ := snapshot(t, c).Items()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the snapshot after the RMS came back differs (-before +after):\n%s", diff)
	}
}
