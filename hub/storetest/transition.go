package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// bookingStates lists every state a booking can be in.
var bookingStates = []hub.BookingState{
	hub.BookingHeld, hub.BookingRequested, hub.BookingConfirmed, hub.BookingSeated,
	hub.BookingDeclined, hub.BookingExpired, hub.BookingCancelled, hub.BookingNoShow,
	hub.BookingCompleted,
}

// reach says how a new booking gets to a state: the state it is created
// in, then the moves.
var reach = map[hub.BookingState][]hub.BookingState{
	hub.BookingHeld:      {hub.BookingHeld},
	hub.BookingRequested: {hub.BookingRequested},
	hub.BookingConfirmed: {hub.BookingConfirmed},
	hub.BookingSeated:    {hub.BookingConfirmed, hub.BookingSeated},
	hub.BookingDeclined:  {hub.BookingRequested, hub.BookingDeclined},
	hub.BookingExpired:   {hub.BookingHeld, hub.BookingExpired},
	hub.BookingCancelled: {hub.BookingConfirmed, hub.BookingCancelled},
	hub.BookingNoShow:    {hub.BookingConfirmed, hub.BookingNoShow},
	hub.BookingCompleted: {hub.BookingConfirmed, hub.BookingSeated, hub.BookingCompleted},
}

// blocksOf returns the blocks of booking id over [from, to).
func blocksOf(t testing.TB, s hub.Store, venueID, id string, from, to time.Time) []hub.Block {
	t.Helper()
	all, err := s.Blocks(context.Background(), venueID, from, to)
	wantErr(t, "blocks", err, nil)
	var list []hub.Block
	for _, b := range all {
		if b.Kind == hub.BlockBooking && b.Ref == id {
			list = append(list, b)
		}
	}
	return list
}

// testBookingTransitions tries every move between two states: allowed ones
// change the booking and log a line, refused ones and moves to the state a
// booking is in change nothing.
func testBookingTransitions(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createPolicyVenue(t, s, "ven_1")
	for i, from := range bookingStates {
		for j, to := range bookingStates {
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				// Each case on its own table, so that none conflicts.
				table := fmt.Sprintf("t%02d", i*len(bookingStates)+j)
				b := booking("bkg_"+table, v.ID, 2*time.Hour, time.Hour, table)
				path := reach[from]
				b.State = path[0]
				createBooking(t, s, b)
				for k, st := range path[1:] {
					b = transition(t, s, b.ID, hub.Transition{To: st, Actor: "system",
						At: t0.Add(time.Duration(k+1) * time.Minute)})
				}
				before, err := s.BookingHistory(ctx, b.ID)
				wantErr(t, "history", err, nil)

				tr := hub.Transition{To: to, Actor: "staff:anna", Reason: "asked by phone",
					At: t0.Add(time.Hour)}
				got, err := s.TransitionBooking(ctx, b.ID, tr)
				want, history := b, before
				switch {
				case from == to:
					wantErr(t, "move to the state it is in", err, nil)
				case hub.CanMove(from, to):
					wantErr(t, "allowed move", err, nil)
					want.State, want.Reason, want.UpdatedAt = to, tr.Reason, tr.At
					history = append(slices.Clone(before), hub.BookingEvent{BookingID: b.ID,
						At: tr.At, Actor: tr.Actor, From: from, To: to, Reason: tr.Reason})
				default:
					wantErr(t, "refused move", err, hub.ErrBadTransition)
					got = want
				}
				diff(t, "returned booking", got, want)
				wantBooking(t, s, want)
				wantHistory(t, s, b.ID, history...)

				var blocks []hub.Block
				if want.State.Active() {
					blocks = []hub.Block{{TableID: table, Start: b.Start, End: b.End,
						Kind: hub.BlockBooking, Ref: b.ID}}
				}
				day := blocksOf(t, s, v.ID, b.ID, t0, t0.Add(24*time.Hour))
				diff(t, "blocks of the booking", day, blocks)
			})
		}
	}

	_, err := s.TransitionBooking(ctx, "bkg_missing",
		hub.Transition{To: hub.BookingCancelled, At: t0})
	wantErr(t, "move unknown booking", err, hub.ErrNotFound)
}

