package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// testBookingRace has 64 goroutines book overlapping times on one table:
// exactly one wins and every other is told which booking beat it. Then 64
// goroutines race over two tables: one wins on each.
func testBookingRace(t *testing.T, s hub.Store) {
	for _, tables := range [][]string{{"t01"}, {"t01", "t02"}} {
		t.Run(fmt.Sprintf("%d tables", len(tables)), func(t *testing.T) {
			raceTables(t, s, tables)
		})
	}
}

func raceTables(t *testing.T, s hub.Store, tables []string) {
	const n = 64
	ctx := context.Background()
	v := createPolicyVenue(t, s, fmt.Sprintf("ven_%d", len(tables)))

	// Starts a minute apart, each two hours long: all of them overlap.
	bookings := make([]hub.Booking, n)
	errs := make([]error, n)
	together(n, func(i int) {
		bookings[i] = booking(fmt.Sprintf("bkg_%d_%02d", len(tables), i), v.ID,
			2*time.Hour+time.Duration(i)*time.Minute, 2*time.Hour, tables[i%len(tables)])
		_, errs[i] = s.CreateBooking(ctx, bookings[i], "guest:1")
	})

	winners := make(map[string]hub.Booking) // by table
	for i, err := range errs {
		if err == nil {
			table := bookings[i].TableIDs[0]
			if w, ok := winners[table]; ok {
				t.Errorf("%s and %s both booked %s", w.ID, bookings[i].ID, table)
			}
			winners[table] = bookings[i]
		}
	}
	if len(winners) != len(tables) {
		t.Fatalf("%d tables booked, want %d", len(winners), len(tables))
	}
	for i, err := range errs {
		w := winners[bookings[i].TableIDs[0]]
		if err != nil {
			wantConflict(t, bookings[i].ID, err, hub.Block{TableID: w.TableIDs[0],
				Start: w.Start, End: w.End, Kind: hub.BlockBooking, Ref: w.ID})
		}
	}

	list, err := s.Bookings(ctx, hub.BookingQuery{VenueID: v.ID})
	wantErr(t, "bookings", err, nil)
	want := make([]hub.Booking, 0, len(winners))
	for _, w := range winners {
		want = append(want, w)
	}
	slices.SortFunc(want, compareBookings)
	diff(t, "bookings after the race", list, want)
}

// compareBookings orders bookings as Bookings lists them.
func compareBookings(a, b hub.Booking) int {
	return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
}

// compareBlocks orders blocks as Blocks lists them.
func compareBlocks(a, b hub.Block) int {
	return cmp.Or(cmp.Compare(a.TableID, b.TableID), a.Start.Compare(b.Start),
		cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Ref, b.Ref))
}

// model is what the property test expects a store to hold for one venue.
type model struct {
	policy       hub.Policy
	bookings     map[string]hub.Booking
	reservations map[string]wire.Reservation
	orders       map[string]wire.Order
}

// blocks computes what Blocks must return.
func (m *model) blocks(from, to time.Time) []hub.Block {
	var list []hub.Block
	add := func(tables []string, start, end time.Time, kind hub.BlockKind, ref string) {
		if !start.Before(to) || !end.After(from) {
			return
		}
		for _, table := range tables {
			list = append(list, hub.Block{TableID: table, Start: start, End: end, Kind: kind,
				Ref: ref})
		}
	}
	for _, b := range m.bookings {
		if b.State.Active() {
			add(b.TableIDs, b.Start, b.End, hub.BlockBooking, b.ID)
		}
	}
	for _, r := range m.reservations {
		if r.Status != wire.ReservationCancelled {
			add(r.TableIDs, r.Start, r.Start.Add(time.Duration(r.Duration)),
				hub.BlockReservation, r.ID)
		}
	}
	for _, o := range m.orders {
		add(o.TableIDs, o.OpenedAt, o.OpenedAt.Add(m.policy.TurnTime(o.Guests)),
			hub.BlockOccupancy, o.ID)
	}
	slices.SortFunc(list, compareBlocks)
	return list
}

