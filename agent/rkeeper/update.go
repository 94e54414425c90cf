package rkeeper

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// UpdateReservation moves a reserve order (found by req.ReservationID, or
// by the booking id on it) to another start and duration with
// UpdateOrder, which writes them as it did when the reserve was made.
// An R-Keeper order keeps the table it was opened on: a move to other
// tables wraps agent.ErrUnsupported (staff move it at the till), and
// changes nothing. A reserve no longer open on the till, and a start
// overlapping another reserve on its table, wrap agent.ErrRefused.
func (c *Connector) UpdateReservation(ctx context.Context, req wire.UpdateRequest) (
	wire.Reservation, error) {
	if err := req.Validate(); err != nil {
		return wire.Reservation{}, fmt.Errorf("rkeeper move reservation: %v: %w", err,
			agent.ErrBadRequest)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refreshRefs(ctx, false); err != nil {
		return wire.Reservation{}, err
	}
	found, err := c.readReserves(ctx, "")
	if err != nil {
		return wire.Reservation{}, err
	}
	id := normGUID(req.ReservationID)
	i := slices.IndexFunc(found, func(r reserve) bool {
		return !r.half && (id != "" && r.res.ID == id || req.BookingID != "" &&
			(r.res.BookingID == req.BookingID || r.mark == req.BookingID))
	})
	if i < 0 {
		return wire.Reservation{}, fmt.Errorf("%w: rkeeper move reservation: the reserve is "+
			"not open on the till (closed, voided or never made)", agent.ErrRefused)
	}
	r := found[i]
	if r.bad != nil {
		return wire.Reservation{}, fmt.Errorf("rkeeper move reservation: %w", r.bad)
	}
	tables := c.refs.tableIDs([]string{r.table})
	if len(req.TableIDs) > 0 && !slices.Equal(slices.Sorted(slices.Values(req.TableIDs)),
		slices.Sorted(slices.Values(tables))) {
		return wire.Reservation{}, fmt.Errorf("%w: rkeeper move reservation: an R-Keeper "+
			"order keeps the table it was opened on; move it to another table at the till",
			agent.ErrUnsupported)
	}
	moved := r.res
	moved.TableIDs = tables
	if !req.Start.IsZero() {
		moved.Start = req.Start.UTC().Truncate(time.Second)
	}
	if req.Duration > 0 {
		moved.Duration = req.Duration
	}
	if moved.Start.Equal(r.res.Start) && moved.Duration == r.res.Duration {
		return moved, nil
	}
	others := slices.Delete(slices.Clone(found), i, i+1)
	if err := overlap(others, r.table, wire.ReservationRequest{Start: moved.Start,
		Duration: moved.Duration}, c.cfg.Location); err != nil {
		return wire.Reservation{}, err
	}
	cmd := command("UpdateOrder",
		"openTime", formatLocal(moved.Start, c.cfg.Location),
		"duration", formatDuration(time.Duration(moved.Duration), c.cfg.DurationFormat),
	).with(el("Order", "guid", braceGUID(moved.ID)))
	if err := c.c.call(ctx, cmd, &plainResult{}); err != nil {
		return wire.Reservation{}, refusal(err)
	}
	if again, err := c.readReserves(ctx, ""); err == nil {
		for _, a := range again {
			if a.res.ID == moved.ID && !a.half && a.bad == nil {
				a.res.TableIDs = c.refs.tableIDs([]string{a.table})
				return a.res, nil
			}
		}
	}
	return moved, nil
}
