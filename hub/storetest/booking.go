package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// feed applies mirror events for one agent, numbering them after the
// previous ones, one batch per send.
type feed struct {
	t     testing.TB
	s     hub.Store
	agent string
	seq   uint64
}

func newFeed(t testing.TB, s hub.Store, agentID string) *feed {
	return &feed{t: t, s: s, agent: agentID}
}

// send applies events as one batch; their Seq fields are overwritten.
func (f *feed) send(events ...wire.Event) {
	f.t.Helper()
	for i := range events {
		f.seq++
		events[i].Seq = f.seq
	}
	_, err := f.s.ApplyBatch(context.Background(), f.agent, events)
	wantErr(f.t, "apply batch", err, nil)
}

// turnPolicy is the suite's booking policy: parties up to 2 stay an hour,
// up to 4 ninety minutes, larger ones hub.DefaultTurnTime.
var turnPolicy = hub.Policy{TurnTimes: []hub.TurnTime{
	{MaxParty: 2, Duration: wire.Duration(time.Hour)},
	{MaxParty: 4, Duration: wire.Duration(90 * time.Minute)},
}}

// createPolicyVenue creates a venue with turnPolicy.
func createPolicyVenue(t testing.TB, s hub.Store, id string) hub.Venue {
	t.Helper()
	v := hub.Venue{ID: id, Name: "Venue " + id, TimeZone: "Europe/Moscow",
		Mode: hub.ModeAPI, Policy: turnPolicy, CreatedAt: t0}
	wantErr(t, "create venue "+id, s.CreateVenue(context.Background(), v), nil)
	return v
}

// booking returns a confirmed booking of a party of 2 at the venue, on
// tables, from t0+start for dur.
func booking(id, venueID string, start, dur time.Duration, tables ...string) hub.Booking {
	return hub.Booking{
		ID:        id,
		VenueID:   venueID,
		TableIDs:  tables,
		Start:     t0.Add(start),
		End:       t0.Add(start + dur),
		Party:     2,
		State:     hub.BookingConfirmed,
		Name:      "Guest of " + id,
		Channel:   "telegram",
		CreatedAt: t0.Add(-time.Hour),
		UpdatedAt: t0.Add(-time.Hour),
	}
}

// createBooking creates b, which must succeed and come back unchanged.
func createBooking(t testing.TB, s hub.Store, b hub.Booking) hub.Booking {
	t.Helper()
	got, err := s.CreateBooking(context.Background(), b, "guest:1")
	wantErr(t, "create booking "+b.ID, err, nil)
	diff(t, "created booking "+b.ID, got, b)
	return got
}

// transition moves booking id, which must succeed.
func transition(t testing.TB, s hub.Store, id string, tr hub.Transition) hub.Booking {
	t.Helper()
	b, err := s.TransitionBooking(context.Background(), id, tr)
	wantErr(t, fmt.Sprintf("move booking %s to %s", id, tr.To), err, nil)
	return b
}

func wantBooking(t testing.TB, s hub.Store, want hub.Booking) {
	t.Helper()
	got, err := s.Booking(context.Background(), want.ID)
	wantErr(t, "get booking "+want.ID, err, nil)
	diff(t, "booking "+want.ID, got, want)
}

func wantNoBooking(t testing.TB, s hub.Store, id string) {
	t.Helper()
	_, err := s.Booking(context.Background(), id)
	wantErr(t, "get booking "+id+" that must not exist", err, hub.ErrNotFound)
	_, err = s.BookingHistory(context.Background(), id)
	wantErr(t, "history of booking "+id+" that must not exist", err, hub.ErrNotFound)
}

func wantHistory(t testing.TB, s hub.Store, id string, want ...hub.BookingEvent) {
	t.Helper()
	got, err := s.BookingHistory(context.Background(), id)
	wantErr(t, "history of "+id, err, nil)
	diff(t, "history of "+id, got, want)
}

// wantConflict fails t unless err is a *hub.ConflictError (wrapping
// hub.ErrConflict) naming want.
func wantConflict(t testing.TB, what string, err error, want hub.Block) {
	t.Helper()
	var ce *hub.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, hub.ErrConflict) {
		t.Fatalf("%s: got error %v, want a *hub.ConflictError wrapping hub.ErrConflict",
			what, err)
	}
	diff(t, what+": conflicting block", ce.Block, want)
}

