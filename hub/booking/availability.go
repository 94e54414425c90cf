package booking

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
)

// Venue is what the engine needs to know about a venue.
type Venue struct {
	// ID is the venue's id; per-guest limits count the guest's bookings
	// with this VenueID (every booking given when ID is empty).
	ID string
	// Zone is the venue's time zone; opening hours are wall-clock times
	// in it.
	Zone   *time.Location
	Policy hub.Policy
	// Tables are the venue's tables with their settings.
	Tables []hub.Table
	// Groups are the venue's joinable table groups.
	Groups []hub.TableGroup
}

// Book is what is already in a venue's book over the time asked about.
type Book struct {
	// Blocks keep tables busy: hub bookings, RMS reservations, open
	// orders (the store's Blocks; see also Occupancy).
	Blocks []hub.Block
	// Seatings are the parties starting, which pacing counts; they may be
	// left nil when the venue's policy sets no pacing. See Seatings.
	Seatings []Seating
}

// Seating is a party due to start at a venue, as pacing counts it.
type Seating struct {
	// Ref is the booking or reservation id; the same Ref at the same Start
	// is counted once (as when seatings are made from a booking's blocks,
	// one per table).
	Ref   string
	Start time.Time
	Party int
}

// Query asks which start times a party can book on a date.
type Query struct {
	// Date is the local date in the venue's zone.
	Date  Date
	Party int
	// Now is the current time (required); lead time and horizon count
	// from it.
	Now time.Time
	// Guest, if set, are the bookings of the guest asking, at every venue
	// of the chain, in any state: per-guest limits apply to the active
	// ones. Leave it nil for staff.
	Guest []hub.Booking
}

// Slot is a start time that can be booked, with the tables it would get.
type Slot struct {
	// Start and End bound the seating, in UTC: End is Start plus the turn
	// time for the party.
	Start, End time.Time
	// Until is End plus the venue's buffer: the End of the hub.Booking
	// made for this slot, up to which it holds its tables.
	Until time.Time
	// TableIDs are the tables Assign chose; GroupID names the joinable
	// group when there are several.
	TableIDs []string
	GroupID  string
	// Service is the name of the service (lunch, dinner), if it has one.
	Service string
}

// Availability returns every start time on q.Date that a party of q.Party
// can book, in order, each with the tables Assign would give it.
//
// Errors, each wrapping a sentinel with a message a guest can act on:
// ErrParty (below one, or no table takes that size), ErrLargeParty (a
// request to staff), ErrPast, ErrTooFar (beyond the horizon), ErrClosed
// (with the exception's note), ErrGuestLimit. A day with no free start
// returns an empty list and no error.
func Availability(v Venue, book Book, q Query) ([]Slot, error) {
	pl, err := newPlan(v, book, "")
	if err != nil {
		return nil, err
	}
	c, err := pl.choices(q.Party)
	if err != nil {
		return nil, err
	}
	periods, err := pl.day(q.Date, q.Now)
	if err != nil {
		return nil, err
	}
	if err := guestLimit(v, pl.p, q.Guest, "", q.Now); err != nil {
		return nil, err
	}
	return pl.slots(c, periods, q), nil
}

// Alternatives returns up to n start times to offer instead of wanted, say
// after the RMS refused a booking: the free ones on wanted's local date
// (the date its service opened, for a time after midnight), nearest first
// (the earlier of two equally near), then those of the following days in
// order, as far as the horizon. q.Date is ignored. A start at wanted
// itself is offered if its tables (or others) are free in book: to keep
// the refused tables out, add blocks for them.
func Alternatives(v Venue, book Book, q Query, wanted time.Time, n int) []Slot {
	if v.Zone == nil || n <= 0 {
		return nil
	}
	pl, err := newPlan(v, book, "")
	if err != nil {
		return nil
	}
	c, err := pl.choices(q.Party)
	if err != nil || guestLimit(v, pl.p, q.Guest, "", q.Now) != nil {
		return nil
	}

	var out []Slot
	day := DateOf(wanted, v.Zone)
	if periods, err := hours(pl.p, v.Zone, day.AddDays(-1)); err == nil &&
		slices.ContainsFunc(periods, func(p period) bool { return p.close.After(wanted) }) {
		day = day.AddDays(-1) // wanted is after midnight in the day before's service
	}
	last := q.Now.Add(time.Duration(pl.p.Horizon))
	for d := day; d.Start(v.Zone).Before(last) && len(out) < n; d = d.AddDays(1) {
		periods, err := pl.day(d, q.Now)
		if err != nil {
			continue
		}
		q.Date = d
		slots := pl.slots(c, periods, q)
		if d == day {
			slices.SortStableFunc(slots, func(a, b Slot) int {
				return cmp.Compare(a.Start.Sub(wanted).Abs(), b.Start.Sub(wanted).Abs())
			})
		}
		out = append(out, slots[:min(len(slots), n-len(out))]...)
	}
	return out
}

// Assign chooses the tables for a party over [start, end), where end is
// the booking's end including the buffer (as in hub.Booking): the smallest
// single online table that takes the party and is free (fewest seats, then
// table number, then id); else the joinable group that leaves the fewest
// seats empty (then fewest tables, then id). The choice depends only on its
// arguments. ok is false when nothing fits.
func Assign(v Venue, blocks []hub.Block, party int, start, end time.Time) (
	tables []string, group string, ok bool) {
	pl, err := newPlan(v, Book{Blocks: blocks}, "")
	if err != nil {
		return nil, "", false
	}
	c, err := pl.choices(party)
	if err != nil {
		return nil, "", false
	}
	i := pl.assign(c, start.UnixNano(), end.UnixNano())
	if i < 0 {
		return nil, "", false
	}
	if c[i].ids == nil {
		return []string{v.Tables[c[i].tables[0]].ID}, "", true
	}
	return slices.Clone(c[i].ids), c[i].group, true
}

// guestLimit applies the per-guest limit on upcoming bookings at the venue,
// leaving out booking self.
func guestLimit(v Venue, p hub.Policy, guest []hub.Booking, self string, now time.Time) error {
	if p.MaxActivePerGuest <= 0 {
		return nil
	}
	n := 0
	for _, b := range guest {
		if b.ID != self && b.State.Active() && b.End.After(now) &&
			(v.ID == "" || b.VenueID == v.ID) {
			n++
		}
	}
	if n >= p.MaxActivePerGuest {
		return fmt.Errorf("%w: you already have %d upcoming bookings here, the most this "+
			"venue takes; cancel one to make another", ErrGuestLimit, n)
	}
	return nil
}

// guestOverlaps reports whether one of the guest's active bookings, other
// than self, overlaps [start, end).
func guestOverlaps(guest []hub.Booking, self string, start, end time.Time) (hub.Booking, bool) {
	for _, b := range guest {
		if b.ID != self && b.State.Active() && b.Start.Before(end) && b.End.After(start) {
			return b, true
		}
	}
	return hub.Booking{}, false
}

// errNoZone is returned for a Venue without a zone: a bug of the caller.
var errNoZone = errors.New("venue has no time zone")
