package rkeeper

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// markPrefix starts the persistent comment of every order we create,
// followed by our booking id: it lets a retry recognise an order whose
// second write step never happened, and staff see where it came from.
const markPrefix = "Stolik booking "

// reserve is a reserve order (or one of our orders between its two write
// steps), its table still as an ident.
type reserve struct {
	table string
	res   wire.Reservation // TableIDs unset
	// half marks our own order that is not a reserve yet: CreateOrder
	// worked, UpdateOrder did not (yet).
	half bool
	// mark is the booking id in our comment mark, if any.
	mark string
	// bad says why the order cannot be read as a reservation (an
	// unreadable openTime): it is left out of the venue, and kept only so
	// that a retry or a cancel of our own booking finds it.
	bad error
}

// readOpen reads the open orders with GetOrderList2, on one table when
// tableCode is set. It returns the reserve orders (and our half-made
// ones) and the ids of every open order.
func (c *Connector) readOpen(ctx context.Context, tableCode string) (
	[]reserve, map[string]bool, error) {
	cmd := command("GetOrderList2", "onlyOpened", "1")
	if tableCode != "" {
		cmd = cmd.with(el("Table", "code", tableCode))
	}
	var res orderList2Result
	if err := c.c.call(ctx, cmd, &res); err != nil {
		return nil, nil, err
	}
	out, open := c.decodeReserves(res)
	return out, open, nil
}

// readReserves is readOpen without the ids.
func (c *Connector) readReserves(ctx context.Context, tableCode string) ([]reserve, error) {
	r, _, err := c.readOpen(ctx, tableCode)
	return r, err
}

// decodeReserves turns a GetOrderList2 answer into reserves.
func (c *Connector) decodeReserves(res orderList2Result) ([]reserve, map[string]bool) {
	var out []reserve
	open := map[string]bool{}
	for _, v := range res.Visits {
		if isTrue(v.Finished) {
			continue
		}
		for _, o := range v.Orders {
			id := normGUID(o.GUID)
			if id == "" || isTrue(o.Finished) {
				continue
			}
			open[id] = true
			comment := o.PersistentComment
			if comment == "" {
				comment = v.PersistentComment
			}
			mark, ours := bookingMark(comment)
			if !isTrue(o.Reserve) && !ours {
				continue
			}
			r := reserve{table: o.Table.ID, half: !isTrue(o.Reserve), mark: mark}
			if r.table == "" {
				r.table = c.refs.identOfCode(o.Table.Code)
			}
			r.res, r.bad = c.decodeReservation(id, o, v, comment)
			if r.bad != nil {
				c.log.Warn("reserve order left out: R-Keeper gave no readable start",
					"err", r.bad)
			}
			out = append(out, r)
		}
	}
	return out, open
}

// decodeReservation reads a reserve order. An openTime that does not read
// is an error naming the order; the rest is filled in all the same.
func (c *Connector) decodeReservation(id string, o list2Order, v list2Visit,
	comment string) (wire.Reservation, error) {
	// TODO(#5): every open reserve order reads as confirmed; how the till
	// marks guests seated on a reserve (and whether reserve turns 0) is
	// not in the public material.
	r := wire.Reservation{ID: id, Status: wire.ReservationConfirmed,
		BookingID: o.prop(BookingProp)}
	if mark, ok := bookingMark(comment); ok {
		comment = markComment(comment)
		if r.BookingID == "" {
			r.BookingID = mark
		}
	}
	r.Comment = comment
	start, bad := parseLocal(o.OpenTime, c.cfg.Location)
	if bad != nil {
		bad = fmt.Errorf("rkeeper GetOrderList2: order %s has an openTime %q that does not "+
			"read as a local time: %w", id, o.OpenTime, bad)
	} else {
		r.Start = start.UTC()
	}
	d, err := parseDuration(o.Duration)
	if err != nil || d == 0 {
		c.log.Warn("reserve without a readable duration; assuming 2h",
			"reservation", id, "duration", o.Duration)
		d = fallbackDuration
	}
	r.Duration = wire.Duration(d)
	r.Guests = atoi(v.Guests.Count)
	r.Name, r.Phone = parseHolder(o.Holder)
	return r, bad
}

// identOfCode finds a table's ident by its code.
func (r *refCache) identOfCode(code string) string {
	for _, t := range r.byID {
		if code != "" && t.code == code {
			return t.ident
		}
	}
	return ""
}

