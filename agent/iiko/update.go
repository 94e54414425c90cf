package iiko

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// UpdateReservation moves a reserve (found by req.ReservationID, else by
// the id made from req.BookingID) to req's tables (ChangeTables) and start
// (ChangeStart), calling only for what differs, and returns it as iiko
// holds it afterwards. iiko has no call to change a reserve's length: the
// duration asked for is left as it is, and the reservation returned says
// the length iiko keeps.
//
// iiko moves only a reserve whose guests have not arrived (status New):
// one seated, closed, cancelled or unknown is refused, wrapping
// agent.ErrRefused, with words staff understand, before any call that
// changes it. When the tables moved but the start was then refused, the
// tables are moved back, so a refusal leaves the reserve as it was.
func (c *Connector) UpdateReservation(ctx context.Context,
	req wire.UpdateRequest) (wire.Reservation, error) {
	if err := req.Validate(); err != nil {
		return wire.Reservation{}, fmt.Errorf("iiko reserve move: %v: %w", err,
			agent.ErrBadRequest)
	}
	v, err := c.resolve(ctx)
	if err != nil {
		return wire.Reservation{}, err
	}
	id := req.ReservationID
	if id == "" {
		id = ReserveID(req.BookingID)
	}
	log := c.log.With("reserve", id, "booking", req.BookingID)
	info, err := c.movable(ctx, v, id)
	if err != nil {
		return wire.Reservation{}, err
	}
	rv := info.Reserve
	oldTables := slices.Clone(rv.TableIDs)
	newTables := len(req.TableIDs) > 0 && !sameTables(req.TableIDs, oldTables)
	newStart := false
	if !req.Start.IsZero() {
		start, err := ParseTime(rv.EstimatedStartTime, v.loc)
		newStart = err != nil || !start.Equal(req.Start)
	}

	if newTables {
		if err := c.ChangeTables(ctx, id, req.TableIDs); err != nil {
			return wire.Reservation{}, moveRefusal(err)
		}
	}
	if newStart {
		if err := c.ChangeStart(ctx, id, req.Start); err != nil {
			if newTables {
				if berr := c.ChangeTables(ctx, id, oldTables); berr != nil {
					log.Error("the reserve's start was refused and its tables could not be "+
						"moved back; check it in iikoFront", "err", berr)
					return wire.Reservation{}, fmt.Errorf("%w; moving it back to its tables "+
						"failed too (%v): check the reserve in iikoFront", moveRefusal(err), berr)
				}
			}
			return wire.Reservation{}, moveRefusal(err)
		}
	}

	infos, err := c.statuses(ctx, v, []string{id})
	if err != nil {
		return wire.Reservation{}, fmt.Errorf("iiko reserve/status_by_id: the reserve was "+
			"moved; reading it back: %w", err)
	}
	after, ok := infos[id]
	if !ok {
		return wire.Reservation{}, fmt.Errorf("iiko reserve/status_by_id: reserve %s moved, "+
			"then not found", id)
	}
	r, err := c.fromInfo(after, v.loc)
	if err != nil {
		return wire.Reservation{}, fmt.Errorf("iiko reserve/status_by_id: reserve %s: %w", id, err)
	}
	if r.BookingID == "" {
		r.BookingID = req.BookingID
	}
	log.Info("reserve moved", "tables", r.TableIDs, "start", r.Start)
	return r, nil
}

// movable reads reserve id and refuses, in staff's words, one iiko will
// not move.
func (c *Connector) movable(ctx context.Context, v venue, id string) (ReserveInfo, error) {
	infos, err := c.statuses(ctx, v, []string{id})
	if err != nil {
		return ReserveInfo{}, err
	}
	ri, ok := infos[id]
	switch {
	case !ok || ri.CreationStatus == creationError:
		return ri, fmt.Errorf("iiko reserve move: the reservation is not in iiko "+
			"(it was never written or was deleted): %w", agent.ErrRefused)
	case ri.cancelled():
		return ri, fmt.Errorf("iiko reserve move: the reservation was cancelled in iiko: %w",
			agent.ErrRefused)
	case ri.CreationStatus == creationInProgress || ri.Reserve == nil:
		return ri, fmt.Errorf("iiko reserve move: iiko is still writing the reservation; " +
			"try again in a minute")
	case ri.Reserve.Status != "" && ri.Reserve.Status != "New":
		return ri, fmt.Errorf("iiko reserve move: the guests are already seated or have "+
			"left (iiko status %s); iiko moves only a reservation whose guests have "+
			"not arrived, so move the order at the till: %w", ri.Reserve.Status,
			agent.ErrRefused)
	}
	return ri, nil
}

// moveRefusal words a refused change for staff; other errors pass as
// they are.
func moveRefusal(err error) error {
	if !errors.Is(err, agent.ErrRefused) {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "not in 'New' status"):
		return fmt.Errorf("iiko did not move the reservation: the guests have arrived "+
			"meanwhile (%w)", err)
	case strings.Contains(strings.ToLower(msg), "table"):
		return fmt.Errorf("iiko did not move the reservation: a table asked for is "+
			"taken or unknown (%w)", err)
	}
	return fmt.Errorf("iiko did not move the reservation (%w)", err)
}

func sameTables(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(t string) bool {
		return !slices.Contains(b, t)
	})
}
