package iiko

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// reserveNamespace is the UUIDv5 namespace of reserve ids made from
// booking ids. Changing it would make retries after an upgrade book twice.
var reserveNamespace = [16]byte{0x5b, 0x0e, 0x7a, 0x31, 0x9c, 0x44, 0x4f, 0x1d,
	0x8a, 0x62, 0x2e, 0x13, 0xc7, 0x90, 0x55, 0xa8}

// ReserveID is the iiko reserve id Stolik uses for a booking: a UUIDv5 of
// the booking id, so every attempt for one booking sends the same id.
func ReserveID(bookingID string) string {
	h := sha1.New()
	h.Write(reserveNamespace[:])
	h.Write([]byte(bookingID))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// maxNameLen is the longest customer name iiko takes, in characters.
const maxNameLen = 60

// phoneOf checks a phone the way iiko does (a "+" and 8 to 15 digits),
// dropping spaces, dashes, dots and brackets people write. A Russian number
// typed without the "+" (8XXXXXXXXXX or 7XXXXXXXXXX, eleven digits) becomes
// +7XXXXXXXXXX; anything else without a "+" is refused, since its country
// cannot be told.
func phoneOf(s string) (string, error) {
	p := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.', '\u00a0':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	plus := strings.HasPrefix(p, "+")
	digits := strings.TrimPrefix(p, "+")
	ok := len(digits) >= 8 && len(digits) <= 15
	for _, r := range digits {
		ok = ok && r >= '0' && r <= '9'
	}
	switch {
	case ok && plus:
		return p, nil
	case ok && len(digits) == 11 && (digits[0] == '8' || digits[0] == '7'):
		return "+7" + digits[1:], nil
	}
	return "", fmt.Errorf("iiko reserve/create: the phone number must have 8 to 15 digits "+
		"after a +, such as +79161234567 (a Russian number may also be written "+
		"89161234567): %w", agent.ErrRefused)
}

type createAnswer struct {
	CorrelationID string      `json:"correlationId"`
	ReserveInfo   ReserveInfo `json:"reserveInfo"`
}

// CreateReservation writes a reserve and waits until iiko has taken it
// (creationStatus Success) or refused it. The reserve id is ReserveID of
// the booking id, so a retry finds the reserve created the first time
// (iiko answers DuplicatedReserveId) and returns it. Refusals wrap
// agent.ErrRefused with a reason staff understand; an unreachable iiko or
// a reserve still in progress after CreateTimeout is a plain error, worth
// retrying.
func (c *Connector) CreateReservation(ctx context.Context,
	req wire.ReservationRequest) (wire.Reservation, error) {
	if req.BookingID == "" || len(req.TableIDs) == 0 || req.Start.IsZero() || req.Duration <= 0 {
		return wire.Reservation{}, errors.New(
			"iiko reserve/create: booking id, tables, start and duration are required")
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return wire.Reservation{}, fmt.Errorf("iiko reserve/create: iiko needs the guest's name: %w",
			agent.ErrRefused)
	}
	if utf8.RuneCountInString(name) > maxNameLen {
		name = string([]rune(name)[:maxNameLen])
	}
	phone, err := phoneOf(req.Phone)
	if err != nil {
		return wire.Reservation{}, err
	}
	v, err := c.resolve(ctx)
	if err != nil {
		return wire.Reservation{}, err
	}
	id := ReserveID(req.BookingID)
	c.remember(id, req.BookingID)
	minutes := int64(time.Duration(req.Duration) / time.Minute)
	guests := max(req.Guests, 1)
	body := map[string]any{
		"organizationId":  v.org,
		"terminalGroupId": v.tg,
		"id":              id,
		"customer": map[string]any{
			"type": "regular", "name": name, "gender": "NotSpecified",
		},
		"phone":              phone,
		"guestsCount":        guests,
		"guests":             map[string]any{"count": guests},
		"comment":            withBookingTag(req.Comment, req.BookingID),
		"durationInMinutes":  max(minutes, 1),
		"shouldRemind":       false,
		"tableIds":           req.TableIDs,
		"estimatedStartTime": FormatTime(req.Start, v.loc),
	}

	log := c.log.With("booking", req.BookingID, "reserve", id)
	var ans createAnswer
	err = c.c.call(ctx, "reserve/create", body, &ans)
	var ae *APIError
	switch {
	case isDuplicate(err):
		log.Info("reserve exists already (a retry); reading its status")
	case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
		return wire.Reservation{}, refusal("reserve/create", ae.Code, ae.Description)
	case err != nil:
		return wire.Reservation{}, err
	}

	info := ans.ReserveInfo
	if err != nil || info.CreationStatus != creationSuccess || info.Reserve == nil {
		if info, err = c.awaitCreated(ctx, v, id); err != nil {
			return wire.Reservation{}, err
		}
	}
	if info.CreationStatus == creationError {
		code, text := "", ""
		if info.ErrorInfo != nil {
			code, text = info.ErrorInfo.Code, info.ErrorInfo.text()
		}
		return wire.Reservation{}, refusal("reserve/create", code, text)
	}
	r, err := c.fromInfo(info, v.loc)
	if err != nil {
		return wire.Reservation{}, fmt.Errorf("iiko reserve/status_by_id: reserve %s: %w", id, err)
	}
	if r.BookingID == "" {
		r.BookingID = req.BookingID
	}
	log.Info("reserve created", "tables", req.TableIDs, "start", r.Start)
	return r, nil
}

// awaitCreated polls status_by_id, backing off, until the reserve's
// creation ends or CreateTimeout passes.
func (c *Connector) awaitCreated(ctx context.Context, v venue, id string) (ReserveInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CreateTimeout)
	defer cancel()
	wait := c.cfg.StatusPoll
	for {
		infos, err := c.statuses(ctx, v, []string{id})
		if err != nil {
			return ReserveInfo{}, err
		}
		if ri, ok := infos[id]; ok && ri.CreationStatus != creationInProgress {
			return ri, nil
		}
		if err := c.c.sleep(ctx, wait); err != nil {
			return ReserveInfo{}, fmt.Errorf("iiko reserve/status_by_id: reserve %s is still "+
				"being created; the terminal may be slow (try again): %w", id, err)
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// fromInfo builds a wire reservation from a reserve's details.
func (c *Connector) fromInfo(ri ReserveInfo, loc *time.Location) (wire.Reservation, error) {
	if ri.Reserve == nil {
		return wire.Reservation{}, errors.New("the answer has no reserve")
	}
	rv := ri.Reserve
	s := Slot{ID: ri.ID, TableIDs: rv.TableIDs, EstimatedStartTime: rv.EstimatedStartTime,
		DurationInMinutes: rv.DurationInMinutes, GuestsCount: rv.GuestsCount}
	r, _, err := c.reservation(s, &ri, loc)
	return r, err
}

// commandAnswer is the answer of /commands/status.
type commandAnswer struct {
	State       string  `json:"state"`
	ErrorReason *string `json:"errorReason"`
}

// Command states; commandGone means iiko no longer knows the command
// (HTTP 410): its outcome must be read from the reserve.
const (
	commandSuccess = "Success"
	commandError   = "Error"
	commandGone    = "gone"
)

// awaitCommand polls /commands/status until the command ends. It returns
// the final state and, for an error, iiko's reason.
func (c *Connector) awaitCommand(ctx context.Context, v venue,
	correlationID string) (string, string, error) {
	if correlationID == "" {
		return commandGone, "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CreateTimeout)
	defer cancel()
	wait := c.cfg.StatusPoll
	for {
		var ans commandAnswer
		err := c.c.call(ctx, "commands/status", map[string]any{
			"organizationId": v.org, "correlationId": correlationID,
		}, &ans)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusGone {
			return commandGone, "", nil
		}
		if err != nil {
			return "", "", err
		}
		switch ans.State {
		case commandSuccess:
			return commandSuccess, "", nil
		case commandError:
			reason := ""
			if ans.ErrorReason != nil {
				reason = *ans.ErrorReason
			}
			return commandError, reason, nil
		}
		if err := c.c.sleep(ctx, wait); err != nil {
			return "", "", fmt.Errorf("iiko commands/status: command %s still in progress: %w",
				correlationID, err)
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// CancelReservation cancels a reserve (reason ClientRefused, or
// ClientNotAppeared when req.Reason says no-show). iiko cancels only
// reserves in status New: one whose guests are seated is refused with
// agent.ErrRefused. A reserve already cancelled, deleted, never created
// or unknown counts as cancelled.
func (c *Connector) CancelReservation(ctx context.Context, req wire.CancelRequest) error {
	v, err := c.resolve(ctx)
	if err != nil {
		return err
	}
	id := req.ReservationID
	if id == "" {
		id = ReserveID(req.BookingID)
	}
	log := c.log.With("reserve", id, "booking", req.BookingID)
	done, err := c.cancelDone(ctx, v, id)
	if done || err != nil {
		return err
	}

	reason := "ClientRefused"
	switch strings.ToLower(strings.ReplaceAll(req.Reason, "-", "_")) {
	case "no_show", "noshow", "clientnotappeared":
		reason = "ClientNotAppeared"
	}
	var ans struct {
		CorrelationID string `json:"correlationId"`
	}
	err = c.c.call(ctx, "reserve/cancel", map[string]any{
		"organizationId": v.org, "reserveId": id, "cancelReason": reason,
	}, &ans)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		// Perhaps it changed since we looked; say why from its status.
		if done, serr := c.cancelDone(ctx, v, id); done || serr != nil {
			return serr
		}
		return refusal("reserve/cancel", ae.Code, ae.Description)
	}
	if err != nil {
		return err
	}
	state, why, err := c.awaitCommand(ctx, v, ans.CorrelationID)
	if err != nil {
		return err
	}
	if state == commandSuccess {
		log.Info("reserve cancelled")
		return nil
	}
	// Error or gone: the reserve says what happened.
	if done, err := c.cancelDone(ctx, v, id); done || err != nil {
		return err
	}
	if why == "" {
		why = "iiko did not confirm the cancellation"
	}
	return fmt.Errorf("iiko reserve/cancel: %s: %w", why, agent.ErrRefused)
}

// cancelDone reads a reserve and says whether there is nothing to cancel
// (true), whether it cannot be cancelled (ErrRefused), or neither.
func (c *Connector) cancelDone(ctx context.Context, v venue, id string) (bool, error) {
	infos, err := c.statuses(ctx, v, []string{id})
	if err != nil {
		return false, err
	}
	ri, ok := infos[id]
	switch {
	case !ok:
		c.log.Info("reserve to cancel is not in iiko; nothing to do", "reserve", id)
		return true, nil
	case ri.cancelled() || ri.CreationStatus == creationError:
		return true, nil
	case ri.Reserve != nil && ri.Reserve.Status != "" && ri.Reserve.Status != "New":
		return false, fmt.Errorf("iiko reserve/cancel: guests are already seated "+
			"(iiko status %s): %w", ri.Reserve.Status, agent.ErrRefused)
	}
	return false, nil
}

// ChangeTables moves a reserve to other tables
// (/reserve/change_tables) and waits for iiko to do it. A refusal wraps
// agent.ErrRefused.
// UpdateReservation uses it for the hub's reservation.update.
func (c *Connector) ChangeTables(ctx context.Context, reserveID string, tableIDs []string) error {
	if len(tableIDs) == 0 {
		return errors.New("iiko reserve/change_tables: no tables given")
	}
	return c.change(ctx, "reserve/change_tables", func(v venue) map[string]any {
		return map[string]any{"organizationId": v.org, "reserveId": reserveID,
			"tableIds": tableIDs}
	})
}

// ChangeStart moves a reserve to another start time
// (/reserve/change_estimated_start_time) and waits for iiko to do it. A
// refusal wraps agent.ErrRefused.
// UpdateReservation uses it for the hub's reservation.update.
func (c *Connector) ChangeStart(ctx context.Context, reserveID string, start time.Time) error {
	return c.change(ctx, "reserve/change_estimated_start_time", func(v venue) map[string]any {
		return map[string]any{"organizationId": v.org, "reserveId": reserveID,
			"newEstimatedStartTime": FormatTime(start, v.loc)}
	})
}

func (c *Connector) change(ctx context.Context, call string, body func(venue) map[string]any) error {
	v, err := c.resolve(ctx)
	if err != nil {
		return err
	}
	var ans struct {
		CorrelationID string `json:"correlationId"`
	}
	err = c.c.call(ctx, call, body(v), &ans)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		return refusal(call, ae.Code, ae.Description)
	}
	if err != nil {
		return err
	}
	state, why, err := c.awaitCommand(ctx, v, ans.CorrelationID)
	switch {
	case err != nil:
		return err
	case state == commandError:
		return fmt.Errorf("iiko %s: %s: %w", call, why, agent.ErrRefused)
	case state == commandGone:
		return fmt.Errorf("iiko %s: iiko forgot the command before it ended; "+
			"check the reserve in iikoFront", call)
	}
	c.mu.Lock()
	c.details = map[string]detail{} // read the moved reserve again
	c.mu.Unlock()
	return nil
}