// block returns a block on table from t0+start to t0+end.
func block(table string, start, end time.Duration, kind hub.BlockKind, ref string) hub.Block {
	return hub.Block{TableID: table, Start: t0.Add(start), End: t0.Add(end), Kind: kind, Ref: ref}
}

// busy is block as a conflict a test case expects.
func busy(table string, start, end time.Duration, kind hub.BlockKind, ref string) *hub.Block {
	b := block(table, start, end, kind, ref)
	return &b
}

func testBookingCreate(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, w := createPolicyVenue(t, s, "ven_1"), createPolicyVenue(t, s, "ven_2")

	b := booking("bkg_1", v.ID, 2*time.Hour, 2*time.Hour, "t01", "t02")
	b.State = hub.BookingHeld
	b.Party, b.GuestID, b.Phone, b.Comment = 5, "gst_1", "+79990000000", "birthday"
	b.HoldUntil = t0.Add(5 * time.Minute)
	b.IdempotencyKey = "tg:update:77"
	got, err := s.CreateBooking(ctx, b, "guest:42")
	wantErr(t, "create booking", err, nil)
	diff(t, "created booking", got, b)
	wantBooking(t, s, b)
	wantHistory(t, s, b.ID, hub.BookingEvent{
		BookingID: b.ID, At: b.CreatedAt, Actor: "guest:42", To: hub.BookingHeld,
	})

	// The same id again, even at another venue and time, is refused.
	dup := booking(b.ID, w.ID, 10*time.Hour, time.Hour, "t09")
	_, err = s.CreateBooking(ctx, dup, "guest:43")
	wantErr(t, "create booking with a taken id", err, hub.ErrExists)
	wantBooking(t, s, b)
	wantHistory(t, s, b.ID, hub.BookingEvent{
		BookingID: b.ID, At: b.CreatedAt, Actor: "guest:42", To: hub.BookingHeld,
	})

	_, err = s.CreateBooking(ctx, booking("bkg_2", "ven_missing", 0, time.Hour, "t01"), "x")
	wantErr(t, "create booking at unknown venue", err, hub.ErrNotFound)
	wantNoBooking(t, s, "bkg_2")

	invalid := []struct {
		name   string
		change func(b *hub.Booking)
	}{
		{"no id", func(b *hub.Booking) { b.ID = "" }},
		{"no venue", func(b *hub.Booking) { b.VenueID = "" }},
		{"no tables", func(b *hub.Booking) { b.TableIDs = nil }},
		{"end before start", func(b *hub.Booking) { b.End = b.Start.Add(-time.Minute) }},
		{"empty range", func(b *hub.Booking) { b.End = b.Start }},
		{"no party", func(b *hub.Booking) { b.Party = 0 }},
		{"starts cancelled", func(b *hub.Booking) { b.State = hub.BookingCancelled }},
		{"starts seated", func(b *hub.Booking) { b.State = hub.BookingSeated }},
		{"no state", func(b *hub.Booking) { b.State = "" }},
	}
	for i, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			bad := booking(fmt.Sprintf("bkg_bad_%d", i), v.ID, 20*time.Hour, time.Hour, "t05")
			tc.change(&bad)
			_, err := s.CreateBooking(ctx, bad, "guest:1")
			wantErr(t, "create invalid booking", err, hub.ErrInvalid)
			if bad.ID != "" {
				wantNoBooking(t, s, bad.ID)
			}
		})
	}

	_, err = s.Booking(ctx, "bkg_missing")
	wantErr(t, "get unknown booking", err, hub.ErrNotFound)
	list, err := s.Bookings(ctx, hub.BookingQuery{})
	wantErr(t, "list bookings", err, nil)
	diff(t, "every booking", list, []hub.Booking{b})
}

