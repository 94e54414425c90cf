package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

// Confirm is the guest confirming a held booking: it becomes requested.
// For an api or file venue the create command goes to the venue's agent
// (expiring with the confirm timeout); for a manual venue staff confirm it
// (StaffConfirm). Confirming again re-sends nothing new: the command's id
// is the booking's.
func (d *Desk) Confirm(ctx context.Context, bookingID, actor string) (hub.Booking, error) {
	b, v, _, err := d.apply(ctx, bookingID,
		booking.Event{Kind: booking.EventRequest, Actor: actor})
	if err != nil {
		return b, fmt.Errorf("confirm: %w", err)
	}
	if b.State != hub.BookingRequested || v.Mode == hub.ModeManual {
		return b, nil
	}
	return b, d.sendCreate(ctx, b, v)
}

func (d *Desk) sendCreate(ctx context.Context, b hub.Booking, v venue) error {
	a, err := d.agent(ctx, v.ID)
	if err != nil {
		return fmt.Errorf("send booking %s: %w", b.ID, err)
	}
	if !Writes(a) {
		d.log.Info("the venue's connector cannot write reservations; staff confirm the booking",
			"booking", b.ID, "venue", v.ID, "connector", a.Status.Connector)
		return nil
	}
	body, err := json.Marshal(wire.ReservationRequest{
		BookingID: b.ID, TableIDs: b.TableIDs, Start: b.Start,
		Duration: wire.Duration(b.End.Sub(b.Start) - time.Duration(v.Policy.Buffer)),
		Guests:   b.Party, Name: b.Name, Phone: b.Phone, Comment: b.Comment,
	})
	if err != nil {
		return fmt.Errorf("encode reservation request: %w", err)
	}
	c := hub.Command{ID: "create-" + b.ID, AgentID: a.ID, Kind: wire.CommandCreateReservation,
		Body: body, CreatedAt: d.now(), Expires: booking.When(b, v.Policy, v.Mode),
		State: hub.CommandPending}
	return d.enqueue(ctx, c)
}

// Writes reports whether an agent's connector writes reservations into its
// RMS, as it said in its hello.
func Writes(a hub.Agent) bool {
	return slices.Contains(a.Status.Capabilities, capabilityWrite)
}

// capabilityWrite is agent.CapabilityReservations: the hub does not import
// the agent's packages.
const capabilityWrite = "reservations.write"

// enqueue stores c (once: a second enqueue of its id is not an error),
// schedules its expiry and wakes the agent.
func (d *Desk) enqueue(ctx context.Context, c hub.Command) error {
	if err := d.store.EnqueueCommand(ctx, c); err != nil && !errors.Is(err, hub.ErrExists) {
		return fmt.Errorf("enqueue %s: %w", c.Kind, err)
	}
	if !c.Expires.IsZero() {
		if err := d.store.ScheduleJob(ctx, hub.CommandExpiryJob(c)); err != nil {
			return fmt.Errorf("schedule expiry of %s: %w", c.ID, err)
		}
	}
	d.fleet.Poke(c.AgentID)
	return nil
}

// OnResult handles the result of a command the desk sent; the gateway
// calls it after storing the result. See the package documentation for
// what each result does.
func (d *Desk) OnResult(ctx context.Context, agentID string, c hub.Command,
	r wire.Result) error {
	log := d.log.With("agent", agentID, "command", c.ID, "kind", c.Kind)
	switch c.Kind {
	case wire.CommandCancelReservation:
		log.Info("reservation cancel result", "ok", r.OK, "code", r.Code, "message", r.Message)
		if r.OK {
			return nil
		}
		var req wire.CancelRequest
		if err := json.Unmarshal(c.Body, &req); err != nil {
			return fmt.Errorf("decode command %s: %w", c.ID, err)
		}
		b, err := d.store.Booking(ctx, req.BookingID)
		if err != nil {
			return fmt.Errorf("result of %s: %w", c.ID, err)
		}
		log.Warn("the RMS did not cancel the reservation; staff must cancel it at the till",
			"booking", b.ID, "reservation", req.ReservationID, "code", r.Code)
		d.onTillTask(ctx, b, r.Message)
		return nil
	case wire.CommandUpdateReservation:
		log.Info("reservation move result", "ok", r.OK, "code", r.Code, "message", r.Message)
		return d.onMoveResult(ctx, c, r)
	case wire.CommandCreateReservation:
	default:
		return nil
	}
	var req wire.ReservationRequest
	if err := json.Unmarshal(c.Body, &req); err != nil {
		return fmt.Errorf("decode command %s: %w", c.ID, err)
	}
	var e booking.Event
	switch {
	case r.OK:
		var res wire.Reservation
		if err := json.Unmarshal(r.Body, &res); err != nil {
			return fmt.Errorf("decode result of %s: %w", c.ID, err)
		}
		e = booking.Event{Kind: booking.EventAccept, Actor: booking.ActorRMS,
			ReservationID: res.ID}
	case r.Code == wire.CodeRefused || r.Code == wire.CodeUnsupported ||
		r.Code == wire.CodeBadRequest:
		e = booking.Event{Kind: booking.EventRefuse, Actor: booking.ActorRMS, Reason: r.Message}
	default:
		log.Warn("reservation not written; the booking waits for the mirror or its timeout",
			"booking", req.BookingID, "code", r.Code, "message", r.Message)
		return nil
	}
	b, v, _, err := d.apply(ctx, req.BookingID, e)
	if errors.Is(err, booking.ErrLate) && e.Kind == booking.EventAccept {
		// The booking ended while the RMS wrote it: take it out again.
		log.Warn("reservation made for an ended booking; cancelling it",
			"booking", b.ID, "state", b.State)
		return d.sendCancel(ctx, v, agentID, b.ID, e.ReservationID, "booking "+string(b.State))
	}
	if err != nil {
		return fmt.Errorf("result of %s: %w", c.ID, err)
	}
	return nil
}