// testBookingHistory follows one booking through its life.
func testBookingHistory(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createPolicyVenue(t, s, "ven_1")
	b := booking("bkg_1", v.ID, 2*time.Hour, 2*time.Hour, "t01")
	b.State = hub.BookingHeld
	_, err := s.CreateBooking(ctx, b, "guest:42")
	wantErr(t, "create", err, nil)
	other := createBooking(t, s, booking("bkg_2", v.ID, 2*time.Hour, 2*time.Hour, "t02"))

	steps := []hub.Transition{
		{To: hub.BookingRequested, Actor: "guest:42", At: t0.Add(time.Minute)},
		{To: hub.BookingConfirmed, Actor: "rms", At: t0.Add(2 * time.Minute),
			ReservationID: "r77", Reason: "accepted by iiko"},
		{To: hub.BookingSeated, Actor: "staff:anna", At: t0.Add(2 * time.Hour)},
		{To: hub.BookingCompleted, Actor: "rms", Reason: "bill paid",
			At: t0.Add(3*time.Hour + 50*time.Minute)},
	}
	want := []hub.BookingEvent{{BookingID: b.ID, At: b.CreatedAt, Actor: "guest:42",
		To: hub.BookingHeld}}
	for _, st := range steps {
		from := b.State
		got := transition(t, s, b.ID, st)
		b.State, b.Reason, b.UpdatedAt = st.To, st.Reason, st.At
		if st.ReservationID != "" {
			b.ReservationID = st.ReservationID
		}
		diff(t, "booking after move to "+string(st.To), got, b)
		want = append(want, hub.BookingEvent{BookingID: b.ID, At: st.At, Actor: st.Actor,
			From: from, To: st.To, Reason: st.Reason})
		wantHistory(t, s, b.ID, want...)
	}
	wantBooking(t, s, b)

	// Neither a repeated nor a refused move writes a line.
	transition(t, s, b.ID, hub.Transition{To: hub.BookingCompleted, Actor: "rms",
		At: t0.Add(5 * time.Hour)})
	_, err = s.TransitionBooking(ctx, b.ID, hub.Transition{To: hub.BookingCancelled,
		Actor: "guest:42", At: t0.Add(5 * time.Hour)})
	wantErr(t, "cancel a completed booking", err, hub.ErrBadTransition)
	wantHistory(t, s, b.ID, want...)
	wantBooking(t, s, b)
	wantHistory(t, s, other.ID, hub.BookingEvent{BookingID: other.ID, At: other.CreatedAt,
		Actor: "guest:1", To: hub.BookingConfirmed})
}