// testBookingConflicts creates bookings against a venue busy with a
// booking, RMS reservations and open orders. A case's booking, when it is
// created, is cancelled again so that the next case sees the same tables.
func testBookingConflicts(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createPolicyVenue(t, s, "ven_1")
	w := createPolicyVenue(t, s, "ven_2")
	a := createAgent(t, s, "agt_1", v.ID)
	h := time.Hour

	createBooking(t, s, booking("bkg_a", v.ID, 2*h, 2*h, "t01"))
	res := func(id, table string, status wire.ReservationStatus, bookingID string) wire.Event {
		r := wire.Reservation{ID: id, TableIDs: []string{table}, Start: t0.Add(2 * h),
			Duration: wire.Duration(h), Guests: 2, Status: status, BookingID: bookingID}
		return reservationEvent(t, 0, r)
	}
	order := func(id, table string, opened time.Duration, guests int) wire.Event {
		return orderEvent(t, 0, wire.Order{ID: id, TableIDs: []string{table},
			OpenedAt: t0.Add(opened), Guests: guests})
	}
	newFeed(t, s, a.ID).send(
		res("r1", "t02", wire.ReservationConfirmed, ""),
		res("r2", "t03", wire.ReservationCancelled, ""),
		res("r3", "t04", wire.ReservationNew, "bkg_linked"),
		order("o1", "t05", 0, 2),
		order("o2", "t06", 0, 4),
		res("r4", "t07", wire.ReservationSeated, ""),
		order("o4", "t08", 90*time.Minute, 8),
		// An RMS that gives no duration: the policy's turn time for 2.
		reservationEvent(t, 0, wire.Reservation{ID: "r5", TableIDs: []string{"t10"},
			Start: t0.Add(2 * h), Guests: 2, Status: wire.ReservationNew}),
		res("r6", "t11", wire.ReservationConfirmed, ""),
	)
	withReservation := booking("bkg_19", v.ID, 2*h, h, "t11")
	withReservation.ReservationID = "r6"

	tests := []struct {
		name  string
		b     hub.Booking
		block *hub.Block // the conflict; nil when the booking is created
	}{
		{"overlaps a booking", booking("bkg_1", v.ID, 3*h, 2*h, "t01"),
			busy("t01", 2*h, 4*h, hub.BlockBooking, "bkg_a")},
		{"inside a booking", booking("bkg_2", v.ID, 150*time.Minute, 30*time.Minute, "t01"),
			busy("t01", 2*h, 4*h, hub.BlockBooking, "bkg_a")},
		{"around a booking", booking("bkg_3", v.ID, h, 4*h, "t01"),
			busy("t01", 2*h, 4*h, hub.BlockBooking, "bkg_a")},
		{"right after a booking", booking("bkg_4", v.ID, 4*h, 2*h, "t01"), nil},
		{"right before a booking", booking("bkg_5", v.ID, 0, 2*h, "t01"), nil},
		{"overlaps a reservation", booking("bkg_6", v.ID, 150*time.Minute, h, "t02"),
			busy("t02", 2*h, 3*h, hub.BlockReservation, "r1")},
		{"right after a reservation", booking("bkg_7", v.ID, 3*h, h, "t02"), nil},
		{"cancelled reservation", booking("bkg_8", v.ID, 2*h, h, "t03"), nil},
		{"reservation made for this booking", booking("bkg_linked", v.ID, 2*h, h, "t04"), nil},
		{"reservation made for another booking", booking("bkg_9", v.ID, 2*h, h, "t04"),
			busy("t04", 2*h, 3*h, hub.BlockReservation, "r3")},
		{"open order within turn time of 2", booking("bkg_10", v.ID, 59*time.Minute, h, "t05"),
			busy("t05", 0, h, hub.BlockOccupancy, "o1")},
		{"after turn time of 2", booking("bkg_11", v.ID, h, h, "t05"), nil},
		{"open order within turn time of 4", booking("bkg_12", v.ID, h, h, "t06"),
			busy("t06", 0, 90*time.Minute, hub.BlockOccupancy, "o2")},
		{"after turn time of 4", booking("bkg_13", v.ID, 90*time.Minute, h, "t06"), nil},
		{"open order of a large party", booking("bkg_14", v.ID, 3*h, h, "t08"),
			busy("t08", 90*time.Minute, 210*time.Minute, hub.BlockOccupancy, "o4")},
		{"second of its tables", booking("bkg_15", v.ID, 3*h, h, "t09", "t01"),
			busy("t01", 2*h, 4*h, hub.BlockBooking, "bkg_a")},
		// Both tables are busy: the first block in Blocks order is named.
		{"several blocks", booking("bkg_16", v.ID, 2*h, h, "t08", "t07"),
			busy("t07", 2*h, 3*h, hub.BlockReservation, "r4")},
		{"table the mirror does not know", booking("bkg_17", v.ID, 2*h, h, "t99"), nil},
		{"reservation without a duration", booking("bkg_20", v.ID, 150*time.Minute, h, "t10"),
			busy("t10", 2*h, 3*h, hub.BlockReservation, "r5")},
		{"reservation that is this booking's", withReservation, nil},
		{"same tables at another venue", booking("bkg_18", w.ID, 2*h, 2*h, "t01", "t02",
			"t05", "t06", "t07", "t08"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.CreateBooking(ctx, tc.b, "guest:1")
			if tc.block != nil {
				wantConflict(t, "create booking", err, *tc.block)
				wantNoBooking(t, s, tc.b.ID)
				return
			}
			wantErr(t, "create booking", err, nil)
			diff(t, "created booking", got, tc.b)
			transition(t, s, tc.b.ID, hub.Transition{To: hub.BookingCancelled,
				Actor: "guest:1", At: t0})
		})
	}

	// A cancelled booking frees its table.
	transition(t, s, "bkg_a", hub.Transition{To: hub.BookingCancelled, Actor: "staff:1", At: t0})
	createBooking(t, s, booking("bkg_after", v.ID, 3*h, 2*h, "t01"))
}

