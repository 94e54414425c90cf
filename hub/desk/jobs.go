package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/hub/schedule"
)

// Handlers returns the desk's job handlers by kind, for the scheduler
// (schedule.Runner.Handle). Each applies booking.Due to the job's booking
// and is idempotent: a booking that moved on meanwhile is left alone.
func (d *Desk) Handlers() map[string]schedule.Handler {
	return map[string]schedule.Handler{
		JobHoldExpiry:     d.runDue,
		JobConfirmTimeout: d.runDue,
		JobDue:            d.runDue,
	}
}

// retry schedules job j again at at, under an id of its own (the running
// job is removed when it returns) that keeps j's prefix.
func (d *Desk) retry(ctx context.Context, j hub.Job, b hub.Booking, at time.Time) error {
	base := j.Kind + "-" + string(b.State) + "-" + b.ID
	r := hub.Job{ID: fmt.Sprintf("%s@%d", base, at.UnixNano()), Kind: j.Kind, RunAt: at,
		Payload: j.Payload}
	if err := d.store.ScheduleJob(ctx, r); err != nil {
		return fmt.Errorf("schedule %s again: %w", j.Kind, err)
	}
	return nil
}

func (d *Desk) runDue(ctx context.Context, j hub.Job) error {
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.BookingID == "" {
		d.log.Error("bad booking job; dropping it", "job", j.ID, "err", err)
		return nil
	}
	b, err := d.store.Booking(ctx, p.BookingID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load booking: %w", err)
	}
	if !strings.HasPrefix(j.ID, j.Kind+"-"+string(b.State)+"-") {
		return nil // the booking moved on; its next job is scheduled
	}
	v, err := d.loadVenue(ctx, b.VenueID)
	if err != nil {
		return err
	}
	now := d.now()
	if at := booking.When(b, v.Policy, v.Mode); now.Before(at) {
		return d.retry(ctx, j, b, at) // the deadline moved, or the clocks disagree
	}
	if b.State == hub.BookingConfirmed || b.State == hub.BookingSeated {
		// A no-show needs fresh RMS news: wait while the venue is paused.
		err := d.paused(ctx, v)
		if errors.Is(err, ErrPaused) {
			d.log.Info("booking job waits for the venue", "booking", b.ID, "err", err)
			return d.retry(ctx, j, b, now.Add(time.Duration(booking.Effective(v.Policy).SlotStep)))
		}
		if err != nil {
			return err
		}
	}
	t, ok := booking.Due(b, v.Policy, v.Mode, now)
	if !ok {
		return nil
	}
	nb, err := d.store.TransitionBooking(ctx, b.ID, t)
	if err != nil {
		return fmt.Errorf("move booking %s to %s: %w", b.ID, t.To, err)
	}
	d.log.Info("booking moved", "booking", b.ID, "from", b.State, "to", nb.State,
		"actor", t.Actor, "reason", t.Reason)
	d.onChange(ctx, b.State, nb)
	if b.State == hub.BookingRequested {
		d.log.Warn("staff alert: booking expired without an answer from the restaurant",
			"alert", "booking_unconfirmed", "venue", b.VenueID, "booking", b.ID,
			"start", b.Start, "party", b.Party)
	}
	return d.schedule(ctx, nb, v)
}
