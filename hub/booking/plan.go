package booking

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
)

// plan is a venue and its book prepared for answering questions about one
// period: the busy time of each table merged and sorted, the seatings
// sorted with running totals. Building it costs a pass over the blocks
// and a sort of the seatings; every question after that is a binary
// search.
type plan struct {
	v      Venue
	p      hub.Policy // Effective(v.Policy)
	index  map[string]int
	busy   []span // merged busy spans, by table index, then start
	offset []int  // table i's spans are busy[offset[i]:offset[i+1]]

	starts []int64 // seatings' starts, sorted
	guests []int   // guests[i]: the parties of the first i seatings
}

// span is a busy range [start, end) in Unix nanoseconds.
type span struct{ start, end int64 }

// newPlan prepares v and book, leaving out the seatings of booking self
// (when set), which pacing must not count twice.
func newPlan(v Venue, book Book, self string) (*plan, error) {
	if v.Zone == nil {
		return nil, errNoZone
	}
	pl := &plan{v: v, p: Effective(v.Policy), index: make(map[string]int, len(v.Tables))}
	for i, t := range v.Tables {
		if _, dup := pl.index[t.ID]; !dup {
			pl.index[t.ID] = i
		}
	}

	// Group the blocks' spans by table with a counting sort, then sort
	// each table's few spans by start and merge those that overlap, so
	// that ends grow with starts and one binary search answers whether a
	// range is free.
	type tableSpan struct {
		table int
		span
	}
	buffer := int64(pl.p.Buffer)
	list := make([]tableSpan, 0, len(book.Blocks))
	offset := make([]int, len(v.Tables)+1)
	for _, b := range book.Blocks {
		i, ok := pl.index[b.TableID]
		if !ok {
			continue
		}
		s := span{b.Start.UnixNano(), b.End.UnixNano()}
		if b.Kind != hub.BlockBooking {
			s.end += buffer // a hub booking's End already includes it
		}
		if s.end > s.start {
			list = append(list, tableSpan{i, s})
			offset[i+1]++
		}
	}
	for i := 1; i < len(offset); i++ {
		offset[i] += offset[i-1]
	}
	busy := make([]span, len(list))
	for _, ts := range list {
		busy[offset[ts.table]] = ts.span
		offset[ts.table]++
	}
	copy(offset[1:], offset[:len(offset)-1]) // placing moved each start to the next
	offset[0] = 0

	w, lo := 0, 0
	for i := range v.Tables {
		hi := offset[i+1]
		seg := busy[lo:hi]
		slices.SortFunc(seg, func(a, b span) int { return cmp.Compare(a.start, b.start) })
		first := w
		for _, s := range seg {
			if w > first && s.start <= busy[w-1].end {
				busy[w-1].end = max(busy[w-1].end, s.end)
				continue
			}
			busy[w] = s // w never passes the span being read
			w++
		}
		offset[i+1], lo = w, hi
	}
	pl.busy, pl.offset = busy[:w], offset

	if pl.p.Pacing > 0 {
		pl.seatings(book.Seatings, self)
	}
	return pl, nil
}

// seatings sorts the seatings by start, each Ref at a start once, and
// keeps running totals. It sorts small keys rather than the seatings
// themselves: keys hold no pointers, so moving them is cheap.
func (pl *plan) seatings(list []Seating, self string) {
	type key struct {
		start int64
		party int
		at    int // index in list
	}
	keys := make([]key, 0, len(list))
	for i, s := range list {
		if s.Party > 0 && (self == "" || s.Ref != self) {
			keys = append(keys, key{s.Start.UnixNano(), s.Party, i})
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return strings.Compare(list[a.at].Ref, list[b.at].Ref)
	})
	keys = slices.CompactFunc(keys, func(a, b key) bool {
		return a.start == b.start && list[a.at].Ref == list[b.at].Ref
	})

	pl.starts = make([]int64, len(keys))
	pl.guests = make([]int, len(keys)+1)
	for i, k := range keys {
		pl.starts[i] = k.start
		pl.guests[i+1] = pl.guests[i] + k.party
	}
}

// starting returns the guests of the seatings that start in [from, to).
func (pl *plan) starting(from, to int64) int {
	i, _ := slices.BinarySearch(pl.starts, from)
	j, _ := slices.BinarySearch(pl.starts, to)
	return pl.guests[j] - pl.guests[i]
}