// CreateReservation writes a reserve order: CreateOrder on the table, then
// UpdateOrder with the start, duration, holder, comment and booking id. It
// first looks for an open order already carrying the booking id:
// a finished one is returned as it is, and a half-made one (a lost answer
// between the steps) is finished. A refused second step voids the
// half-made order. A reservation overlapping another reserve on the table,
// an unknown table and every in-band refusal wrap agent.ErrRefused; a
// reservation on several tables wraps agent.ErrUnsupported.
func (c *Connector) CreateReservation(ctx context.Context, req wire.ReservationRequest) (
	wire.Reservation, error) {
	switch {
	case req.BookingID == "":
		return wire.Reservation{}, errors.New("rkeeper create reservation: no booking id")
	case len(req.TableIDs) != 1:
		return wire.Reservation{}, fmt.Errorf("rkeeper create reservation on %d tables: "+
			"an R-Keeper order has one table: %w", len(req.TableIDs), agent.ErrUnsupported)
	case req.Duration <= 0 || req.Start.IsZero():
		return wire.Reservation{}, errors.New("rkeeper create reservation: " +
			"start and a positive duration are required")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refreshRefs(ctx, false); err != nil {
		return wire.Reservation{}, err
	}
	t, ok := c.refs.byID[req.TableIDs[0]]
	if !ok {
		return wire.Reservation{}, fmt.Errorf("%w: rkeeper create reservation: table %s "+
			"is not in the TABLES reference", agent.ErrRefused, req.TableIDs[0])
	}

	// Two rounds: the second runs only when a write call's answer was
	// lost, and starts by looking for what the first one did.
	for round := 0; ; round++ {
		// All tables: a retry may name another table than the first try.
		found, err := c.readReserves(ctx, "")
		if err != nil {
			return wire.Reservation{}, err
		}
		guid := ""
		for _, r := range found {
			if r.res.BookingID != req.BookingID && r.mark != req.BookingID {
				continue
			}
			if r.bad != nil && !r.half {
				// Made already, but unreadable: another would book twice.
				return wire.Reservation{}, fmt.Errorf("rkeeper create reservation: "+
					"booking %s is already on the till, but: %w", req.BookingID, r.bad)
			}
			if !r.half {
				r.res.TableIDs = c.refs.tableIDs([]string{r.table})
				return r.res, nil
			}
			guid = r.res.ID
		}
		if guid == "" {
			if err := overlap(found, t.ident, req, c.cfg.Location); err != nil {
				return wire.Reservation{}, err
			}
			guid, err = c.createOrder(ctx, t, req)
			if err != nil {
				if lost(err) && round == 0 {
					continue
				}
				return wire.Reservation{}, refusal(err)
			}
		}
		err = c.updateOrder(ctx, guid, req)
		if err == nil {
			return c.created(ctx, t, guid, req), nil
		}
		if lost(err) && round == 0 {
			continue
		}
		if verr := c.void(ctx, guid); verr != nil {
			return wire.Reservation{}, fmt.Errorf("%w (and voiding the half-made order %s "+
				"failed: %v)", refusal(err), guid, verr)
		}
		return wire.Reservation{}, refusal(err)
	}
}

func (c *Connector) createOrder(ctx context.Context, t tableRef, req wire.ReservationRequest) (
	string, error) {
	var res createResult
	if err := c.c.call(ctx, c.createCmd(t, req), &res); err != nil {
		return "", err
	}
	guid := normGUID(res.GUID)
	if !validGUID(guid) {
		return "", fmt.Errorf("rkeeper CreateOrder: answer without a guid (got %q)", res.GUID)
	}
	return guid, nil
}

func (c *Connector) updateOrder(ctx context.Context, guid string,
	req wire.ReservationRequest) error {
	return c.c.call(ctx, c.updateCmd(guid, req), &plainResult{})
}

// createCmd is step one of a reservation: an order on the table, marked
// with the booking id.
func (c *Connector) createCmd(t tableRef, req wire.ReservationRequest) node {
	return command("CreateOrder").with(
		el("Order", "persistentComment", markPrefix+req.BookingID).with(
			el("Table", "code", t.code),
			optEl("Waiter", "code", c.cfg.Waiter),
			optEl("Station", "code", c.cfg.Station),
			optEl("GuestType", "id", c.cfg.GuestType),
			optEl("OrderType", "code", c.cfg.OrderType),
			optEl("Guests", "count", count(req.Guests)),
		))
}

// updateCmd is step two: it makes the order a reserve.
func (c *Connector) updateCmd(guid string, req wire.ReservationRequest) node {
	comment := markPrefix + req.BookingID
	if req.Comment != "" {
		comment += "; " + req.Comment
	}
	return command("UpdateOrder",
		"openTime", formatLocal(req.Start, c.cfg.Location),
		"duration", formatDuration(time.Duration(req.Duration), c.cfg.DurationFormat),
		"holder", formatHolder(req.Name, req.Phone),
		"persistentComment", comment,
	).with(
		el("Order", "guid", braceGUID(guid)),
		optEl("Guests", "count", count(req.Guests)),
		el("ExternalProps").with(el("Prop", "name", BookingProp, "value", req.BookingID)),
	)
}

// voidCmd deletes an order.
func (c *Connector) voidCmd(guid string) node {
	return command("VoidOrder").with(
		el("Order", "guid", braceGUID(guid)),
		optEl("Station", "code", c.cfg.Station),
		optEl("Manager", "code", c.cfg.Manager),
		optEl("DeleteReason", "code", c.cfg.DeleteReason),
	)
}

// created returns the new reservation as the till now holds it, or as it
// was written when reading it back fails.
func (c *Connector) created(ctx context.Context, t tableRef, guid string,
	req wire.ReservationRequest) wire.Reservation {
	if found, err := c.readReserves(ctx, t.code); err == nil {
		for _, r := range found {
			if r.res.ID == guid && !r.half && r.bad == nil {
				r.res.TableIDs = []string{t.id}
				return r.res
			}
		}
	}
	return wire.Reservation{ID: guid, TableIDs: []string{t.id},
		Start: req.Start.UTC().Truncate(time.Second), Duration: req.Duration,
		Guests: req.Guests, Name: req.Name, Phone: req.Phone, Comment: req.Comment,
		Status: wire.ReservationConfirmed, BookingID: req.BookingID}
}

// CancelReservation voids the reserve order with the configured manager
// and void reason. An order no longer open (voided before, or closed)
// counts as cancelled. An order the till refuses to void (it has items or
// is locked at a station) wraps agent.ErrRefused with the till's reason.
func (c *Connector) CancelReservation(ctx context.Context, req wire.CancelRequest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := req.ReservationID
	if id == "" && req.BookingID != "" {
		found, err := c.readReserves(ctx, "")
		if err != nil {
			return err
		}
		for _, r := range found {
			if r.res.BookingID == req.BookingID || r.mark == req.BookingID {
				id = r.res.ID
			}
		}
		if id == "" {
			return nil // nothing holds the booking: already gone
		}
	}
	if !validGUID(id) {
		return fmt.Errorf("rkeeper cancel reservation: id %q is not an R-Keeper guid", id)
	}
	err := c.void(ctx, id)
	if err == nil {
		return nil
	}
	// Whatever went wrong, an order that is no longer open is cancelled.
	_, open, rerr := c.readOpen(ctx, "")
	if rerr == nil && !open[id] {
		return nil
	}
	return refusal(err)
}

// void deletes an order with VoidOrder.
func (c *Connector) void(ctx context.Context, guid string) error {
	return c.c.call(ctx, c.voidCmd(guid), &plainResult{})
}

// overlap refuses a request that overlaps another reserve on the table
// with ident table; the refusal names the reserve's times in the venue's
// zone loc, as staff read them at the till.
func overlap(found []reserve, table string, req wire.ReservationRequest,
	loc *time.Location) error {
	end := req.Start.Add(time.Duration(req.Duration))
	for _, r := range found {
		if r.half || r.bad != nil || r.table != table {
			continue
		}
		rEnd := r.res.Start.Add(time.Duration(r.res.Duration))
		if req.Start.Before(rEnd) && r.res.Start.Before(end) {
			return fmt.Errorf("%w: the table is reserved %s–%s (order %s)",
				agent.ErrRefused, r.res.Start.In(loc).Format("02.01 15:04"),
				rEnd.In(loc).Format("15:04"), r.res.ID)
		}
	}
	return nil
}

// lost reports whether err leaves a write's outcome unknown: the request
// may have been carried out. In-band errors and HTTP answers are known
// outcomes.
func lost(err error) bool {
	var se *StatusError
	var he *httpError
	return !errors.As(err, &se) && !errors.As(err, &he) && !errors.Is(err, context.Canceled)
}

// refusal wraps an in-band error in agent.ErrRefused; other errors stay
// as they are.
func refusal(err error) error {
	var se *StatusError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %w", agent.ErrRefused, err)
	}
	return err
}

