package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

// capabilityUpdate is agent.CapabilityUpdate: the agent's connector moves
// reservations in its RMS.
const capabilityUpdate = "reservations.update"

// Updates reports whether an agent's connector moves reservations in its
// RMS, as it said in its hello.
func Updates(a hub.Agent) bool {
	return slices.Contains(a.Status.Capabilities, capabilityUpdate)
}

// MoveTimeout is how long a move waits for the agent: a command not
// started by then expires, and the booking stays where it was.
const MoveTimeout = 10 * time.Minute

// Move is staff moving a booking to another start or other tables (a zero
// start or no tables keeps what the booking has); the booking keeps its
// length. The new slot is checked as a staff hold is: opening hours,
// tables that take the party, no overlap with anything but the booking
// itself (a short notice or a large party is staff's call).
//
// A confirmed booking whose RMS reservation the venue's agent can move is
// moved through the RMS: Move sends a reservation.update and returns the
// booking unchanged with sent true; the booking moves when the RMS
// accepts (OnResult). A refusal, or no answer, leaves it where it was,
// and a staff notice (hub.NoticeRMSMove) says why. Otherwise the booking
// moves at once; when the RMS holds a reservation for it that the agent
// cannot move, a staff notice asks staff to move it at the till.
//
// A seated booking is not moved (its guests are at the table), nor a
// requested one while the RMS is writing it.
func (d *Desk) Move(ctx context.Context, bookingID, actor string, start time.Time,
	tableIDs []string) (hub.Booking, bool, error) {
	b, err := d.store.Booking(ctx, bookingID)
	if err != nil {
		return hub.Booking{}, false, fmt.Errorf("load booking: %w", err)
	}
	v, err := d.loadVenue(ctx, b.VenueID)
	if err != nil {
		return b, false, err
	}
	target := b
	target.TableIDs = slices.Clone(b.TableIDs)
	if !start.IsZero() {
		target.Start = start.UTC()
		target.End = target.Start.Add(b.End.Sub(b.Start))
	}
	if len(tableIDs) > 0 {
		target.TableIDs = slices.Clone(tableIDs)
	}
	if target.Start.Equal(b.Start) && sameSet(target.TableIDs, b.TableIDs) {
		return b, false, nil
	}
	switch b.State {
	case hub.BookingHeld, hub.BookingRequested, hub.BookingConfirmed:
	case hub.BookingSeated:
		return b, false, fmt.Errorf("move: %w: the guests are seated; move their order at "+
			"the till", hub.ErrBadTransition)
	default:
		return b, false, fmt.Errorf("move: %w (%s)", booking.ErrLate, b.State)
	}
	if err := d.checkMove(ctx, v, b, target); err != nil {
		return b, false, err
	}

	// Whether the RMS holds a reservation for the booking, and can move it.
	var a hub.Agent
	rms := v.Mode != hub.ModeManual && b.ReservationID != ""
	if v.Mode != hub.ModeManual {
		a, err = d.agent(ctx, v.ID)
		switch {
		case errors.Is(err, hub.ErrNotFound):
		case err != nil:
			return b, false, err
		case b.State == hub.BookingRequested && Writes(a):
			return b, false, fmt.Errorf("move: %w: the RMS is writing the booking; move it "+
				"once it is confirmed", hub.ErrBadTransition)
		}
	}
	if rms && a.ID != "" && Updates(a) {
		return b, true, d.sendMove(ctx, a, b, target, actor)
	}

	nb, _, moved, err := d.apply(ctx, b.ID, booking.Event{Kind: booking.EventMove, Actor: actor,
		TableIDs: target.TableIDs, Start: target.Start, End: target.End})
	if err != nil {
		return nb, false, fmt.Errorf("move: %w", err)
	}
	if moved && rms {
		why := "the venue's agent cannot move reservations in the RMS"
		if a.ID == "" {
			why = "the venue has no agent"
		}
		d.moveNotice(ctx, "move/"+b.ID+"/"+nb.UpdatedAt.UTC().Format(time.RFC3339Nano), nb,
			fmt.Sprintf("%s; move reservation %s at the till to %s", why, b.ReservationID,
				d.where(nb, v)))
	}
	return nb, false, nil
}

