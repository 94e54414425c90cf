package booking

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// EventKind says what happened to a booking.
type EventKind string

// Event kinds. The clock's events (a hold running out, no answer from the
// RMS, a no-show, the end of the time) are Due's.
const (
	// EventRequest: the guest confirmed a held booking, and the hub asks
	// the RMS (or, in manual mode, staff) for it.
	EventRequest EventKind = "request"
	// EventAccept: the RMS reports the reservation created, or staff
	// confirm the booking.
	EventAccept EventKind = "accept"
	// EventRefuse: the RMS refused the reservation, or staff declined it.
	EventRefuse EventKind = "refuse"
	// EventCancel: the guest, staff or the RMS cancelled the booking.
	EventCancel EventKind = "cancel"
	// EventSeat: the guests arrived: an order opened on the booking's
	// tables near its start (see Arrived), the RMS reservation is seated,
	// or staff say so.
	EventSeat EventKind = "seat"
	// EventNoShow: staff say the guests did not come.
	EventNoShow EventKind = "no_show"
	// EventComplete: the guests left: their order closed, or staff say so.
	EventComplete EventKind = "complete"
	// EventMove: the RMS moved the reservation to other tables or times.
	EventMove EventKind = "move"
)

// ReasonMoved is the reason recorded for a move given none: the hub's
// own words, not staff's, so they are not passed on to the guest.
const ReasonMoved = "the restaurant moved the booking"

// Actors that are not people; people are "guest:<id>" and "staff:<id>".
const (
	ActorRMS    = "rms"
	ActorSystem = "system"
)

// Event is something that happened to a booking.
type Event struct {
	Kind EventKind
	// At is when it happened; Actor who did it.
	At     time.Time
	Actor  string
	Reason string
	// ReservationID is the RMS reservation, for EventAccept.
	ReservationID string
	// TableIDs, Start and End are where the RMS moved the booking, for
	// EventMove; End includes the buffer, as in hub.Booking.
	TableIDs   []string
	Start, End time.Time
}

// ErrLate is returned (wrapping hub.ErrBadTransition) for an event that
// needed the booking still open, after it ended: a guest confirming a hold
// that expired, or the RMS accepting a booking that expired or was
// cancelled meanwhile, whose reservation the caller then cancels.
var ErrLate = fmt.Errorf("%w: the booking has already ended", hub.ErrBadTransition)

// Next decides what event e does to booking b. It returns the transition to
// apply and true; or false when the event changes nothing, because it
// already took effect (the same event twice moves a booking once) or, for
// news from the RMS or the system about a booking that already ended,
// because there is nothing left to do. A move that is not possible, asked
// by a person, is an error wrapping hub.ErrBadTransition (ErrLate when the
// booking ended first), or ErrCancelCutoff for a guest cancelling too late.
//
// A booking seen seated while still held or requested is left alone (ok
// false): the RMS's acceptance comes first, and the arrival is seen again.
func Next(b hub.Booking, p hub.Policy, e Event) (hub.Transition, bool, error) {
	p = Effective(p)
	t := hub.Transition{Actor: e.Actor, Reason: e.Reason, At: e.At}
	move := func(to hub.BookingState, reason string) (hub.Transition, bool, error) {
		t.To = to
		if t.Reason == "" {
			t.Reason = reason
		}
		return t, true, nil
	}
	person := !(e.Actor == ActorRMS || e.Actor == ActorSystem)
	refuse := func(format string, args ...any) (hub.Transition, bool, error) {
		return hub.Transition{}, false, fmt.Errorf("%w: "+format,
			append([]any{hub.ErrBadTransition}, args...)...)
	}
	ended := func() (hub.Transition, bool, error) {
		if !person {
			return hub.Transition{}, false, nil
		}
		return hub.Transition{}, false, fmt.Errorf("%w (%s)", ErrLate, b.State)
	}

	switch e.Kind {
	case EventRequest:
		switch b.State {
		case hub.BookingHeld:
			if !b.HoldUntil.IsZero() && !e.At.Before(b.HoldUntil) {
				return hub.Transition{}, false, fmt.Errorf("%w: the hold ran out; choose a "+
					"time again", ErrLate)
			}
			return move(hub.BookingRequested, "the guest confirmed")
		case hub.BookingExpired, hub.BookingCancelled, hub.BookingDeclined:
			return hub.Transition{}, false, fmt.Errorf("%w (%s): choose a time again", ErrLate,
				b.State)
		}
		return hub.Transition{}, false, nil

	case EventAccept:
		switch b.State {
		case hub.BookingHeld, hub.BookingRequested:
			t.ReservationID = e.ReservationID
			return move(hub.BookingConfirmed, "the restaurant confirmed")
		case hub.BookingExpired, hub.BookingCancelled, hub.BookingDeclined:
			return hub.Transition{}, false, fmt.Errorf("%w (%s): cancel the reservation "+
				"the restaurant made", ErrLate, b.State)
		}
		return hub.Transition{}, false, nil

	case EventRefuse:
		switch b.State {
		case hub.BookingHeld, hub.BookingRequested:
			return move(hub.BookingDeclined, "the restaurant declined")
		case hub.BookingConfirmed, hub.BookingSeated, hub.BookingCompleted, hub.BookingNoShow:
			return refuse("the booking was already accepted")
		}
		return hub.Transition{}, false, nil

	case EventCancel:
		switch b.State {
		case hub.BookingCancelled:
			return hub.Transition{}, false, nil
		case hub.BookingHeld:
			return move(hub.BookingCancelled, "cancelled")
		case hub.BookingRequested, hub.BookingConfirmed:
			if strings.HasPrefix(e.Actor, "guest:") {
				if err := cutoff(b, p, e.At); err != nil {
					return hub.Transition{}, false, err
				}
			}
			return move(hub.BookingCancelled, "cancelled")
		case hub.BookingSeated:
			if !person {
				return hub.Transition{}, false, nil
			}
			return refuse("the guests are already seated")
		}
		return ended()

	case EventSeat:
		switch b.State {
		case hub.BookingConfirmed:
			return move(hub.BookingSeated, "the guests arrived")
		case hub.BookingHeld, hub.BookingRequested, hub.BookingSeated, hub.BookingCompleted:
			return hub.Transition{}, false, nil
		}
		return ended()

	case EventNoShow:
		switch b.State {
		case hub.BookingConfirmed:
			return move(hub.BookingNoShow, "the guests did not come")
		case hub.BookingNoShow:
			return hub.Transition{}, false, nil
		case hub.BookingHeld, hub.BookingRequested:
			return refuse("the booking is not confirmed yet")
		case hub.BookingSeated:
			return refuse("the guests are seated")
		}
		return ended()

	case EventComplete:
		switch b.State {
		case hub.BookingConfirmed, hub.BookingSeated:
			return move(hub.BookingCompleted, "the guests left")
		case hub.BookingCompleted:
			return hub.Transition{}, false, nil
		case hub.BookingHeld, hub.BookingRequested:
			return refuse("the booking is not confirmed yet")
		}
		return ended()

	case EventMove:
		if !b.State.Active() {
			return ended()
		}
		t.To = b.State
		changed := false
		if len(e.TableIDs) > 0 && !sameSet(e.TableIDs, b.TableIDs) {
			t.TableIDs, changed = slices.Clone(e.TableIDs), true
		}
		if !e.Start.IsZero() && !e.Start.Equal(b.Start) {
			t.Start, changed = e.Start, true
		}
		if !e.End.IsZero() && !e.End.Equal(b.End) {
			t.End, changed = e.End, true
		}
		if t.Reason == "" {
			t.Reason = ReasonMoved
		}
		return t, changed, nil
	}
	return hub.Transition{}, false, fmt.Errorf("%w: unknown event %q", hub.ErrBadTransition,
		e.Kind)
}

