package booking_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

var propertyZones = []string{"Europe/Berlin", "America/New_York", "Europe/Moscow",
	"Asia/Kamchatka", "Asia/Novosibirsk", "Europe/Kaliningrad", "UTC"}

// world is a random venue, its book and a query.
type world struct {
	v    booking.Venue
	book booking.Book
	q    booking.Query
}

func randomWorld(t testing.TB, r *rand.Rand) world {
	t.Helper()
	pick := func(list ...int) int { return list[r.IntN(len(list))] }
	zone := loadZone(t, propertyZones[r.IntN(len(propertyZones))])
	p := hub.Policy{
		SlotStep:       minutes(pick(10, 15, 30, 0)),
		Buffer:         minutes(pick(0, 10, 15)),
		MinLead:        minutes(pick(1, 30, 120)),
		Horizon:        wire.Duration(time.Duration(pick(2, 30)) * 24 * time.Hour),
		Pacing:         pick(0, 0, 6, 12),
		MaxOnlineParty: pick(0, 8),
	}
	for _, n := range []int{2, 4, 6} {
		if r.IntN(3) > 0 {
			p.TurnTimes = append(p.TurnTimes, hub.TurnTime{MaxParty: n,
				Duration: minutes(pick(45, 60, 90, 120, 150))})
		}
	}
	clocks := []string{"00:00", "08:00", "11:30", "12:00", "15:00", "17:45", "18:00", "22:00",
		"23:00", "02:00", "04:00"}
	for d := range 7 {
		for range r.IntN(3) {
			p.Services = append(p.Services, hub.Service{Weekday: time.Weekday(d),
				Name: fmt.Sprint("s", d), Open: clocks[r.IntN(len(clocks))],
				Close: clocks[r.IntN(len(clocks))]})
		}
	}

	// Days around the DST changes of 2026 and an ordinary one.
	days := []booking.Date{{Year: 2026, Month: 3, Day: 28}, {Year: 2026, Month: 3, Day: 8},
		{Year: 2026, Month: 10, Day: 24}, {Year: 2026, Month: 10, Day: 31},
		{Year: 2026, Month: 6, Day: 10}}
	day := days[r.IntN(len(days))].AddDays(r.IntN(3) - 1)
	if r.IntN(4) == 0 {
		p.Exceptions = append(p.Exceptions, hub.Exception{Date: day.String(),
			Closed: r.IntN(2) == 0, Services: []hub.Service{{Open: "19:00", Close: "01:00"}}})
		if p.Exceptions[0].Closed {
			p.Exceptions[0].Services = nil
		}
	}

	v := booking.Venue{ID: "v", Zone: zone, Policy: p}
	for i := range 1 + r.IntN(12) {
		tb := table(fmt.Sprint("t", i), fmt.Sprint(1+r.IntN(20)), pick(1, 2, 2, 4, 4, 6, 8))
		tb.Online = r.IntN(10) > 0
		if r.IntN(4) == 0 {
			tb.MinParty = 2
		}
		if r.IntN(6) == 0 {
			tb.MaxParty = tb.Seats + 1
		}
		v.Tables = append(v.Tables, tb)
	}
	for g := range r.IntN(4) {
		var ids []string
		for _, tb := range v.Tables {
			if r.IntN(3) == 0 {
				ids = append(ids, tb.ID)
			}
		}
		v.Groups = append(v.Groups, hub.TableGroup{ID: fmt.Sprint("g", g), VenueID: "v",
			TableIDs: ids, MinParty: pick(0, 4), MaxParty: pick(0, 10, 14)})
	}

	dayStart := day.Start(zone)
	var book booking.Book
	kinds := []hub.BlockKind{hub.BlockBooking, hub.BlockReservation, hub.BlockOccupancy}
	for i := range r.IntN(40) {
		start := dayStart.Add(time.Duration(r.IntN(30*4)) * 15 * time.Minute).
			Add(time.Duration(r.IntN(3)) * 7 * time.Minute)
		b := hub.Block{TableID: fmt.Sprint("t", r.IntN(14)), Start: start,
			End: start.Add(time.Duration(30+r.IntN(180)) * time.Minute), Kind: kinds[r.IntN(3)],
			Ref: fmt.Sprint("ref", i)}
		book.Blocks = append(book.Blocks, b)
		if b.Kind != hub.BlockOccupancy {
			book.Seatings = append(book.Seatings, booking.Seating{Ref: b.Ref, Start: b.Start,
				Party: 1 + r.IntN(6)})
		}
	}
	now := dayStart.Add(time.Duration(r.IntN(40*4)-24*4) * 15 * time.Minute).
		Add(time.Duration(r.IntN(15)) * time.Minute)
	return world{v: v, book: book, q: booking.Query{Date: day, Party: 1 + r.IntN(9), Now: now}}
}

// overlaps reports whether a block, kept with the venue's buffer after it
// when it is not a hub booking, overlaps [start, end) on one of tables.
func overlaps(v booking.Venue, bl hub.Block, tables []string, start, end time.Time) bool {
	blEnd := bl.End
	if bl.Kind != hub.BlockBooking {
		blEnd = blEnd.Add(time.Duration(v.Policy.Buffer))
	}
	return slices.Contains(tables, bl.TableID) && bl.Start.Before(end) && blEnd.After(start) &&
		bl.End.After(bl.Start)
}