func (d *Desk) sendCancel(ctx context.Context, v venue, agentID, bookingID, reservationID,
	reason string) error {
	if agentID == "" {
		a, err := d.agent(ctx, v.ID)
		if err != nil {
			return fmt.Errorf("cancel reservation %s: %w", reservationID, err)
		}
		agentID = a.ID
	}
	body, err := json.Marshal(wire.CancelRequest{BookingID: bookingID,
		ReservationID: reservationID, Reason: reason})
	if err != nil {
		return fmt.Errorf("encode cancel request: %w", err)
	}
	return d.enqueue(ctx, hub.Command{ID: "cancel-" + bookingID, AgentID: agentID,
		Kind: wire.CommandCancelReservation, Body: body, CreatedAt: d.now(),
		State: hub.CommandPending})
}

// Cancel cancels a booking for a guest ("guest:<id>", within the venue's
// cancellation cutoff) or staff. A reservation the RMS holds for it is
// cancelled through the agent.
func (d *Desk) Cancel(ctx context.Context, bookingID, actor, reason string) (hub.Booking,
	error) {
	b, v, moved, err := d.apply(ctx, bookingID, booking.Event{Kind: booking.EventCancel,
		Actor: actor, Reason: reason})
	if err != nil {
		return b, fmt.Errorf("cancel: %w", err)
	}
	if moved && b.ReservationID != "" && v.Mode != hub.ModeManual {
		return b, d.sendCancel(ctx, v, "", b.ID, b.ReservationID, reason)
	}
	return b, nil
}

// StaffConfirm is staff confirming a booking (in manual mode, the only
// way it is confirmed).
func (d *Desk) StaffConfirm(ctx context.Context, bookingID, actor string) (hub.Booking, error) {
	return d.staff(ctx, bookingID, booking.Event{Kind: booking.EventAccept, Actor: actor})
}

// Decline is staff declining a held or requested booking.
func (d *Desk) Decline(ctx context.Context, bookingID, actor, reason string) (hub.Booking,
	error) {
	return d.staff(ctx, bookingID, booking.Event{Kind: booking.EventRefuse, Actor: actor,
		Reason: reason})
}

// Seat is staff saying the guests arrived.
func (d *Desk) Seat(ctx context.Context, bookingID, actor string) (hub.Booking, error) {
	return d.staff(ctx, bookingID, booking.Event{Kind: booking.EventSeat, Actor: actor})
}

// NoShow is staff saying the guests did not come.
func (d *Desk) NoShow(ctx context.Context, bookingID, actor string) (hub.Booking, error) {
	return d.staff(ctx, bookingID, booking.Event{Kind: booking.EventNoShow, Actor: actor})
}

// Complete is staff saying the guests left.
func (d *Desk) Complete(ctx context.Context, bookingID, actor string) (hub.Booking, error) {
	return d.staff(ctx, bookingID, booking.Event{Kind: booking.EventComplete, Actor: actor})
}

func (d *Desk) staff(ctx context.Context, id string, e booking.Event) (hub.Booking, error) {
	b, _, _, err := d.apply(ctx, id, e)
	if err != nil {
		return b, fmt.Errorf("%s: %w", e.Kind, err)
	}
	return b, nil
}
