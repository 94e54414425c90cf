package booking_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
)

// BenchmarkAvailability answers one query for a venue with 100 tables, 10
// joinable groups and 300 reservations that day, with pacing on.
func BenchmarkAvailability(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 100))
	v := cafe(b, "Europe/Moscow")
	v.Policy.Pacing = 40
	v.Tables, v.Groups = nil, nil
	for i := range 100 {
		v.Tables = append(v.Tables, table(fmt.Sprint("t", i), fmt.Sprint(i+1),
			[]int{2, 2, 4, 4, 4, 6, 8}[r.IntN(7)]))
	}
	for g := range 10 {
		v.Groups = append(v.Groups, hub.TableGroup{ID: fmt.Sprint("g", g),
			TableIDs: []string{fmt.Sprint("t", 2*g), fmt.Sprint("t", 2*g+1)}})
	}
	day := booking.Date{Year: 2026, Month: 6, Day: 10}
	open := at(v.Zone, 2026, 6, 10, 12, 0)
	var book booking.Book
	for i := range 300 {
		start := open.Add(time.Duration(r.IntN(37)) * 15 * time.Minute)
		ref := fmt.Sprint("r", i)
		book.Blocks = append(book.Blocks, hub.Block{TableID: fmt.Sprint("t", r.IntN(100)),
			Start: start, End: start.Add(2 * time.Hour), Kind: hub.BlockReservation, Ref: ref})
		book.Seatings = append(book.Seatings, booking.Seating{Ref: ref, Start: start,
			Party: 1 + r.IntN(6)})
	}
	q := booking.Query{Date: day, Party: 4, Now: at(v.Zone, 2026, 6, 10, 9, 0)}

	slots, err := booking.Availability(v, book, q)
	if err != nil || len(slots) == 0 {
		b.Fatalf("%d slots, %v", len(slots), err)
	}
	// Many queries per iteration, so that make bench's single iteration
	// still measures a steady state.
	const queries = 200
	b.ReportAllocs()
	var spent time.Duration
	for b.Loop() {
		began := time.Now()
		for range queries {
			if _, err := booking.Availability(v, book, q); err != nil {
				b.Fatal(err)
			}
		}
		spent += time.Since(began)
	}
	b.ReportMetric(float64(spent.Microseconds())/float64(b.N*queries), "us/query")
	b.ReportMetric(float64(len(slots)), "slots")
}