// checkMove checks target, b moved, against v's rules for staff and
// against what else is in the book; b's own booking and reservation are
// left out.
func (d *Desk) checkMove(ctx context.Context, v venue, b, target hub.Booking) error {
	book, err := d.book(ctx, v, target.Start.Add(-24*time.Hour), target.End.Add(24*time.Hour))
	if err != nil {
		return err
	}
	state, err := d.store.VenueState(ctx, v.ID)
	if err != nil {
		return fmt.Errorf("load mirror: %w", err)
	}
	mine := map[string]bool{}
	if b.ReservationID != "" {
		mine[b.ReservationID] = true
	}
	for _, r := range state.Reservations {
		if r.BookingID == b.ID {
			mine[r.ID] = true
		}
	}
	book.Blocks = slices.DeleteFunc(book.Blocks, func(bl hub.Block) bool {
		return bl.Kind == hub.BlockReservation && mine[bl.Ref]
	})
	err = booking.Check(v.engine, book, target, d.now())
	if err := rules(err, true); err != nil {
		return fmt.Errorf("move: %w", err)
	}
	if ce := (*hub.ConflictError)(nil); errors.As(err, &ce) {
		return d.taken(ctx, v, target, ce)
	}
	return nil
}

// sendMove enqueues the reservation.update of b to target. Its id names
// the booking as it is and the target, so the same move sent twice is
// one command.
func (d *Desk) sendMove(ctx context.Context, a hub.Agent, b, target hub.Booking,
	actor string) error {
	req := wire.UpdateRequest{BookingID: b.ID, ReservationID: b.ReservationID}
	if !target.Start.Equal(b.Start) {
		req.Start = target.Start
	}
	if !sameSet(target.TableIDs, b.TableIDs) {
		req.TableIDs = target.TableIDs
	}
	if err := req.Validate(); err != nil {
		return fmt.Errorf("move: %w: %v", hub.ErrInvalid, err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode reservation update: %w", err)
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s", b.UpdatedAt.UTC().Format(time.RFC3339Nano),
		body))
	now := d.now()
	id := "move-" + b.ID + "-" + hex.EncodeToString(sum[:6])
	// Asked again after that command ended (refused, or expired): a new
	// try.
	if old, err := d.store.Command(ctx, id); err == nil && old.State != hub.CommandPending {
		id += "-" + strconv.FormatInt(now.UnixNano(), 36)
	}
	c := hub.Command{ID: id, AgentID: a.ID,
		Kind: wire.CommandUpdateReservation, Body: body, CreatedAt: now,
		Expires: now.Add(MoveTimeout), State: hub.CommandPending}
	d.log.Info("booking move sent to the RMS", "booking", b.ID, "actor", actor,
		"command", c.ID, "start", target.Start, "tables", target.TableIDs)
	return d.enqueue(ctx, c)
}

// OnExpired handles commands the hub expired before their agent answered
// (the expiry job calls it): a move that lapsed leaves the booking where
// it was, and staff get a notice saying so, as for a refused move.
func (d *Desk) OnExpired(ctx context.Context, expired []hub.Command) {
	for _, c := range expired {
		if c.Kind != wire.CommandUpdateReservation {
			continue
		}
		r := wire.Result{CommandID: c.ID, Code: wire.CodeExpired,
			Message: "the agent did not answer in time (is it offline?)"}
		if err := d.onMoveResult(ctx, c, r); err != nil {
			d.log.Warn("a lapsed move", "command", c.ID, "err", err)
		}
	}
}

