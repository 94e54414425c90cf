package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Model limits and shapes.
const (
	maxReservationsPerTable = 2
	gridSeconds             = 15 * 60 // reservations start on a 15-minute grid
	minLeadSeconds          = 1 * 3600
	maxLeadSeconds          = 48 * 3600
	minDurationMinutes      = 90
	maxDurationMinutes      = 180
)

// Change kinds and how often the model picks each among the possible ones.
const (
	changeOpen = iota
	changeClose
	changeGuests
	changeBook
	changeCancel
	numChanges
)

var changeWeights = [numChanges]int{
	changeOpen:   3,
	changeClose:  2,
	changeGuests: 2,
	changeBook:   2,
	changeCancel: 1,
}

// order is an open order on one table.
type order struct {
	id     int
	table  int
	opened int64 // unix seconds
	guests int
}

// reservation is a phone reservation the model made.
type reservation struct {
	id      int
	table   int
	start   int64 // unix seconds, on the 15-minute grid
	minutes int
	guests  int
	name    int   // index into guestNames
	phone   int   // the nine digits after +79
	comment int   // index into comments; 0 is none
	pos     int   // index in model.res, -1 while fresh
	inTable int   // index in model.byTable[table]
	end     int64 // start plus duration, unix seconds
}

// model is the simulated RMS alone, without what the writer created. It is
// a pure function of the config's seed and the step it was advanced to.
type model struct {
	rng     *rand.Rand
	start   time.Time
	step    time.Duration
	changes int

	halls  []wire.Hall
	tables []wire.Table

	n   int   // the step the state is at
	now int64 // simulated time of step n, unix seconds

	orders  []*order // by table index; nil while the table is free
	free    intSet   // tables without an order
	idle    intSet   // tables whose order has not been touched in step n
	touched []int    // tables whose order was opened or changed in step n

	res       []*reservation   // all reservations but fresh ones; cancellable
	fresh     []*reservation   // made in the step being made; merged into res after it
	byTable   [][]*reservation // reservations per table
	roomy     intSet           // tables with room for another reservation
	nextOrder int
	nextRes   int
}

func newModel(seed int64, halls, tables int, start time.Time, step time.Duration,
	changes int) *model {
	m := &model{
		rng:     rand.New(rand.NewPCG(uint64(seed), 0x5712_1c0d_e5ee_d5a1)),
		start:   start,
		step:    step,
		changes: changes,
		now:     start.Unix(),
		orders:  make([]*order, tables),
		free:    newIntSet(tables),
		idle:    newIntSet(tables),
		byTable: make([][]*reservation, tables),
		roomy:   newIntSet(tables),
	}
	m.layout(halls, tables)
	for t := range tables {
		m.free.add(t)
		m.roomy.add(t)
	}
	return m
}

// layout makes the fixed halls and tables: tables in contiguous blocks per
// hall, on a grid of five per row, with 2..8 seats.
func (m *model) layout(halls, tables int) {
	m.halls = make([]wire.Hall, halls)
	for h := range halls {
		name := "Зал " + strconv.Itoa(h+1)
		if h < len(hallNames) {
			name = hallNames[h]
		}
		m.halls[h] = wire.Hall{ID: "h-" + strconv.Itoa(h+1), Name: name}
	}

	m.tables = make([]wire.Table, tables)
	inHall := make([]int, halls)
	for t := range tables {
		h := t * halls / tables
		k := inHall[h]
		inHall[h]++
		seats := 2 + m.rng.IntN(7)
		m.tables[t] = wire.Table{
			ID:     tableID(t),
			HallID: m.halls[h].ID,
			Number: strconv.Itoa(t + 1),
			Seats:  seats,
			Position: &wire.Position{
				X: float64(k%5) * 3, Y: float64(k/5) * 3,
				W: 2, H: 1 + float64(seats)/4,
			},
		}
	}
}

func tableID(t int) string { return fmt.Sprintf("t-%02d", t+1) }

// stepTime is the simulated time of step k, Start + k*Step, in whole unix
// seconds. It is computed in parts so that no step count overflows.
func stepTime(start time.Time, step time.Duration, k int) int64 {
	whole := int64(step / time.Second)
	frac := int64(step % time.Second)
	kk := int64(k)
	return start.Unix() + kk*whole + (int64(start.Nanosecond())+kk*frac)/int64(time.Second)
}