// free reports whether table i is free over [start, end).
func (pl *plan) free(i int, start, end int64) bool {
	list := pl.busy[pl.offset[i]:pl.offset[i+1]]
	k, _ := slices.BinarySearchFunc(list, start, func(s span, t int64) int {
		if s.end <= t {
			return -1
		}
		return 1
	})
	return k == len(list) || list[k].start >= end
}

// choice is a way to seat a party: one table, or a joinable group.
type choice struct {
	tables []int // table indexes
	group  string
	ids    []string // the group's table ids; nil for a single table
}

// choices returns, for a party, the single tables then the groups that take
// it, in the order Assign prefers them. Errors: ErrParty, ErrLargeParty,
// ErrTable (no table bookable online at all).
func (pl *plan) choices(party int) ([]choice, error) {
	if party < 1 {
		return nil, fmt.Errorf("%w: a booking is for at least one guest", ErrParty)
	}
	if m := pl.p.MaxOnlineParty; m > 0 && party > m {
		return nil, fmt.Errorf("%w: online bookings are for up to %d guests; for %d, "+
			"send the restaurant a request", ErrLargeParty, m, party)
	}

	// The order of single tables (fewest seats, then the largest party,
	// then the number as people read it, then the id) is packed in one
	// key per table, computed once rather than at each comparison.
	type single struct {
		key uint64
		at  int
	}
	singles := make([]single, 0, len(pl.v.Tables))
	largest, smallest := 0, 0
	for i, t := range pl.v.Tables {
		if pl.index[t.ID] != i || !t.Online {
			continue
		}
		lo, hi := tableRange(t)
		if hi >= lo {
			largest = max(largest, hi)
			smallest = minPositive(smallest, lo)
		}
		if lo <= party && party <= hi {
			singles = append(singles, single{tableKey(t.Seats, hi, t.Number), i})
		}
	}
	slices.SortFunc(singles, func(a, b single) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		ta, tb := &pl.v.Tables[a.at], &pl.v.Tables[b.at]
		return cmp.Or(strings.Compare(ta.Number, tb.Number), strings.Compare(ta.ID, tb.ID))
	})

	type ranked struct {
		choice
		left int
	}
	var groups []ranked
	for _, g := range pl.v.Groups {
		tables, seats, ok := pl.group(g)
		if !ok {
			continue
		}
		lo, hi := max(g.MinParty, 1), g.MaxParty
		if hi <= 0 {
			hi = seats
		}
		if hi >= lo {
			largest = max(largest, hi)
			smallest = minPositive(smallest, lo)
		}
		if lo <= party && party <= hi {
			groups = append(groups, ranked{choice{tables, g.ID, g.TableIDs}, seats - party})
		}
	}
	slices.SortFunc(groups, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.left, b.left), cmp.Compare(len(a.tables), len(b.tables)),
			strings.Compare(a.group, b.group))
	})

	if len(singles)+len(groups) == 0 {
		switch {
		case largest == 0:
			return nil, fmt.Errorf("%w: no table here is bookable online; call the restaurant",
				ErrTable)
		case party > largest:
			return nil, fmt.Errorf("%w: the largest party booked online here is %d; for %d, "+
				"send the restaurant a request", ErrLargeParty, largest, party)
		case party < smallest:
			return nil, fmt.Errorf("%w: tables here are booked online for parties of %d "+
				"or more", ErrParty, smallest)
		default:
			return nil, fmt.Errorf("%w: no table here is booked online for a party of %d; "+
				"send the restaurant a request", ErrParty, party)
		}
	}
	out := make([]choice, 0, len(singles)+len(groups))
	at := make([]int, len(singles))
	for k, s := range singles {
		at[k] = s.at
		out = append(out, choice{tables: at[k : k+1 : k+1]})
	}
	for _, g := range groups {
		out = append(out, g.choice)
	}
	return out, nil
}

// group returns the indexes of a group's tables and their seats; ok is
// false when a table is unknown, listed twice or not bookable online, or
// the group has fewer than two tables (nothing to join).
func (pl *plan) group(g hub.TableGroup) (tables []int, seats int, ok bool) {
	if len(g.TableIDs) < 2 {
		return nil, 0, false
	}
	tables = make([]int, 0, len(g.TableIDs))
	for _, id := range g.TableIDs {
		i, known := pl.index[id]
		if !known || !pl.v.Tables[i].Online || slices.Contains(tables, i) {
			return nil, 0, false
		}
		tables = append(tables, i)
		seats += pl.v.Tables[i].Seats
	}
	return tables, seats, true
}