func testBookingIdempotency(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, w := createPolicyVenue(t, s, "ven_1"), createPolicyVenue(t, s, "ven_2")
	created := hub.BookingEvent{BookingID: "bkg_1", At: t0.Add(-time.Hour), Actor: "guest:1",
		To: hub.BookingConfirmed}

	b1 := booking("bkg_1", v.ID, 2*time.Hour, 2*time.Hour, "t01")
	b1.IdempotencyKey = "tg:update:7"
	createBooking(t, s, b1)

	// A retry under a new id, for the slot the first one holds, returns
	// the first; so does one asking for something else entirely.
	retries := []hub.Booking{
		booking("bkg_2", v.ID, 2*time.Hour, 2*time.Hour, "t01"),
		booking("bkg_3", v.ID, 8*time.Hour, time.Hour, "t07"),
		booking("bkg_1", v.ID, 8*time.Hour, time.Hour, "t07"),
	}
	for _, r := range retries {
		r.IdempotencyKey = b1.IdempotencyKey
		got, err := s.CreateBooking(ctx, r, "guest:1")
		wantErr(t, "retry "+r.ID, err, hub.ErrExists)
		diff(t, "booking returned to retry "+r.ID, got, b1)
	}
	wantNoBooking(t, s, "bkg_2")
	wantNoBooking(t, s, "bkg_3")
	wantHistory(t, s, b1.ID, created)

	// Keys belong to a venue.
	bw := booking("bkg_w", w.ID, 2*time.Hour, 2*time.Hour, "t01")
	bw.IdempotencyKey = b1.IdempotencyKey
	createBooking(t, s, bw)

	// And find their booking.
	byKey, err := s.BookingByKey(ctx, v.ID, b1.IdempotencyKey)
	wantErr(t, "booking by key", err, nil)
	diff(t, "booking by key", byKey, b1)
	byKey, err = s.BookingByKey(ctx, w.ID, b1.IdempotencyKey)
	wantErr(t, "booking by key at the other venue", err, nil)
	if byKey.ID != bw.ID {
		t.Errorf("key at venue %s found %s, want %s", w.ID, byKey.ID, bw.ID)
	}
	for _, k := range []string{"", "no such key"} {
		_, err = s.BookingByKey(ctx, v.ID, k)
		wantErr(t, "booking by key "+k, err, hub.ErrNotFound)
	}

	// Bookings without a key are never taken for retries.
	createBooking(t, s, booking("bkg_4", v.ID, 5*time.Hour, time.Hour, "t01"))
	createBooking(t, s, booking("bkg_5", v.ID, 5*time.Hour, time.Hour, "t02"))

	// The key keeps naming its booking after the booking ended.
	b1 = transition(t, s, b1.ID, hub.Transition{To: hub.BookingCancelled, Actor: "guest:1",
		At: t0})
	again := booking("bkg_6", v.ID, 2*time.Hour, 2*time.Hour, "t01")
	again.IdempotencyKey = b1.IdempotencyKey
	got, err := s.CreateBooking(ctx, again, "guest:1")
	wantErr(t, "retry after cancel", err, hub.ErrExists)
	diff(t, "booking returned after cancel", got, b1)
	wantNoBooking(t, s, again.ID)
}