// testBookingMove moves bookings to other tables and times, as the RMS
// does when it accepts a booking somewhere else.
func testBookingMove(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createPolicyVenue(t, s, "ven_1")
	a := createAgent(t, s, "agt_1", v.ID)
	h := time.Hour

	bA := booking("bkg_a", v.ID, 2*h, 2*h, "t01")
	bA.State = hub.BookingRequested
	createBooking(t, s, bA)
	createBooking(t, s, booking("bkg_b", v.ID, 2*h, 2*h, "t02"))
	// The RMS wrote bkg_a's reservation on t03, at a quarter past.
	newFeed(t, s, a.ID).send(reservationEvent(t, 0, wire.Reservation{
		ID: "r1", TableIDs: []string{"t03"}, Start: t0.Add(2*h + 15*time.Minute),
		Duration: wire.Duration(2 * h), Guests: 2, Status: wire.ReservationConfirmed,
		BookingID: bA.ID,
	}))
	history, err := s.BookingHistory(ctx, bA.ID)
	wantErr(t, "history", err, nil)

	// Onto bkg_b's table: refused, nothing changes.
	_, err = s.TransitionBooking(ctx, bA.ID, hub.Transition{To: hub.BookingConfirmed,
		Actor: "rms", At: t0, TableIDs: []string{"t04", "t02"}})
	wantConflict(t, "move onto a booked table", err,
		block("t02", 2*h, 4*h, hub.BlockBooking, "bkg_b"))
	wantBooking(t, s, bA)
	wantHistory(t, s, bA.ID, history...)

	// Where its own reservation is: no conflict with itself.
	moved := transition(t, s, bA.ID, hub.Transition{To: hub.BookingConfirmed, Actor: "rms",
		At: t0.Add(time.Minute), ReservationID: "r1", TableIDs: []string{"t03"},
		Start: t0.Add(2*h + 15*time.Minute), End: t0.Add(4*h + 15*time.Minute)})
	bA.State, bA.UpdatedAt, bA.ReservationID = hub.BookingConfirmed, t0.Add(time.Minute), "r1"
	bA.TableIDs, bA.Start, bA.End = []string{"t03"}, t0.Add(2*h+15*time.Minute),
		t0.Add(4*h+15*time.Minute)
	diff(t, "moved booking", moved, bA)
	wantBooking(t, s, bA)
	wantHistory(t, s, bA.ID, append(history, hub.BookingEvent{BookingID: bA.ID,
		At: t0.Add(time.Minute), Actor: "rms", From: hub.BookingRequested,
		To: hub.BookingConfirmed})...)
	diff(t, "blocks of the moved booking",
		blocksOf(t, s, v.ID, bA.ID, t0, t0.Add(24*h)),
		[]hub.Block{{TableID: "t03", Start: bA.Start, End: bA.End, Kind: hub.BlockBooking,
			Ref: bA.ID}})

	// The table it left is free.
	createBooking(t, s, booking("bkg_c", v.ID, 2*h, 2*h, "t01"))

	// Staying longer overlaps its own old time, which is no conflict;
	// only the given fields change.
	moved = transition(t, s, bA.ID, hub.Transition{To: hub.BookingSeated, Actor: "staff:1",
		At: t0.Add(2 * h), End: t0.Add(5 * h)})
	bA.State, bA.UpdatedAt, bA.End = hub.BookingSeated, t0.Add(2*h), t0.Add(5*h)
	diff(t, "longer booking", moved, bA)
	wantBooking(t, s, bA)
	list, err := s.Bookings(ctx, hub.BookingQuery{VenueID: v.ID, From: t0.Add(290 * time.Minute)})
	wantErr(t, "bookings after the move", err, nil)
	diff(t, "bookings ending after 4:50", list, []hub.Booking{bA})

	// Staying longer into another booking is refused.
	createBooking(t, s, booking("bkg_d", v.ID, 5*h, h, "t04"))
	bE := booking("bkg_e", v.ID, 3*h, h, "t04")
	bE.State = hub.BookingRequested
	createBooking(t, s, bE)
	_, err = s.TransitionBooking(ctx, bE.ID, hub.Transition{To: hub.BookingConfirmed,
		Actor: "rms", At: t0, End: t0.Add(5*h + time.Minute)})
	wantConflict(t, "stay into the next booking", err,
		block("t04", 5*h, 6*h, hub.BlockBooking, "bkg_d"))
	wantBooking(t, s, bE)

	// A move to an empty range is invalid.
	_, err = s.TransitionBooking(ctx, bE.ID, hub.Transition{To: hub.BookingConfirmed,
		Actor: "rms", At: t0, Start: bE.End})
	wantErr(t, "move to an empty range", err, hub.ErrInvalid)
	wantBooking(t, s, bE)

	// The RMS moves a confirmed booking: same state, new time, applied and
	// logged; the same news again changes nothing.
	bF := booking("bkg_f", v.ID, 8*h, h, "t05")
	createBooking(t, s, bF)
	later := hub.Transition{To: bF.State, Actor: "rms", At: t0.Add(3 * h),
		ReservationID: "r9", Start: t0.Add(9 * h), End: t0.Add(10 * h)}
	moved = transition(t, s, bF.ID, later)
	created, err := s.BookingHistory(ctx, bF.ID)
	wantErr(t, "history", err, nil)
	bF.ReservationID, bF.Start, bF.End, bF.UpdatedAt = "r9", t0.Add(9*h), t0.Add(10*h),
		t0.Add(3*h)
	diff(t, "booking moved by the RMS", moved, bF)
	if len(created) != 2 || created[1].From != bF.State || created[1].To != bF.State {
		t.Errorf("history after a same-state move: %+v, want the creation and the move",
			created)
	}
	again := transition(t, s, bF.ID, later)
	diff(t, "the same move again", again, bF)
	wantHistory(t, s, bF.ID, created...)
}