// conflict returns the first block that b conflicts with, if any: blocks
// of booking b.ID itself and of reservations made for it do not count.
func (m *model) conflict(b hub.Booking) *hub.Block {
	for _, bl := range m.blocks(b.Start, b.End) {
		switch {
		case !slices.Contains(b.TableIDs, bl.TableID):
		case bl.Kind == hub.BlockBooking && bl.Ref == b.ID:
		case bl.Kind == hub.BlockReservation && m.reservations[bl.Ref].BookingID == b.ID:
		default:
			return &bl
		}
	}
	return nil
}

// property runs random steps against a store and its model.
type property struct {
	t     *testing.T
	s     hub.Store
	rng   *rand.Rand
	m     *model
	feed  *feed
	venue string
	ids   []string // of the bookings created, in order
	step  int

	// What happened, to show the test exercises every path.
	created, conflicts, moves, moveConflicts, refused int
}

var propTables = []string{"t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t09", "t10"}

// slot returns a start time on the quarter hour in the 12 hours ahead. The
// window moves on by a quarter hour every 6 steps, so that old bookings
// give way to new ones as in a restaurant's day.
func (p *property) slot() time.Time {
	return t0.Add(time.Duration(p.step/6+p.rng.IntN(48)) * 15 * time.Minute)
}

// length returns a duration from 30 minutes to 1¾ hours.
func (p *property) length() time.Duration {
	return time.Duration(2+p.rng.IntN(6)) * 15 * time.Minute
}

// tables returns one table, or two distinct tables one time in four.
func (p *property) tables() []string {
	n := 1 + p.rng.IntN(4)/3
	perm := p.rng.Perm(len(propTables))[:n]
	list := make([]string, n)
	for i, k := range perm {
		list[i] = propTables[k]
	}
	return list
}

// testBookingProperty interleaves, at random (seeded), booking creates,
// transitions and moves with mirror updates in which RMS reservations and
// open orders appear, change and vanish. Before each create and move the
// store's Blocks must match a model, and the store must refuse exactly the
// bookings that overlap a block, naming the first; at the end no two active
// bookings overlap on a table and every booking is as the model says.
func testBookingProperty(t *testing.T, s hub.Store) {
	const steps, seed = 2000, 1
	v := createPolicyVenue(t, s, "ven_1")
	a := createAgent(t, s, "agt_1", v.ID)
	p := &property{
		t: t, s: s, rng: rand.New(rand.NewPCG(seed, seed)), venue: v.ID,
		feed: newFeed(t, s, a.ID),
		m: &model{policy: v.Policy, bookings: map[string]hub.Booking{},
			reservations: map[string]wire.Reservation{}, orders: map[string]wire.Order{}},
	}
	for p.step = range steps {
		switch n := p.rng.IntN(100); {
		case n < 45:
			p.create()
		case n < 65:
			p.transition()
		default:
			p.mirror()
		}
	}
	p.check()
	t.Logf("seed %d, %d steps: %d bookings created, %d refused as conflicts; "+
		"%d moves made, %d refused as conflicts; %d transitions refused", seed, steps,
		p.created, p.conflicts, p.moves, p.moveConflicts, p.refused)
	if min(p.created, p.conflicts) < steps/20 || min(p.moves, p.moveConflicts) < steps/100 {
		t.Errorf("the property test does not exercise every path")
	}
}

// wantBlocks compares the store's blocks over [from, to) with the model's.
func (p *property) wantBlocks(from, to time.Time) {
	p.t.Helper()
	got, err := p.s.Blocks(context.Background(), p.venue, from, to)
	if err != nil {
		p.t.Fatalf("step %d: blocks: %v", p.step, err)
	}
	want := p.m.blocks(from, to)
	same := slices.EqualFunc(got, want, func(a, b hub.Block) bool {
		return compareBlocks(a, b) == 0 && a.End.Equal(b.End)
	})
	if same {
		return
	}
	if d := cmpDiff(got, want); d != "" {
		p.t.Fatalf("step %d: blocks over [%s, %s) (-got +want):\n%s", p.step,
			from.Sub(t0), to.Sub(t0), d)
	}
}