// bookingMark returns the booking id of our comment mark.
func bookingMark(comment string) (string, bool) {
	rest, ok := strings.CutPrefix(comment, markPrefix)
	if !ok {
		return "", false
	}
	id, _, _ := strings.Cut(rest, ";")
	id = strings.TrimSpace(id)
	return id, id != ""
}

// markComment returns what follows our mark in a comment.
func markComment(comment string) string {
	_, rest, _ := strings.Cut(comment, ";")
	return strings.TrimSpace(rest)
}

// formatHolder writes a reserve's holder: the name, then the phone.
func formatHolder(name, phone string) string {
	return strings.TrimSpace(strings.TrimSpace(name) + " " + strings.TrimSpace(phone))
}

// parseHolder splits a holder into name and phone: the phone is the tail
// from the last "+", or the longest tail of digits, spaces, dashes and
// brackets, when it has at least seven digits.
func parseHolder(s string) (name, phone string) {
	s = strings.TrimSpace(s)
	isPhone := func(t string) bool {
		digits := 0
		for _, r := range t {
			switch {
			case unicode.IsDigit(r):
				digits++
			case strings.ContainsRune("+ -()", r):
			default:
				return false
			}
		}
		return digits >= 7
	}
	if i := strings.LastIndex(s, "+"); i >= 0 && isPhone(s[i:]) {
		return strings.TrimSpace(s[:i]), s[i:]
	}
	i := len(s)
	for i > 0 && strings.ContainsRune("0123456789 -()", rune(s[i-1])) {
		i--
	}
	tail := strings.TrimSpace(s[i:])
	if isPhone(tail) {
		return strings.TrimSpace(s[:len(s)-len(tail)]), tail
	}
	return s, ""
}

// optEl is el for an element with one attribute, left out (an empty node)
// when the value is empty.
func optEl(name, attr, value string) node {
	if value == "" {
		return node{}
	}
	return el(name, attr, value)
}

// count writes a guest count, empty for zero.
func count(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprint(n)
}
