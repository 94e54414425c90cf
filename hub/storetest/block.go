package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// testBlocks lists what keeps tables busy: active bookings, reservations
// that are not cancelled and open orders for their turn time.
func testBlocks(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createPolicyVenue(t, s, "ven_1")
	w := createPolicyVenue(t, s, "ven_2")
	a := createAgent(t, s, "agt_1", v.ID)
	h, m := time.Hour, time.Minute

	res := func(id string, start, dur time.Duration, status wire.ReservationStatus,
		tables ...string) wire.Event {
		return reservationEvent(t, 0, wire.Reservation{ID: id, TableIDs: tables,
			Start: t0.Add(start), Duration: wire.Duration(dur), Guests: 2, Status: status})
	}
	order := func(id string, opened time.Duration, guests int, tables ...string) wire.Event {
		return orderEvent(t, 0, wire.Order{ID: id, TableIDs: tables, OpenedAt: t0.Add(opened),
			Guests: guests, Status: "open"})
	}
	f := newFeed(t, s, a.ID)
	f.send(
		tableEvent(t, 0, wire.Table{ID: "t01", HallID: "h1", Number: "1", Seats: 4}),
		res("rA", 2*h, 90*m, wire.ReservationConfirmed, "t01", "t02"),
		res("rB", h, h, wire.ReservationCancelled, "t03"),
		res("rC", 4*h, h, wire.ReservationNew, "t01"),
		order("o1", -30*m, 2, "t02"),
		order("o4", -30*m, 1, "t02"),
		order("o2", 0, 6, "t03"),
		order("o3", 10*m, 3, "t01"),
	)
	createBooking(t, s, booking("bkg_1", v.ID, 3*h, 2*h, "t03"))
	createBooking(t, s, booking("bkg_2", v.ID, 5*h, h, "t02"))
	transition(t, s, "bkg_2", hub.Transition{To: hub.BookingCancelled, Actor: "guest:1",
		At: t0})
	createBooking(t, s, booking("bkg_3", v.ID, 6*h, h, "t03", "t01"))
	createBooking(t, s, booking("bkg_w", w.ID, 0, h, "t01"))
	// The RMS reservation of bkg_1, on its table from the same time.
	f.send(reservationEvent(t, 0, wire.Reservation{ID: "rD", TableIDs: []string{"t03"},
		Start: t0.Add(3 * h), Duration: wire.Duration(90 * m), Guests: 2,
		Status: wire.ReservationConfirmed, BookingID: "bkg_1"}))

	day := []hub.Block{
		block("t01", 10*m, 100*m, hub.BlockOccupancy, "o3"),
		block("t01", 2*h, 210*m, hub.BlockReservation, "rA"),
		block("t01", 4*h, 5*h, hub.BlockReservation, "rC"),
		block("t01", 6*h, 7*h, hub.BlockBooking, "bkg_3"),
		block("t02", -30*m, 30*m, hub.BlockOccupancy, "o1"),
		block("t02", -30*m, 30*m, hub.BlockOccupancy, "o4"),
		block("t02", 2*h, 210*m, hub.BlockReservation, "rA"),
		block("t03", 0, 2*h, hub.BlockOccupancy, "o2"),
		block("t03", 3*h, 5*h, hub.BlockBooking, "bkg_1"),
		block("t03", 3*h, 270*m, hub.BlockReservation, "rD"),
		block("t03", 6*h, 7*h, hub.BlockBooking, "bkg_3"),
	}
	tests := []struct {
		name     string
		from, to time.Duration
		want     []hub.Block
	}{
		{"whole day", -h, 24 * h, day},
		// Ranges are half-open: o1 ends and rA starts at the edges.
		{"edges", 30 * m, 2 * h, []hub.Block{day[0], day[7]}},
		{"one instant", 3*h + 30*m, 3*h + 31*m, []hub.Block{day[8], day[9]}},
		{"between", 210 * m, 4 * h, []hub.Block{day[8], day[9]}},
		{"later", 8 * h, 9 * h, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Blocks(ctx, v.ID, t0.Add(tc.from), t0.Add(tc.to))
			wantErr(t, "blocks", err, nil)
			diff(t, "blocks", got, tc.want)
		})
	}

	// Turn times come from the venue's policy as it is now.
	v.Policy = hub.Policy{TurnTimes: []hub.TurnTime{{MaxParty: 4,
		Duration: wire.Duration(30 * m)}}}
	wantErr(t, "update venue", s.UpdateVenue(ctx, v), nil)
	got, err := s.Blocks(ctx, v.ID, t0.Add(-h), t0.Add(h))
	wantErr(t, "blocks", err, nil)
	diff(t, "blocks after the policy changed", got, []hub.Block{
		block("t01", 10*m, 40*m, hub.BlockOccupancy, "o3"),
		block("t02", -30*m, 0, hub.BlockOccupancy, "o1"),
		block("t02", -30*m, 0, hub.BlockOccupancy, "o4"),
		block("t03", 0, hub.DefaultTurnTime, hub.BlockOccupancy, "o2"),
	})

	// What leaves the mirror stops blocking.
	f.send(remove(0, wire.EntityOrder, "o2"), remove(0, wire.EntityOrder, "o4"),
		res("rA", 2*h, 90*m, wire.ReservationCancelled, "t01", "t02"))
	transition(t, s, "bkg_3", hub.Transition{To: hub.BookingNoShow, Actor: "staff:1",
		At: t0.Add(7 * h)})
	got, err = s.Blocks(ctx, v.ID, t0.Add(-h), t0.Add(24*h))
	wantErr(t, "blocks", err, nil)
	diff(t, "blocks after the mirror changed", got, []hub.Block{
		block("t01", 10*m, 40*m, hub.BlockOccupancy, "o3"),
		block("t01", 4*h, 5*h, hub.BlockReservation, "rC"),
		block("t02", -30*m, 0, hub.BlockOccupancy, "o1"),
		day[8], day[9],
	})

	got, err = s.Blocks(ctx, w.ID, t0.Add(-h), t0.Add(24*h))
	wantErr(t, "blocks of the other venue", err, nil)
	diff(t, "blocks of the other venue", got, []hub.Block{
		block("t01", 0, h, hub.BlockBooking, "bkg_w"),
	})
	_, err = s.Blocks(ctx, "ven_missing", t0, t0.Add(h))
	wantErr(t, "blocks of unknown venue", err, hub.ErrNotFound)
}