func (p *property) create() {
	t := p.t
	states := []hub.BookingState{hub.BookingHeld, hub.BookingRequested, hub.BookingConfirmed}
	start := p.slot()
	b := hub.Booking{
		ID: fmt.Sprintf("bkg_%04d", p.step), VenueID: p.venue, TableIDs: p.tables(),
		Start: start, End: start.Add(p.length()), Party: 1 + p.rng.IntN(6),
		State: states[p.rng.IntN(len(states))], Name: "Guest", Channel: "telegram",
		CreatedAt: t0, UpdatedAt: t0,
	}
	p.wantBlocks(b.Start, b.End)
	want := p.m.conflict(b)

	got, err := p.s.CreateBooking(context.Background(), b, "guest:1")
	if want != nil {
		wantConflict(t, fmt.Sprintf("step %d: create %s", p.step, b.ID), err, *want)
		p.conflicts++
		return
	}
	if err != nil {
		t.Fatalf("step %d: create %s on %v over [%s, %s): %v", p.step, b.ID, b.TableIDs,
			b.Start.Sub(t0), b.End.Sub(t0), err)
	}
	diff(t, "created booking", got, b)
	p.m.bookings[b.ID] = b
	p.ids = append(p.ids, b.ID)
	p.created++
}

func (p *property) transition() {
	t := p.t
	if len(p.ids) == 0 {
		return
	}
	// Mostly recent active bookings, and moves they may make.
	pool := p.ids[max(0, len(p.ids)-20):]
	if p.rng.IntN(4) > 0 {
		pool = slices.DeleteFunc(slices.Clone(pool), func(id string) bool {
			return !p.m.bookings[id].State.Active()
		})
	}
	if len(pool) == 0 {
		return
	}
	cur := p.m.bookings[pool[p.rng.IntN(len(pool))]]
	to := bookingStates[p.rng.IntN(len(bookingStates))]
	if next := hub.Transitions[cur.State]; len(next) > 0 && p.rng.IntN(3) > 0 {
		to = next[p.rng.IntN(len(next))]
	}
	tr := hub.Transition{To: to, Actor: "system", At: t0.Add(time.Duration(p.step) * time.Second)}
	want := cur
	want.State, want.Reason, want.UpdatedAt = to, "", tr.At
	var moving bool
	if to.Active() && p.rng.IntN(3) > 0 {
		moving = true
		if p.rng.IntN(3) > 0 {
			tr.TableIDs = p.tables()
			want.TableIDs = tr.TableIDs
		}
		if tr.TableIDs == nil || p.rng.IntN(2) == 0 {
			tr.Start = p.slot()
			tr.End = tr.Start.Add(p.length())
			want.Start, want.End = tr.Start, tr.End
		}
	}
	what := fmt.Sprintf("step %d: move %s from %s to %s (%v [%s, %s) to %v [%s, %s))", p.step,
		cur.ID, cur.State, to, cur.TableIDs, cur.Start.Sub(t0), cur.End.Sub(t0),
		want.TableIDs, want.Start.Sub(t0), want.End.Sub(t0))

	// A transition to the current state is a no-op unless it moves the
	// booking (hub.Transition.Changes); then it applies like any other.
	noop := cur.State == to && !tr.Changes(cur)
	allowed := cur.State == to || hub.CanMove(cur.State, to)
	var conflict *hub.Block
	if moving && !noop && allowed {
		p.wantBlocks(want.Start, want.End)
		conflict = p.m.conflict(want)
	}
	got, err := p.s.TransitionBooking(context.Background(), cur.ID, tr)
	switch {
	case noop:
		wantErr(t, what, err, nil)
		diff(t, what, got, cur)
	case !allowed:
		wantErr(t, what, err, hub.ErrBadTransition)
		p.refused++
	case conflict != nil:
		wantConflict(t, what, err, *conflict)
		p.moveConflicts++
	default:
		wantErr(t, what, err, nil)
		diff(t, what, got, want)
		p.m.bookings[cur.ID] = want
		if moving {
			p.moves++
		}
	}
}