// cutoff refuses a guest's cancellation of a confirmed booking after the
// venue's cutoff, and of any booking once it has started.
func cutoff(b hub.Booking, p hub.Policy, at time.Time) error {
	limit := b.Start
	if b.State == hub.BookingConfirmed {
		limit = limit.Add(-time.Duration(p.CancelCutoff))
	}
	if at.Before(limit) {
		return nil
	}
	if b.State == hub.BookingConfirmed && p.CancelCutoff > 0 {
		return fmt.Errorf("%w: bookings are cancelled online up to %s before the start; "+
			"call the restaurant", ErrCancelCutoff, humanDuration(time.Duration(p.CancelCutoff)))
	}
	return fmt.Errorf("%w: the booking has started; call the restaurant", ErrCancelCutoff)
}

// Due decides what the clock does to booking b at now: a hold runs out
// (expired), the RMS or staff did not answer within ConfirmTimeout or by
// the start (expired), nobody arrived NoShowGrace after the start
// (no_show; in manual mode, where the hub sees no orders, the booking
// completes after its end instead), a seated booking's time is over
// (completed). It returns false when nothing is due. A requested booking's
// wait counts from UpdatedAt, the time it entered that state. Do not call
// it for a venue whose sales are paused: its RMS news is late, and a
// booking would be taken for a no-show.
func Due(b hub.Booking, p hub.Policy, mode hub.Mode, now time.Time) (hub.Transition, bool) {
	at, to, reason := deadline(b, Effective(p), mode)
	if at.IsZero() || now.Before(at) {
		return hub.Transition{}, false
	}
	return hub.Transition{To: to, Actor: ActorSystem, Reason: reason, At: now}, true
}

// When returns when Due will next act on booking b (to schedule a job
// then), or the zero time when the clock has nothing more to do with it.
func When(b hub.Booking, p hub.Policy, mode hub.Mode) time.Time {
	at, _, _ := deadline(b, Effective(p), mode)
	return at
}

func deadline(b hub.Booking, p hub.Policy, mode hub.Mode) (time.Time, hub.BookingState,
	string) {
	switch b.State {
	case hub.BookingHeld:
		at := b.HoldUntil
		if at.IsZero() {
			at = b.CreatedAt.Add(time.Duration(p.HoldTTL))
		}
		return at, hub.BookingExpired, "the hold ran out before the guest confirmed"
	case hub.BookingRequested:
		since := b.UpdatedAt
		if since.IsZero() {
			since = b.CreatedAt
		}
		at := since.Add(time.Duration(p.ConfirmTimeout))
		if b.Start.Before(at) {
			at = b.Start
		}
		return at, hub.BookingExpired, "the restaurant did not confirm in time"
	case hub.BookingConfirmed:
		if mode == hub.ModeManual {
			return b.End, hub.BookingCompleted, "the booking's time is over"
		}
		return b.Start.Add(NoShowGrace), hub.BookingNoShow, fmt.Sprintf(
			"nobody was seated within %s of the start", humanDuration(NoShowGrace))
	case hub.BookingSeated:
		return b.End, hub.BookingCompleted, "the booking's time is over"
	}
	return time.Time{}, "", ""
}

// Arrived reports whether open order o means booking b's guests arrived: it
// is on one of b's tables and opened from EarlyArrival before b's start to
// NoShowGrace after it.
func Arrived(b hub.Booking, o wire.Order) bool {
	if o.OpenedAt.Before(b.Start.Add(-EarlyArrival)) || o.OpenedAt.After(b.Start.Add(NoShowGrace)) {
		return false
	}
	for _, id := range o.TableIDs {
		if slices.Contains(b.TableIDs, id) {
			return true
		}
	}
	return false
}