// testBookingsQuery selects bookings by venue, guest, time and state.
func testBookingsQuery(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, w := createPolicyVenue(t, s, "ven_1"), createPolicyVenue(t, s, "ven_2")
	h := time.Hour
	mk := func(id, venueID, guest string, start, dur time.Duration, table string) hub.Booking {
		b := booking(id, venueID, start, dur, table)
		b.GuestID = guest
		return createBooking(t, s, b)
	}
	q1 := mk("q1", v.ID, "gst_1", h, h, "t01")
	q2 := mk("q2", v.ID, "gst_2", h, 2*h, "t02")
	q3 := mk("q3", v.ID, "gst_1", 3*h, h, "t01")
	q4 := mk("q4", v.ID, "", 0, h, "t03")
	q5 := mk("q5", w.ID, "gst_1", h, h, "t01")
	// A long booking, which a store must find from far before the range.
	q6 := mk("q6", v.ID, "gst_3", -10*h, 20*h, "t04")
	q3 = transition(t, s, q3.ID, hub.Transition{To: hub.BookingCancelled, Actor: "guest:1",
		At: t0})
	q2 = transition(t, s, q2.ID, hub.Transition{To: hub.BookingSeated, Actor: "staff:1",
		At: t0.Add(h)})

	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name string
		q    hub.BookingQuery
		want []hub.Booking
	}{
		{"everything", hub.BookingQuery{}, []hub.Booking{q6, q4, q1, q2, q5, q3}},
		{"venue", hub.BookingQuery{VenueID: v.ID}, []hub.Booking{q6, q4, q1, q2, q3}},
		{"other venue", hub.BookingQuery{VenueID: w.ID}, []hub.Booking{q5}},
		{"guest", hub.BookingQuery{GuestID: "gst_1"}, []hub.Booking{q1, q5, q3}},
		{"guest at venue", hub.BookingQuery{VenueID: v.ID, GuestID: "gst_1"},
			[]hub.Booking{q1, q3}},
		{"range", hub.BookingQuery{VenueID: v.ID, From: at(h), To: at(2 * h)},
			[]hub.Booking{q6, q1, q2}},
		{"from", hub.BookingQuery{VenueID: v.ID, From: at(2 * h)}, []hub.Booking{q6, q2, q3}},
		{"to", hub.BookingQuery{VenueID: v.ID, To: at(h)}, []hub.Booking{q6, q4}},
		{"range of a guest", hub.BookingQuery{GuestID: "gst_1", From: at(90 * time.Minute),
			To: at(5 * h)}, []hub.Booking{q1, q5, q3}},
		{"state", hub.BookingQuery{States: []hub.BookingState{hub.BookingCancelled}},
			[]hub.Booking{q3}},
		{"states", hub.BookingQuery{VenueID: v.ID,
			States: []hub.BookingState{hub.BookingSeated, hub.BookingConfirmed}},
			[]hub.Booking{q6, q4, q1, q2}},
		{"limit", hub.BookingQuery{VenueID: v.ID, Limit: 2}, []hub.Booking{q6, q4}},
		{"limit after filters", hub.BookingQuery{VenueID: v.ID, From: at(h), Limit: 1,
			States: []hub.BookingState{hub.BookingSeated, hub.BookingCancelled}},
			[]hub.Booking{q2}},
		{"unknown guest", hub.BookingQuery{GuestID: "gst_9"}, nil},
		{"unknown venue", hub.BookingQuery{VenueID: "ven_missing"}, nil},
		{"empty range", hub.BookingQuery{VenueID: w.ID, From: at(2 * h), To: at(3 * h)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Bookings(ctx, tc.q)
			wantErr(t, "bookings", err, nil)
			diff(t, "bookings", got, tc.want)
		})
	}
}
