package booking

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// Check validates one requested booking (its start, end, party and tables)
// against the venue's rules at now, as Availability applies them: opening
// hours, lead time, horizon, tables bookable online and taking the party,
// no overlap with a block on its tables (its own blocks, Ref b.ID, left
// out), and pacing. b.End is the end including the buffer, as in
// hub.Booking.
//
// Every rule broken is reported, joined: ErrParty, ErrLargeParty, ErrPast,
// ErrTooSoon, ErrTooFar, ErrClosed, ErrOutsideHours, ErrTable, ErrPacing,
// and a *hub.ConflictError (hub.ErrConflict) naming a block in the way. A
// staff booking may accept some of them (a short notice, a large party)
// by looking at each; an overlap is never acceptable. Per-guest limits are
// CheckGuest's.
func Check(v Venue, book Book, b hub.Booking, now time.Time) error {
	pl, err := newPlan(v, book, b.ID)
	if err != nil {
		return err
	}
	p := pl.p
	var errs []error
	if b.Party < 1 {
		errs = append(errs, fmt.Errorf("%w: a booking is for at least one guest", ErrParty))
	} else if p.MaxOnlineParty > 0 && b.Party > p.MaxOnlineParty {
		errs = append(errs, fmt.Errorf("%w: online bookings are for up to %d guests; for %d, "+
			"send the restaurant a request", ErrLargeParty, p.MaxOnlineParty, b.Party))
	}
	if !b.End.After(b.Start) {
		return errors.Join(append(errs, fmt.Errorf("%w: the booking ends before it starts",
			hub.ErrInvalid))...)
	}

	zone := v.Zone
	earliest := now.Add(time.Duration(p.MinLead))
	last := now.Add(time.Duration(p.Horizon))
	switch {
	case b.Start.Before(now):
		errs = append(errs, fmt.Errorf("%w: %s is over; choose a later time", ErrPast,
			b.Start.In(zone).Format("2006-01-02 15:04")))
	case b.Start.Before(earliest):
		errs = append(errs, fmt.Errorf("%w: book at least %s ahead; the earliest start now "+
			"is %s", ErrTooSoon, humanDuration(time.Duration(p.MinLead)),
			earliest.In(zone).Format("15:04")))
	case b.Start.After(last):
		errs = append(errs, fmt.Errorf("%w: bookings open %d days ahead; choose %s or earlier",
			ErrTooFar, int(time.Duration(p.Horizon).Hours()/24), DateOf(last, zone)))
	}

	seatEnd := b.End.Add(-time.Duration(p.Buffer))
	if seatEnd.Before(b.Start) {
		seatEnd = b.Start
	}
	period, hoursErr := pl.within(b.Start, seatEnd)
	if hoursErr != nil {
		errs = append(errs, hoursErr)
	}
	errs = append(errs, pl.checkTables(b)...)
	if err := conflict(pl, book.Blocks, b); err != nil {
		errs = append(errs, err)
	}
	if p.Pacing > 0 && hoursErr == nil && b.Party > 0 {
		step := time.Duration(p.SlotStep)
		from := period.open.Add(b.Start.Sub(period.open) / step * step)
		booked := pl.starting(from.UnixNano(), from.Add(step).UnixNano())
		if booked+b.Party > p.Pacing {
			errs = append(errs, fmt.Errorf("%w: the kitchen takes %d guests starting at %s and "+
				"%d are booked; choose another time", ErrPacing, p.Pacing,
				from.In(zone).Format("15:04"), booked))
		}
	}
	return errors.Join(errs...)
}

// CheckGuest applies the per-guest limits to booking b: the venue's most
// upcoming bookings per guest (ErrGuestLimit), and no two of the guest's
// active bookings overlapping, at any venue of the chain
// (ErrGuestOverlap). guest are the guest's bookings; b itself, if among
// them, is left out.
func CheckGuest(v Venue, b hub.Booking, guest []hub.Booking, now time.Time) error {
	p := Effective(v.Policy)
	if err := guestLimit(v, p, guest, b.ID, now); err != nil {
		return err
	}
	if o, busy := guestOverlaps(guest, b.ID, b.Start, b.End); busy {
		zone := v.Zone
		if zone == nil {
			zone = time.UTC
		}
		return fmt.Errorf("%w: you are booked from %s to %s that day; cancel that booking "+
			"or choose another time", ErrGuestOverlap, o.Start.In(zone).Format("15:04"),
			o.End.In(zone).Format("15:04"))
	}
	return nil
}

// within returns the service of the venue that holds a seating over
// [start, end): one of start's local date, or of the day before when it
// runs past midnight. Of several, it prefers one whose slots include
// start, so that pacing counts the same slot Availability offered. Else
// ErrClosed (start's date is closed) or ErrOutsideHours.
func (pl *plan) within(start, end time.Time) (period, error) {
	day := DateOf(start, pl.v.Zone)
	periods, closed := hours(pl.p, pl.v.Zone, day)
	before, _ := hours(pl.p, pl.v.Zone, day.AddDays(-1))
	step := time.Duration(pl.p.SlotStep)
	var found []period
	for _, p := range append(before, periods...) {
		if !start.Before(p.open) && !end.After(p.close) {
			if start.Sub(p.open)%step == 0 {
				return p, nil
			}
			found = append(found, p)
		}
	}
	if len(found) > 0 {
		return found[0], nil
	}
	if closed != nil {
		return period{}, closed
	}
	return period{}, fmt.Errorf("%w: on %s, %s the venue is open %s, and a seating must end "+
		"by the close", ErrOutsideHours, weekdayName(day), day, describe(periods, pl.v.Zone))
}

