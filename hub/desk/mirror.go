package desk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

// FollowMirror makes the venue's bookings follow its RMS after the gateway
// applied a batch: a reservation written for a requested booking confirms
// it; a confirmed booking whose reservation was cancelled, or is missing
// for longer than the venue's PauseAfter since the booking was confirmed
// (the mirror may not show a new reservation yet), is cancelled; a moved reservation moves the booking; an order opened on a
// confirmed booking's tables near its start seats it. A mirror without
// tables (just reset, the state not sent again yet) is left alone.
func (d *Desk) FollowMirror(ctx context.Context, venueID string) error {
	state, err := d.store.VenueState(ctx, venueID)
	if err != nil {
		return fmt.Errorf("load mirror: %w", err)
	}
	if len(state.Tables) == 0 {
		return nil
	}
	v, err := d.store.Venue(ctx, venueID)
	if err != nil {
		return fmt.Errorf("load venue: %w", err)
	}
	now := d.now()
	list, err := d.store.Bookings(ctx, hub.BookingQuery{VenueID: venueID,
		From: now.Add(-24 * time.Hour), States: []hub.BookingState{hub.BookingRequested,
			hub.BookingConfirmed}})
	if err != nil {
		return fmt.Errorf("load bookings: %w", err)
	}
	var errs []error
	for _, b := range list {
		for _, e := range follow(b, v.Policy, state, now) {
			moved, _, ok, err := d.apply(ctx, b.ID, e)
			if err != nil {
				d.log.Warn("cannot follow the RMS", "booking", b.ID, "event", e.Kind, "err", err)
				if !errors.Is(err, hub.ErrBadTransition) && !errors.Is(err, hub.ErrConflict) {
					errs = append(errs, err)
				}
				break
			}
			if ok {
				b = moved
			}
		}
	}
	return errors.Join(errs...)
}

// follow returns the events the mirror shows for booking b, in order; Next
// ignores those that do not apply to the state b reaches.
func follow(b hub.Booking, p hub.Policy, state hub.VenueState,
	now time.Time) []booking.Event {
	var res *wire.Reservation
	for i, r := range state.Reservations {
		if r.BookingID == b.ID || b.ReservationID != "" && r.ID == b.ReservationID {
			res = &state.Reservations[i]
			break
		}
	}
	rms := func(k booking.EventKind, reason string) booking.Event {
		return booking.Event{Kind: k, Actor: booking.ActorRMS, Reason: reason}
	}
	var events []booking.Event
	if res != nil && res.Status != wire.ReservationCancelled {
		events = append(events, booking.Event{Kind: booking.EventAccept,
			Actor: booking.ActorRMS, ReservationID: res.ID})
		mv := booking.Event{Kind: booking.EventMove, Actor: booking.ActorRMS,
			TableIDs: res.TableIDs, Start: res.Start}
		if res.Duration > 0 {
			mv.End = res.Start.Add(time.Duration(res.Duration) + time.Duration(p.Buffer))
		} else if !res.Start.Equal(b.Start) {
			mv.End = res.Start.Add(b.End.Sub(b.Start))
		}
		events = append(events, mv)
		if res.Status == wire.ReservationSeated {
			events = append(events, rms(booking.EventSeat, "the restaurant seated the guests"))
		}
	}
	for _, o := range state.Orders {
		if booking.Arrived(b, o) {
			return append(events, rms(booking.EventSeat, "an order opened on the table"))
		}
	}
	switch {
	case b.ReservationID == "":
	case res != nil && res.Status == wire.ReservationCancelled:
		events = append(events, rms(booking.EventCancel,
			"the restaurant cancelled the reservation"))
	case res == nil && now.Sub(b.UpdatedAt) > time.Duration(booking.Effective(p).PauseAfter):
		// The agent reports a reservation written before its next read
		// of the RMS brings it into the mirror: absence counts only once
		// the mirror has had time to show it.
		events = append(events, rms(booking.EventCancel,
			"the restaurant removed the reservation"))
	}
	return events
}