// TestAvailabilityProperties checks, over random venues, books and queries
// (some across changes of the clocks), that every offered start passes
// Check, overlaps no block, gets the tables Assign gives, and that after
// booking one the next answer never offers its tables at an overlapping
// time.
func TestAvailabilityProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2026))
	offered, booked := 0, 0
	for i := range 400 {
		w := randomWorld(t, r)
		slots, err := booking.Availability(w.v, w.book, w.q)
		if err != nil {
			if !isRuleError(err) {
				t.Fatalf("world %d: unexpected error %v", i, err)
			}
			continue
		}
		offered += len(slots)
		name := fmt.Sprintf("world %d (%s, %s, party %d)", i, w.v.Zone, w.q.Date, w.q.Party)
		checkSlots(t, name, w, slots)

		// Determinism: the same answer with the inputs in another order.
		shuffled := w
		shuffled.v.Tables = shuffle(r, w.v.Tables)
		shuffled.v.Groups = shuffle(r, w.v.Groups)
		shuffled.book.Blocks = shuffle(r, w.book.Blocks)
		shuffled.book.Seatings = shuffle(r, w.book.Seatings)
		again, err := booking.Availability(shuffled.v, shuffled.book, shuffled.q)
		if err != nil {
			t.Fatalf("%s: shuffled: %v", name, err)
		}
		if diff := cmp.Diff(again, slots); diff != "" {
			t.Fatalf("%s: inputs in another order (-got +want):\n%s", name, diff)
		}

		if len(slots) == 0 {
			continue
		}
		s := slots[r.IntN(len(slots))]
		b := hub.Booking{ID: "new", VenueID: "v", TableIDs: s.TableIDs, Start: s.Start,
			End: s.Until, Party: w.q.Party, State: hub.BookingHeld}
		w.book.Blocks = append(w.book.Blocks, blocksOf(b)...)
		w.book.Seatings = append(w.book.Seatings, booking.Seating{Ref: b.ID, Start: b.Start,
			Party: b.Party})
		booked++

		if err := booking.Check(w.v, w.book, b, w.q.Now); err != nil {
			t.Errorf("%s: the booking made fails Check against its own block: %v", name, err)
		}
		twin := b
		twin.ID = "twin"
		if err := booking.Check(w.v, w.book, twin, w.q.Now); !errors.Is(err, hub.ErrConflict) {
			t.Errorf("%s: a second booking of %s passes Check: %v", name, s.Start, err)
		}

		slots, err = booking.Availability(w.v, w.book, w.q)
		if err != nil {
			t.Fatalf("%s: after booking: %v", name, err)
		}
		checkSlots(t, name+" after booking", w, slots)
		for _, o := range slots {
			for _, bl := range blocksOf(b) {
				if overlaps(w.v, bl, o.TableIDs, o.Start, o.Until) {
					t.Errorf("%s: %s on %v offered over the booking just made %s-%s",
						name, o.Start, o.TableIDs, b.Start, b.End)
				}
			}
		}
	}
	t.Logf("%d starts offered, %d booked", offered, booked)
	if offered < 1000 || booked < 100 {
		t.Errorf("the random worlds offer too little to test: %d starts, %d booked",
			offered, booked)
	}
}

func checkSlots(t *testing.T, name string, w world, slots []booking.Slot) {
	t.Helper()
	p := booking.Effective(w.v.Policy)
	for k, s := range slots {
		if k > 0 && !s.Start.After(slots[k-1].Start) {
			t.Errorf("%s: %s after %s: not increasing", name, s.Start, slots[k-1].Start)
		}
		if s.Start.Before(w.q.Now.Add(time.Duration(p.MinLead))) ||
			s.Start.After(w.q.Now.Add(time.Duration(p.Horizon))) {
			t.Errorf("%s: %s outside lead time or horizon from %s", name, s.Start, w.q.Now)
		}
		if want := s.Start.Add(p.TurnTime(w.q.Party)); !s.End.Equal(want) ||
			!s.Until.Equal(want.Add(time.Duration(p.Buffer))) {
			t.Errorf("%s: %s ends %s, until %s", name, s.Start, s.End, s.Until)
		}
		for _, bl := range w.book.Blocks {
			if overlaps(w.v, bl, s.TableIDs, s.Start, s.Until) {
				t.Errorf("%s: %s on %v overlaps block %+v", name, s.Start, s.TableIDs, bl)
			}
		}
		if err := booking.Check(w.v, w.book, hub.Booking{ID: "x", TableIDs: s.TableIDs,
			Start: s.Start, End: s.Until, Party: w.q.Party}, w.q.Now); err != nil {
			t.Errorf("%s: offered %s fails Check: %v", name, s.Start, err)
		}
		tables, group, ok := booking.Assign(w.v, w.book.Blocks, w.q.Party, s.Start, s.Until)
		if !ok || !slices.Equal(tables, s.TableIDs) || group != s.GroupID {
			t.Errorf("%s: %s offered with %v %q, Assign gives %v %q", name, s.Start,
				s.TableIDs, s.GroupID, tables, group)
		}
	}
}

func isRuleError(err error) bool {
	for _, e := range []error{booking.ErrParty, booking.ErrLargeParty, booking.ErrPast,
		booking.ErrTooFar, booking.ErrClosed, booking.ErrTable} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func shuffle[T any](r *rand.Rand, list []T) []T {
	out := slices.Clone(list)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
