package booking_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

func TestNext(t *testing.T) {
	start := time.Date(2026, 6, 10, 16, 0, 0, 0, time.UTC)
	p := hub.Policy{CancelCutoff: minutes(120)}
	early := start.Add(-5 * time.Hour)
	type want struct {
		to  hub.BookingState // "" when nothing moves
		err error
	}
	for _, tc := range []struct {
		name  string
		state hub.BookingState
		event booking.Event
		want  want
	}{
		{"guest confirms the hold", "held", ev(booking.EventRequest, "guest:1", early),
			want{to: "requested"}},
		{"confirming twice", "requested", ev(booking.EventRequest, "guest:1", early), want{}},
		{"confirming after the hold ran out", "held",
			ev(booking.EventRequest, "guest:1", early.Add(10*time.Minute)),
			want{err: booking.ErrLate}},
		{"confirming an expired hold", "expired", ev(booking.EventRequest, "guest:1", early),
			want{err: booking.ErrLate}},
		{"RMS accepts", "requested", ev(booking.EventAccept, "rms", early),
			want{to: "confirmed"}},
		{"staff confirm a held booking", "held", ev(booking.EventAccept, "staff:7", early),
			want{to: "confirmed"}},
		{"RMS accepts twice", "confirmed", ev(booking.EventAccept, "rms", early), want{}},
		{"RMS accepts once seated", "seated", ev(booking.EventAccept, "rms", early), want{}},
		{"RMS accepts after the booking expired", "expired",
			ev(booking.EventAccept, "rms", early), want{err: booking.ErrLate}},
		{"RMS refuses", "requested", ev(booking.EventRefuse, "rms", early),
			want{to: "declined"}},
		{"RMS refuses twice", "declined", ev(booking.EventRefuse, "rms", early), want{}},
		{"RMS refuses after it expired", "expired", ev(booking.EventRefuse, "rms", early),
			want{}},
		{"RMS refuses what it accepted", "confirmed", ev(booking.EventRefuse, "rms", early),
			want{err: hub.ErrBadTransition}},
		{"guest cancels in time", "confirmed", ev(booking.EventCancel, "guest:1", early),
			want{to: "cancelled"}},
		{"guest cancels after the cutoff", "confirmed",
			ev(booking.EventCancel, "guest:1", start.Add(-time.Hour)),
			want{err: booking.ErrCancelCutoff}},
		{"guest cancels a request close to the start", "requested",
			ev(booking.EventCancel, "guest:1", start.Add(-time.Hour)), want{to: "cancelled"}},
		{"guest cancels a hold", "held",
			ev(booking.EventCancel, "guest:1", start.Add(-time.Hour)), want{to: "cancelled"}},
		{"guest cancels after the start", "requested",
			ev(booking.EventCancel, "guest:1", start.Add(time.Minute)),
			want{err: booking.ErrCancelCutoff}},
		{"staff cancel after the cutoff", "confirmed",
			ev(booking.EventCancel, "staff:7", start.Add(-time.Hour)), want{to: "cancelled"}},
		{"RMS cancels", "confirmed", ev(booking.EventCancel, "rms", start), want{to: "cancelled"}},
		{"cancelling twice", "cancelled", ev(booking.EventCancel, "guest:1", early), want{}},
		{"RMS cancels a completed booking", "completed", ev(booking.EventCancel, "rms", early),
			want{}},
		{"guest cancels a completed booking", "completed",
			ev(booking.EventCancel, "guest:1", early), want{err: booking.ErrLate}},
		{"staff cancel a seated booking", "seated", ev(booking.EventCancel, "staff:7", early),
			want{err: hub.ErrBadTransition}},
		{"order on the table", "confirmed", ev(booking.EventSeat, "rms", start),
			want{to: "seated"}},
		{"order seen again", "seated", ev(booking.EventSeat, "rms", start), want{}},
		{"order before the RMS accepted", "requested", ev(booking.EventSeat, "rms", start),
			want{}},
		{"order after a no-show", "no_show", ev(booking.EventSeat, "rms", start), want{}},
		{"staff mark a no-show", "confirmed", ev(booking.EventNoShow, "staff:7", start),
			want{to: "no_show"}},
		{"no-show of seated guests", "seated", ev(booking.EventNoShow, "staff:7", start),
			want{err: hub.ErrBadTransition}},
		{"guests leave", "seated", ev(booking.EventComplete, "rms", start),
			want{to: "completed"}},
		{"completing twice", "completed", ev(booking.EventComplete, "rms", start), want{}},
		{"completing a request", "requested", ev(booking.EventComplete, "staff:7", start),
			want{err: hub.ErrBadTransition}},
		{"unknown event", "held", ev("teleport", "rms", start),
			want{err: hub.ErrBadTransition}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := hub.Booking{ID: "b1", TableIDs: []string{"t1"}, Start: start,
				End: start.Add(2 * time.Hour), Party: 2, State: tc.state,
				HoldUntil: early.Add(5 * time.Minute)}
			tr, ok, err := booking.Next(b, p, tc.event)
			if !errors.Is(err, tc.want.err) || (err == nil) != (tc.want.err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want.err)
			}
			if ok != (tc.want.to != "") || tr.To != tc.want.to {
				t.Fatalf("moves to %q (%v), want %q", tr.To, ok, tc.want.to)
			}
			if !ok {
				return
			}
			if !hub.CanMove(b.State, tr.To) {
				t.Errorf("%s -> %s is not allowed", b.State, tr.To)
			}
			if tr.Actor != tc.event.Actor || !tr.At.Equal(tc.event.At) || tr.Reason == "" {
				t.Errorf("transition %+v does not record who, when and why", tr)
			}
			// Idempotent: the same event again, after the move, moves nothing.
			b.State = tr.To
			if tr2, ok, err := booking.Next(b, p, tc.event); ok || err != nil {
				t.Errorf("the same event again: %+v, %v, %v", tr2, ok, err)
			}
		})
	}
}