// checkTables checks that b's tables are known, bookable online, and take
// b's party alone or as a joinable group.
func (pl *plan) checkTables(b hub.Booking) []error {
	if len(b.TableIDs) == 0 {
		return []error{fmt.Errorf("%w: choose a table", ErrTable)}
	}
	var errs []error
	for _, id := range b.TableIDs {
		i, ok := pl.index[id]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%w: there is no table %q here", ErrTable, id))
		case !pl.v.Tables[i].Online:
			errs = append(errs, fmt.Errorf("%w: %s is not booked online; call the restaurant",
				ErrTable, tableName(pl.v.Tables[i])))
		}
	}
	if errs != nil || b.Party < 1 {
		return errs
	}

	if len(b.TableIDs) == 1 {
		t := pl.v.Tables[pl.index[b.TableIDs[0]]]
		if lo, hi := tableRange(t); b.Party < lo || b.Party > hi {
			return []error{fmt.Errorf("%w: %s takes parties of %d to %d", ErrParty,
				tableName(t), lo, hi)}
		}
		return nil
	}
	// Several groups may join the same tables: any that takes the party
	// will do.
	var refusal error
	for _, g := range pl.v.Groups {
		if !sameSet(g.TableIDs, b.TableIDs) {
			continue
		}
		tables, seats, ok := pl.group(g)
		if !ok {
			continue
		}
		lo, hi := max(g.MinParty, 1), g.MaxParty
		if hi <= 0 {
			hi = seats
		}
		if lo <= b.Party && b.Party <= hi {
			return nil
		}
		if refusal == nil {
			refusal = fmt.Errorf("%w: %s take parties of %d to %d together", ErrParty,
				pl.names(tables), lo, hi)
		}
	}
	if refusal != nil {
		return []error{refusal}
	}
	return []error{fmt.Errorf("%w: tables %s are not joined for one party",
		ErrTable, strings.Join(b.TableIDs, ", "))}
}

// conflict returns a *hub.ConflictError for the earliest block overlapping
// b on its tables, other than b's own, or nil.
func conflict(pl *plan, blocks []hub.Block, b hub.Booking) error {
	buffer := time.Duration(pl.p.Buffer)
	var first *hub.Block
	for k := range blocks {
		bl := &blocks[k]
		if bl.Kind == hub.BlockBooking && b.ID != "" && bl.Ref == b.ID ||
			!slices.Contains(b.TableIDs, bl.TableID) {
			continue
		}
		end := bl.End
		if bl.Kind != hub.BlockBooking {
			end = end.Add(buffer)
		}
		if bl.Start.Before(b.End) && end.After(b.Start) && end.After(bl.Start) &&
			(first == nil || bl.Start.Before(first.Start)) {
			first = bl
		}
	}
	if first == nil {
		return nil
	}
	return &hub.ConflictError{Block: *first}
}

// Seatings returns the seatings pacing counts: the active hub bookings,
// and the RMS reservations not cancelled, except those written for one of
// these bookings (counted once, as the booking).
func Seatings(bookings []hub.Booking, reservations []wire.Reservation) []Seating {
	out := make([]Seating, 0, len(bookings)+len(reservations))
	active := make(map[string]bool, len(bookings))
	for _, b := range bookings {
		if b.State.Active() {
			active[b.ID] = true
			out = append(out, Seating{Ref: b.ID, Start: b.Start, Party: b.Party})
		}
	}
	for _, r := range reservations {
		if r.Status != wire.ReservationCancelled && !active[r.BookingID] {
			out = append(out, Seating{Ref: wire.Key(wire.EntityReservation, r.ID),
				Start: r.Start, Party: r.Guests})
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// tableName names a table as staff know it: "table 12".
func tableName(t hub.Table) string {
	if t.Number != "" {
		return "table " + t.Number
	}
	return "table " + t.ID
}

func (pl *plan) names(tables []int) string {
	list := make([]string, len(tables))
	for k, i := range tables {
		t := pl.v.Tables[i]
		list[k] = cmp.Or(t.Number, t.ID)
	}
	return "tables " + strings.Join(list, ", ")
}

// humanDuration writes a duration for a person, to the minute: "30
// minutes", "2 hours", "1 hour 15 minutes", "3 days".
func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return d.String()
	}
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	days, hours, minutes := int64(d/(24*time.Hour)), int64(d/time.Hour%24), int64(d/time.Minute%60)
	var parts []string
	if days > 0 {
		parts = append(parts, unit(days, "day", "days"))
	}
	if hours > 0 {
		parts = append(parts, unit(hours, "hour", "hours"))
	}
	if minutes > 0 {
		parts = append(parts, unit(minutes, "minute", "minutes"))
	}
	return strings.Join(parts, " ")
}
