package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// UpdateReservation moves a reservation created through the writer, found
// by BookingID or else by ReservationID, to the start, duration and tables
// req sets. It refuses, wrapping agent.ErrRefused, one of the model's
// reservations (made by phone), an unknown or cancelled one, and a move the
// venue would refuse as a new reservation (CreateReservation's rules,
// leaving the reservation itself out of the overlap check). The move is in
// the state file before it returns.
func (v *Venue) UpdateReservation(ctx context.Context, req wire.UpdateRequest) (
	wire.Reservation, error) {
	if err := ctx.Err(); err != nil {
		return wire.Reservation{}, err
	}
	n := v.CurrentStep()
	now := v.now()

	v.mu.Lock()
	defer v.mu.Unlock()
	if v.down != nil {
		return wire.Reservation{}, v.down
	}
	rec := v.created[req.BookingID]
	if rec == nil && strings.HasPrefix(req.ReservationID, createdPrefix) {
		rec = v.created[strings.TrimPrefix(req.ReservationID, createdPrefix)]
	}
	switch {
	case rec == nil && strings.HasPrefix(req.ReservationID, modelPrefix):
		return wire.Reservation{}, refused("reservation %s was made by phone, move it at the till",
			req.ReservationID)
	case rec == nil:
		return wire.Reservation{}, refused("no reservation for booking %s", req.BookingID)
	case !rec.live():
		return wire.Reservation{}, refused("the reservation of booking %s was cancelled",
			rec.res.BookingID)
	}

	moved := rec.clone()
	if !req.Start.IsZero() {
		moved.Start = req.Start.UTC().Truncate(time.Second)
	}
	if req.Duration > 0 {
		moved.Duration = req.Duration
	}
	if len(req.TableIDs) > 0 {
		moved.TableIDs = slices.Sorted(slices.Values(req.TableIDs))
	}
	if err := v.check(moved, now, n); err != nil {
		return wire.Reservation{}, err
	}
	old := rec.res
	rec.res = moved
	if err := v.save(now); err != nil {
		rec.res = old
		return wire.Reservation{}, fmt.Errorf("move reservation %s: %w", moved.ID, err)
	}
	return rec.clone(), nil
}