func ev(kind booking.EventKind, actor string, at time.Time) booking.Event {
	return booking.Event{Kind: kind, Actor: actor, At: at, ReservationID: "r-1"}
}

func TestNextAcceptAndMove(t *testing.T) {
	start := time.Date(2026, 6, 10, 16, 0, 0, 0, time.UTC)
	b := hub.Booking{ID: "b1", TableIDs: []string{"t1"}, Start: start,
		End: start.Add(2 * time.Hour), State: hub.BookingRequested}
	tr, ok, err := booking.Next(b, hub.Policy{}, booking.Event{Kind: booking.EventAccept,
		Actor: "rms", At: start.Add(-time.Hour), ReservationID: "r-9"})
	if err != nil || !ok || tr.ReservationID != "r-9" {
		t.Fatalf("accept: %+v %v %v", tr, ok, err)
	}

	b.State = hub.BookingConfirmed
	move := booking.Event{Kind: booking.EventMove, Actor: "rms", At: start,
		TableIDs: []string{"t2"}, Start: start.Add(30 * time.Minute), End: b.End}
	tr, ok, err = booking.Next(b, hub.Policy{}, move)
	want := hub.Transition{To: hub.BookingConfirmed, Actor: "rms", At: start,
		Reason: "the restaurant moved the booking", TableIDs: []string{"t2"},
		Start: start.Add(30 * time.Minute)}
	if diff := cmp.Diff(tr, want); diff != "" || !ok || err != nil {
		t.Errorf("move: %v %v (-got +want):\n%s", ok, err, diff)
	}
	b.TableIDs, b.Start = tr.TableIDs, tr.Start
	if _, ok, err := booking.Next(b, hub.Policy{}, move); ok || err != nil {
		t.Errorf("the same move again: %v %v", ok, err)
	}
	b.State = hub.BookingCancelled
	if _, ok, err := booking.Next(b, hub.Policy{}, move); ok || err != nil {
		t.Errorf("moving a cancelled booking: %v %v", ok, err)
	}
}