// advanceTo moves the model forward to step n (n >= m.n).
func (m *model) advanceTo(n int) {
	for m.n < n {
		m.advance()
	}
}

// advance makes step m.n+1: reservations whose start has passed leave first,
// then random changes fill the step's budget. No entity changes twice in a
// step, so a step's changes equal the events a diff of its states gives.
func (m *model) advance() {
	m.n++
	m.now = stepTime(m.start, m.step, m.n)
	budget := m.changes

	for i := 0; i < len(m.res) && budget > 0; {
		if r := m.res[i]; r.start <= m.now {
			m.drop(r) // moves the last reservation to i
			budget--
			continue
		}
		i++
	}

	for ; budget > 0; budget-- {
		m.change()
	}

	for _, r := range m.fresh {
		r.pos = len(m.res)
		m.res = append(m.res, r)
	}
	m.fresh = m.fresh[:0]
	for _, t := range m.touched {
		if m.orders[t] != nil {
			m.idle.add(t)
		}
	}
	m.touched = m.touched[:0]
}

// change makes one random change among those possible now. One is always
// possible while fewer changes than tables were made in the step: a table
// that was not touched is either free (open) or has an idle order (close).
func (m *model) change() {
	var possible [numChanges]bool
	possible[changeOpen] = m.free.len() > 0
	possible[changeClose] = m.idle.len() > 0
	possible[changeGuests] = m.idle.len() > 0
	possible[changeBook] = m.roomy.len() > 0
	possible[changeCancel] = len(m.res) > 0

	total := 0
	for k, ok := range possible {
		if ok {
			total += changeWeights[k]
		}
	}
	if total == 0 {
		panic("sim: no change possible; ChangesPerStep exceeds what the tables allow")
	}
	pick := m.rng.IntN(total)
	kind := 0
	for k, ok := range possible {
		if !ok {
			continue
		}
		if pick < changeWeights[k] {
			kind = k
			break
		}
		pick -= changeWeights[k]
	}

	switch kind {
	case changeOpen:
		t := m.free.pick(m.rng)
		m.free.remove(t)
		m.nextOrder++
		m.orders[t] = &order{
			id: m.nextOrder, table: t, opened: m.now,
			guests: 1 + m.rng.IntN(m.tables[t].Seats),
		}
		m.touched = append(m.touched, t)
	case changeClose:
		t := m.idle.pick(m.rng)
		m.idle.remove(t)
		m.orders[t] = nil
		m.free.add(t)
	case changeGuests:
		t := m.idle.pick(m.rng)
		m.idle.remove(t)
		o := m.orders[t]
		// A different count in 1..seats, uniformly.
		g := 1 + m.rng.IntN(m.tables[t].Seats-1)
		if g >= o.guests {
			g++
		}
		o.guests = g
		m.touched = append(m.touched, t)
	case changeBook:
		m.book(m.roomy.pick(m.rng))
	case changeCancel:
		m.drop(m.res[m.rng.IntN(len(m.res))])
	}
}

// book adds a phone reservation on table t, 1 to 48 hours ahead. If it would
// overlap the one reservation already on t, it moves next to it.
func (m *model) book(t int) {
	lo := ceilDiv(m.now+minLeadSeconds, gridSeconds) * gridSeconds
	hi := floorDiv(m.now+maxLeadSeconds, gridSeconds) * gridSeconds
	start := lo + gridSeconds*m.rng.Int64N((hi-lo)/gridSeconds+1)
	minutes := minDurationMinutes + 15*m.rng.IntN((maxDurationMinutes-minDurationMinutes)/15+1)
	end := start + int64(minutes)*60

	// t has room, so at most one reservation e. On overlap the new one
	// moves right after e (e.end > start >= lo) or, if that would be more
	// than 48 hours ahead, right before it (then e starts after now+45h).
	for _, e := range m.byTable[t] {
		if start >= e.end || e.start >= end {
			continue
		}
		if e.start <= m.now+maxLeadSeconds-maxDurationMinutes*60 {
			start = e.end
		} else {
			start = e.start - int64(minutes)*60
		}
		end = start + int64(minutes)*60
	}

	m.nextRes++
	comment := 0
	if m.rng.IntN(4) == 0 {
		comment = 1 + m.rng.IntN(len(comments)-1)
	}
	r := &reservation{
		id: m.nextRes, table: t, start: start, minutes: minutes, end: end,
		guests:  1 + m.rng.IntN(m.tables[t].Seats),
		name:    m.rng.IntN(len(guestNames)),
		phone:   m.rng.IntN(1_000_000_000),
		comment: comment,
		pos:     -1,
		inTable: len(m.byTable[t]),
	}
	m.byTable[t] = append(m.byTable[t], r)
	if len(m.byTable[t]) >= maxReservationsPerTable {
		m.roomy.remove(t)
	}
	m.fresh = append(m.fresh, r)
}

