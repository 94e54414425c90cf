package poster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// ErrNoCancel is why CancelReservation fails: Poster's API cannot cancel a
// reservation. It wraps agent.ErrUnsupported.
var ErrNoCancel = fmt.Errorf("%w: Poster's API cannot cancel a reservation; "+
	"cancel it on the Poster terminal", agent.ErrUnsupported)

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: %s", agent.ErrRefused, fmt.Sprintf(format, args...))
}

// CreateReservation writes a reservation on one table. Poster takes no
// idempotency key, so it first looks among the reservations at the same
// start for one carrying req.BookingID in its comment (or, without a mark,
// the same phone), and returns that one if found: a retry after a lost
// answer does not write a second reservation. A duration under Poster's
// minimum of 30 minutes is raised to it (and logged). An incomplete request,
// several tables, an unknown table and Poster's refusals wrap
// agent.ErrRefused; a lost answer is an error to retry.
func (c *Connector) CreateReservation(ctx context.Context, req wire.ReservationRequest) (
	wire.Reservation, error) {
	if err := c.checkRequest(req); err != nil {
		return wire.Reservation{}, err
	}
	c.createMu.Lock()
	defer c.createMu.Unlock()

	spot, err := c.spot(ctx)
	if err != nil {
		return wire.Reservation{}, err
	}
	table := req.TableIDs[0]
	lay, err := c.readLayout(ctx, spot, false)
	if err != nil {
		return wire.Reservation{}, err
	}
	if !lay.ids[table] {
		if lay, err = c.readLayout(ctx, spot, true); err != nil {
			return wire.Reservation{}, err
		}
		if !lay.ids[table] {
			return wire.Reservation{}, refused("poster has no table %s at spot %s", table, spot)
		}
	}

	start := req.Start.Truncate(time.Second)
	if found, ok, err := c.findCreated(ctx, req, start); err != nil || ok {
		return found, err
	}

	dur := time.Duration(req.Duration).Truncate(time.Second)
	if dur < MinDuration {
		c.log.Info("reservation shorter than Poster's minimum; written as 30 minutes",
			"booking", req.BookingID, "duration", dur)
		dur = MinDuration
	}
	form := url.Values{
		"spot_id":          {spot},
		"table_id":         {table},
		"date_reservation": {formatLocal(start, c.loc)},
		"duration":         {strconv.Itoa(int(dur / time.Second))},
		"guests_count":     {strconv.Itoa(req.Guests)},
		"first_name":       {req.Name},
		"comment":          {withMark(req.Comment, req.BookingID)},
	}
	if req.Phone != "" {
		form.Set("phone", req.Phone)
	}
	raw, err := c.api.post(ctx, callCreate, form)
	if err != nil {
		return wire.Reservation{}, c.explain(err, true)
	}
	r, err := decodeReservation(callCreate, raw)
	if err != nil {
		return wire.Reservation{}, err
	}
	return c.remember(r, table, req.BookingID)
}

// checkRequest refuses what Poster cannot take.
func (c *Connector) checkRequest(req wire.ReservationRequest) error {
	switch {
	case req.BookingID == "":
		return refused("poster reservation without a booking id")
	case strings.ContainsAny(req.BookingID, "[]"):
		return refused("poster booking id %q has brackets", req.BookingID)
	case len(req.TableIDs) == 0:
		return refused("poster reservation without a table")
	case len(req.TableIDs) > 1:
		return refused("poster takes one table per reservation, asked for %d",
			len(req.TableIDs))
	case req.Start.IsZero() || req.Duration <= 0:
		return refused("poster reservation without a start or a duration")
	case req.Guests < 1:
		return refused("poster reservation for %d guests", req.Guests)
	case strings.TrimSpace(req.Name) == "":
		return refused("poster reservation without a guest name")
	}
	return nil
}

// findCreated looks for a reservation already written for req: one
// starting at start with req's booking mark, or with no mark and the same
// phone. One that staff cancelled is refused rather than written again.
func (c *Connector) findCreated(ctx context.Context, req wire.ReservationRequest,
	start time.Time) (wire.Reservation, bool, error) {
	if p, ok := c.tmap.byBooking(req.BookingID); ok {
		r, err := c.getReservation(ctx, p.ReservationID)
		if err != nil && !isNotFound(err) {
			return wire.Reservation{}, false, err
		}
		if err == nil {
			return c.found(r, req)
		}
	}
	rs, err := c.listReservations(ctx, start.Add(-time.Minute), start.Add(time.Minute))
	if err != nil {
		return wire.Reservation{}, false, err
	}
	for _, r := range rs {
		at, err := parseLocal(r.DateReservation, c.loc)
		if err != nil || !at.Equal(start) {
			continue
		}
		_, mark := splitMark(r.Comment)
		samePhone := req.Phone != "" && phoneKey(r.Phone) == phoneKey(req.Phone)
		if mark == req.BookingID || (mark == "" && samePhone) {
			return c.found(r, req)
		}
	}
	return wire.Reservation{}, false, nil
}