func TestDue(t *testing.T) {
	created := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	start := created.Add(3 * time.Hour)
	p := hub.Policy{HoldTTL: minutes(5), ConfirmTimeout: minutes(10)}
	for _, tc := range []struct {
		name string
		b    hub.Booking
		mode hub.Mode
		when time.Time
		to   hub.BookingState
	}{
		{"hold with its own deadline", hub.Booking{State: "held", HoldUntil: created.Add(
			3 * time.Minute)}, hub.ModeAPI, created.Add(3 * time.Minute), "expired"},
		{"hold from the policy", hub.Booking{State: "held"}, hub.ModeAPI,
			created.Add(5 * time.Minute), "expired"},
		{"request unanswered", hub.Booking{State: "requested",
			UpdatedAt: created.Add(time.Minute)}, hub.ModeAPI, created.Add(11 * time.Minute),
			"expired"},
		{"request unanswered by the start", hub.Booking{State: "requested",
			UpdatedAt: start.Add(-2 * time.Minute)}, hub.ModeAPI, start, "expired"},
		{"nobody came", hub.Booking{State: "confirmed"}, hub.ModeAPI,
			start.Add(booking.NoShowGrace), "no_show"},
		{"manual mode: over after the end", hub.Booking{State: "confirmed"}, hub.ModeManual,
			start.Add(2 * time.Hour), "completed"},
		{"seated until the end", hub.Booking{State: "seated"}, hub.ModeAPI,
			start.Add(2 * time.Hour), "completed"},
		{"over", hub.Booking{State: "cancelled"}, hub.ModeAPI, time.Time{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			b.CreatedAt, b.Start, b.End = created, start, start.Add(2*time.Hour)
			if got := booking.When(b, p, tc.mode); !got.Equal(tc.when) {
				t.Errorf("When = %s, want %s", got, tc.when)
			}
			if tc.when.IsZero() {
				if _, ok := booking.Due(b, p, tc.mode, start.Add(100*time.Hour)); ok {
					t.Error("an ended booking is due")
				}
				return
			}
			if tr, ok := booking.Due(b, p, tc.mode, tc.when.Add(-time.Nanosecond)); ok {
				t.Errorf("due early: %+v", tr)
			}
			tr, ok := booking.Due(b, p, tc.mode, tc.when)
			if !ok || tr.To != tc.to || tr.Actor != booking.ActorSystem || tr.Reason == "" {
				t.Errorf("Due = %+v, %v; want a move to %s by the system", tr, ok, tc.to)
			}
			if !hub.CanMove(b.State, tr.To) {
				t.Errorf("%s -> %s is not allowed", b.State, tr.To)
			}
		})
	}
}

func TestArrived(t *testing.T) {
	start := time.Date(2026, 6, 10, 16, 0, 0, 0, time.UTC)
	b := hub.Booking{TableIDs: []string{"t1", "t2"}, Start: start}
	for _, tc := range []struct {
		tables []string
		opened time.Duration
		want   bool
	}{
		{[]string{"t2"}, 0, true},
		{[]string{"t9", "t1"}, -booking.EarlyArrival, true},
		{[]string{"t1"}, booking.NoShowGrace, true},
		{[]string{"t1"}, -booking.EarlyArrival - time.Minute, false}, // the party before
		{[]string{"t1"}, booking.NoShowGrace + time.Minute, false},
		{[]string{"t3"}, 0, false},
	} {
		o := wire.Order{ID: "o", TableIDs: tc.tables, OpenedAt: start.Add(tc.opened)}
		if got := booking.Arrived(b, o); got != tc.want {
			t.Errorf("order on %v opened %s from the start: %v, want %v", tc.tables,
				tc.opened, got, tc.want)
		}
	}
}