// tableRange returns the smallest and largest party a table seats alone.
func tableRange(t hub.Table) (lo, hi int) {
	lo, hi = max(t.MinParty, 1), t.MaxParty
	if hi <= 0 {
		hi = t.Seats
	}
	return lo, hi
}

func minPositive(a, b int) int {
	if a <= 0 || b < a {
		return b
	}
	return a
}

// tableKey packs the order of single tables into one number: seats and
// the largest party (16 bits each, capped), then numbered tables before
// the others, by number (31 bits).
func tableKey(seats, hi int, number string) uint64 {
	clamp := func(n, bits int) uint64 { return uint64(min(max(n, 0), 1<<bits-1)) }
	key := clamp(seats, 16)<<48 | clamp(hi, 16)<<32
	if n, err := strconv.Atoi(number); err == nil && n >= 0 && n < 1<<31 {
		return key | uint64(n)
	}
	return key | 1<<31
}

// assign returns the first choice whose tables are all free over
// [start, end), or -1.
func (pl *plan) assign(choices []choice, start, end int64) int {
next:
	for k, c := range choices {
		for _, i := range c.tables {
			if !pl.free(i, start, end) {
				continue next
			}
		}
		return k
	}
	return -1
}

// day returns the services of date d, or why it cannot be booked: ErrPast,
// ErrTooFar, ErrClosed.
func (pl *plan) day(d Date, now time.Time) ([]period, error) {
	zone := pl.v.Zone
	periods, err := hours(pl.p, zone, d)
	if today := DateOf(now, zone); d.Compare(today) < 0 {
		// A service that opened yesterday may still be running after
		// midnight; any other past date is over.
		open := slices.ContainsFunc(periods, func(p period) bool { return p.close.After(now) })
		if err != nil || !open {
			return nil, fmt.Errorf("%w: %s is over; choose %s or later", ErrPast, d, today)
		}
	}
	last := now.Add(time.Duration(pl.p.Horizon))
	if d.Start(zone).After(last) {
		return nil, fmt.Errorf("%w: bookings open %d days ahead; choose %s or earlier",
			ErrTooFar, int(time.Duration(pl.p.Horizon).Hours()/24), DateOf(last, zone))
	}
	return periods, err
}

// slots lists the bookable starts of a day's services for q.
func (pl *plan) slots(choices []choice, periods []period, q Query) []Slot {
	turn := pl.p.TurnTime(q.Party)
	step := time.Duration(pl.p.SlotStep)
	hold := turn + time.Duration(pl.p.Buffer)
	earliest := q.Now.Add(time.Duration(pl.p.MinLead))
	latest := q.Now.Add(time.Duration(pl.p.Horizon))

	type start struct {
		at      time.Time
		service string
	}
	n := 0
	for _, p := range periods {
		n += int(p.close.Sub(p.open)/step) + 1
	}
	starts := make([]start, 0, n)
	for _, p := range periods {
		for t := p.open; !t.Add(turn).After(p.close); t = t.Add(step) {
			if !t.Before(earliest) && !t.After(latest) {
				starts = append(starts, start{t, p.name})
			}
		}
	}
	if len(periods) > 1 {
		// Services may overlap: keep each instant once, in order.
		slices.SortStableFunc(starts, func(a, b start) int { return a.at.Compare(b.at) })
		starts = slices.CompactFunc(starts, func(a, b start) bool { return a.at.Equal(b.at) })
	}

	out := make([]Slot, 0, len(starts))
	ids := make([]string, 0, len(starts))
	for _, s := range starts {
		from := s.at.UnixNano()
		if pl.p.Pacing > 0 && pl.starting(from, from+int64(step))+q.Party > pl.p.Pacing {
			continue
		}
		if _, busy := guestOverlaps(q.Guest, "", s.at, s.at.Add(turn)); busy {
			continue
		}
		k := pl.assign(choices, from, from+int64(hold))
		if k < 0 {
			continue
		}
		c := choices[k]
		first := len(ids)
		if c.ids != nil {
			ids = append(ids, c.ids...)
		} else {
			ids = append(ids, pl.v.Tables[c.tables[0]].ID)
		}
		at := s.at.UTC()
		out = append(out, Slot{Start: at, End: at.Add(turn), Until: at.Add(hold),
			TableIDs: ids[first:len(ids):len(ids)], GroupID: c.group, Service: s.service})
	}
	return out
}