// mirror sends a batch of one to three reservation and order changes.
func (p *property) mirror() {
	statuses := []wire.ReservationStatus{wire.ReservationNew, wire.ReservationConfirmed,
		wire.ReservationSeated, wire.ReservationCancelled}
	var events []wire.Event
	for range 1 + p.rng.IntN(3) {
		switch n := p.rng.IntN(10); {
		case n < 4:
			r := wire.Reservation{
				ID: fmt.Sprintf("r%02d", p.rng.IntN(30)), TableIDs: p.tables(), Start: p.slot(),
				Duration: wire.Duration(p.length()), Guests: 1 + p.rng.IntN(6),
				Status: statuses[p.rng.IntN(len(statuses))],
			}
			// Some are made for a booking that exists or one yet to come.
			switch k := p.rng.IntN(6); {
			case k == 0 && len(p.ids) > 0:
				r.BookingID = p.ids[p.rng.IntN(len(p.ids))]
			case k == 1:
				r.BookingID = fmt.Sprintf("bkg_%04d", p.step+1+p.rng.IntN(10))
			}
			p.m.reservations[r.ID] = r
			events = append(events, reservationEvent(p.t, 0, r))
		case n < 6:
			id := fmt.Sprintf("r%02d", p.rng.IntN(30))
			delete(p.m.reservations, id)
			events = append(events, remove(0, wire.EntityReservation, id))
		case n < 8:
			o := wire.Order{ID: fmt.Sprintf("o%02d", p.rng.IntN(10)), TableIDs: p.tables()[:1],
				OpenedAt: p.slot(), Guests: 1 + p.rng.IntN(8)}
			p.m.orders[o.ID] = o
			events = append(events, orderEvent(p.t, 0, o))
		default:
			id := fmt.Sprintf("o%02d", p.rng.IntN(10))
			delete(p.m.orders, id)
			events = append(events, remove(0, wire.EntityOrder, id))
		}
	}
	p.feed.send(events...)
}

// check verifies the end state: no two active bookings overlap on a table,
// and the store holds the model's bookings.
func (p *property) check() {
	t := p.t
	ctx := context.Background()
	var active []hub.BookingState
	for _, st := range bookingStates {
		if st.Active() {
			active = append(active, st)
		}
	}
	list, err := p.s.Bookings(ctx, hub.BookingQuery{VenueID: p.venue, States: active})
	wantErr(t, "active bookings", err, nil)
	for i, a := range list {
		for _, b := range list[i+1:] {
			shared := slices.ContainsFunc(a.TableIDs, func(id string) bool {
				return slices.Contains(b.TableIDs, id)
			})
			if shared && a.Start.Before(b.End) && b.Start.Before(a.End) {
				t.Errorf("active bookings %s and %s overlap: %v over [%s, %s), %v over [%s, %s)",
					a.ID, b.ID, a.TableIDs, a.Start.Sub(t0), a.End.Sub(t0),
					b.TableIDs, b.Start.Sub(t0), b.End.Sub(t0))
			}
		}
	}

	all, err := p.s.Bookings(ctx, hub.BookingQuery{VenueID: p.venue})
	wantErr(t, "bookings", err, nil)
	var want []hub.Booking
	for _, b := range p.m.bookings {
		want = append(want, b)
	}
	slices.SortFunc(want, compareBookings)
	diff(t, "bookings", all, want)
	p.wantBlocks(t0.Add(-24*time.Hour), t0.Add(7*24*time.Hour))
}