// onMoveResult applies the result of a reservation.update: the booking
// moves to where the RMS holds the reservation now. A refusal leaves the
// booking; an agent that cannot move reservations makes it move here and
// asks staff to move it at the till; either way staff get a notice.
func (d *Desk) onMoveResult(ctx context.Context, c hub.Command, r wire.Result) error {
	req, err := wire.DecodeUpdateRequest(c.Body)
	if err != nil {
		return fmt.Errorf("decode command %s: %w", c.ID, err)
	}
	b, err := d.store.Booking(ctx, req.BookingID)
	if err != nil {
		return fmt.Errorf("result of %s: %w", c.ID, err)
	}
	v, err := d.loadVenue(ctx, b.VenueID)
	if err != nil {
		return err
	}
	log := d.log.With("command", c.ID, "booking", b.ID)
	noticeID := "move/" + c.ID
	asked := b
	if !req.Start.IsZero() {
		asked.Start, asked.End = req.Start, req.Start.Add(b.End.Sub(b.Start))
	}
	if len(req.TableIDs) > 0 {
		asked.TableIDs = req.TableIDs
	}
	var e booking.Event
	switch {
	case r.OK:
		var res wire.Reservation
		if err := json.Unmarshal(r.Body, &res); err != nil {
			return fmt.Errorf("decode result of %s: %w", c.ID, err)
		}
		e = booking.Event{Kind: booking.EventMove, Actor: booking.ActorRMS,
			TableIDs: res.TableIDs, Start: res.Start,
			Reason: "staff moved the booking; the RMS moved its reservation"}
		if res.Duration > 0 {
			e.End = res.Start.Add(time.Duration(res.Duration) + time.Duration(v.Policy.Buffer))
		} else if !res.Start.IsZero() {
			e.End = res.Start.Add(b.End.Sub(b.Start))
		}
	case r.Code == wire.CodeUnsupported:
		e = booking.Event{Kind: booking.EventMove, Actor: booking.ActorSystem,
			TableIDs: asked.TableIDs, Start: asked.Start, End: asked.End,
			Reason: "staff moved the booking; the RMS cannot move its reservation"}
	default:
		log.Warn("the RMS did not move the reservation; the booking stays", "code", r.Code,
			"message", r.Message)
		what := "the RMS refused to move the booking"
		if r.Code != wire.CodeRefused {
			what = "the move did not reach the RMS (" + r.Code + ")"
		}
		d.moveNotice(ctx, noticeID, b, fmt.Sprintf("%s to %s: %s. It stays at %s; choose "+
			"another time or table, or move it at the till", what, d.where(asked, v),
			strings.TrimSpace(r.Message), d.where(b, v)))
		return nil
	}
	nb, _, moved, err := d.apply(ctx, b.ID, e)
	if err != nil {
		log.Warn("the RMS answered a move the booking cannot take", "err", err)
		d.moveNotice(ctx, noticeID, b, fmt.Sprintf("the RMS holds reservation %s at %s, "+
			"but the booking cannot move there (%v); check it at the till", b.ReservationID,
			d.where(asked, v), err))
		return nil
	}
	if moved && !r.OK {
		d.moveNotice(ctx, noticeID, nb, fmt.Sprintf("%s; move reservation %s at the till to %s",
			strings.TrimSpace(r.Message), b.ReservationID, d.where(nb, v)))
	}
	return nil
}

// where says a booking's local start and tables, for staff.
func (d *Desk) where(b hub.Booking, v venue) string {
	return fmt.Sprintf("%s, tables %s", b.Start.In(v.engine.Zone).Format("2006-01-02 15:04"),
		strings.Join(b.TableIDs, "+"))
}

// moveNotice records a staff notice about a move the RMS did not follow.
func (d *Desk) moveNotice(ctx context.Context, id string, b hub.Booking, comment string) {
	n := hub.Notice{ID: id, VenueID: b.VenueID, Kind: hub.NoticeRMSMove, BookingID: b.ID,
		GuestName: firstName(b.Name), Party: b.Party, Wanted: b.Start.UTC(), Comment: comment,
		CreatedAt: d.now().UTC()}
	if err := d.store.PutNotice(ctx, n); err != nil && !errors.Is(err, hub.ErrExists) {
		d.log.Error("record a staff notice of a move", "booking", b.ID, "err", err)
	}
}

// firstName is the first word of a guest's name: notices show no more.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(t string) bool {
		return !slices.Contains(b, t)
	})
}