func (c *Connector) found(r Reservation, req wire.ReservationRequest) (
	wire.Reservation, bool, error) {
	if r.Status == StatusCancelled {
		return wire.Reservation{}, false, refused("poster reservation %s for booking %s "+
			"was cancelled on the terminal", r.ID, req.BookingID)
	}
	c.log.Info("reservation found already written; not writing it again",
		"booking", req.BookingID, "reservation", string(r.ID))
	w, err := c.remember(r, req.TableIDs[0], req.BookingID)
	return w, err == nil, err
}

// remember maps r to its table before returning it, so the next Snapshot
// shows the table.
func (c *Connector) remember(r Reservation, table, bookingID string) (wire.Reservation, error) {
	w, err := r.toWire(c.loc, table, bookingID)
	if err != nil {
		return wire.Reservation{}, fmt.Errorf("poster %s: %w", callCreate, err)
	}
	p := placed{
		ReservationID: w.ID, TableID: table, BookingID: bookingID,
		End: w.Start.Add(time.Duration(w.Duration)),
	}
	if err := c.tmap.put(p, c.now()); err != nil {
		// The reservation is in Poster; a retry finds it by its mark.
		return wire.Reservation{}, fmt.Errorf("poster reservation %s written, but: %w",
			w.ID, err)
	}
	return w, nil
}

func (c *Connector) getReservation(ctx context.Context, id string) (Reservation, error) {
	raw, err := c.api.get(ctx, callReservation, url.Values{"incoming_order_id": {id}})
	if err != nil {
		return Reservation{}, c.explain(err, false)
	}
	return decodeReservation(callReservation, raw)
}

func isNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == CodeNotFound
}

// CancelReservation cannot cancel through Poster's API. A reservation that
// is already cancelled (status 7) or that Poster does not know succeeds;
// any other returns ErrNoCancel (wrapping agent.ErrUnsupported), so the hub
// asks staff to cancel it on the Poster terminal.
func (c *Connector) CancelReservation(ctx context.Context, req wire.CancelRequest) error {
	id := req.ReservationID
	if id == "" {
		p, ok := c.tmap.byBooking(req.BookingID)
		if !ok {
			return fmt.Errorf("poster cancel booking %s: no reservation known for it: %w",
				req.BookingID, ErrNoCancel)
		}
		id = p.ReservationID
	}
	r, err := c.getReservation(ctx, id)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.Status == StatusCancelled {
		return nil
	}
	return fmt.Errorf("poster cancel booking %s: %w: find Poster reservation №%s, %s",
		req.BookingID, ErrNoCancel, id, c.describe(r))
}

// describe names a reservation the way staff find it at the terminal: the
// guest, the local date and time, the table (when known) and the guests.
func (c *Connector) describe(r Reservation) string {
	var parts []string
	if name := strings.TrimSpace(r.FirstName + " " + r.LastName); name != "" {
		parts = append(parts, name)
	}
	if at, err := parseLocal(r.DateReservation, c.loc); err == nil {
		parts = append(parts, at.In(c.loc).Format("02.01.2006 15:04"))
	}
	if p, ok := c.tmap.get(string(r.ID)); ok {
		parts = append(parts, "table "+c.tableName(p.TableID))
	}
	if r.GuestsCount > 0 {
		parts = append(parts, fmt.Sprintf("%d guests", r.GuestsCount))
	}
	return strings.Join(parts, ", ")
}

// tableName is a table's number as staff read it, with its name when that
// says more, from the last layout read; the id when it is not there.
func (c *Connector) tableName(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.layout != nil {
		for _, t := range c.layout.tables {
			if t.ID != id {
				continue
			}
			n := cmp.Or(t.Number, t.ID)
			if t.Name != "" && t.Name != n {
				n += " (" + t.Name + ")"
			}
			return n
		}
	}
	return id
}

// phoneKey keeps the digits of a phone number, with a Russian number's
// trunk prefix 8 (or none) written as the country code 7.
func phoneKey(s string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	switch {
	case len(d) == 11 && d[0] == '8':
		return "7" + d[1:]
	case len(d) == 10 && d[0] == '9':
		return "7" + d
	}
	return d
}