// drop removes a reservation that existed when the step began.
func (m *model) drop(r *reservation) {
	last := m.res[len(m.res)-1]
	m.res[r.pos] = last
	last.pos = r.pos
	m.res = m.res[:len(m.res)-1]

	list := m.byTable[r.table]
	tail := list[len(list)-1]
	list[r.inTable] = tail
	tail.inTable = r.inTable
	m.byTable[r.table] = list[:len(list)-1]
	m.roomy.add(r.table)
}

// state returns the model's state as an RMS would show it, slices by id.
// The result shares nothing with the model.
func (m *model) state() agent.State {
	s := agent.State{
		Halls:  slices.Clone(m.halls),
		Tables: slices.Clone(m.tables),
	}
	for i := range s.Tables {
		p := *s.Tables[i].Position
		s.Tables[i].Position = &p
	}

	for _, o := range m.orders {
		if o == nil {
			continue
		}
		s.Orders = append(s.Orders, wire.Order{
			ID:       fmt.Sprintf("o-%06d", o.id),
			TableIDs: []string{m.tables[o.table].ID},
			OpenedAt: time.Unix(o.opened, 0).UTC(),
			Guests:   o.guests,
			Status:   "open",
		})
	}
	slices.SortFunc(s.Orders, func(a, b wire.Order) int { return strings.Compare(a.ID, b.ID) })

	for _, list := range [][]*reservation{m.res, m.fresh} {
		for _, r := range list {
			s.Reservations = append(s.Reservations, m.wireReservation(r))
		}
	}
	slices.SortFunc(s.Reservations, func(a, b wire.Reservation) int {
		return strings.Compare(a.ID, b.ID)
	})
	return s
}

func (m *model) wireReservation(r *reservation) wire.Reservation {
	g := guestNames[r.name]
	return wire.Reservation{
		ID:       fmt.Sprintf("r-%06d", r.id),
		TableIDs: []string{m.tables[r.table].ID},
		Start:    time.Unix(r.start, 0).UTC(),
		Duration: wire.Duration(time.Duration(r.minutes) * time.Minute),
		Guests:   r.guests,
		Name:     g,
		Phone:    fmt.Sprintf("+79%09d", r.phone),
		Comment:  comments[r.comment],
		Status:   wire.ReservationConfirmed,
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// intSet is a set of small non-negative ints with O(1) add, remove and
// random pick.
type intSet struct {
	items []int
	pos   []int // pos[x] is x's index in items plus one; 0 means absent
}

func newIntSet(n int) intSet { return intSet{items: make([]int, 0, n), pos: make([]int, n)} }

func (s *intSet) len() int { return len(s.items) }

func (s *intSet) add(x int) {
	if s.pos[x] != 0 {
		return
	}
	s.items = append(s.items, x)
	s.pos[x] = len(s.items)
}

func (s *intSet) remove(x int) {
	i := s.pos[x] - 1
	if i < 0 {
		return
	}
	last := s.items[len(s.items)-1]
	s.items[i] = last
	s.pos[last] = i + 1
	s.items = s.items[:len(s.items)-1]
	s.pos[x] = 0
}

func (s *intSet) pick(r *rand.Rand) int { return s.items[r.IntN(len(s.items))] }
