package bolt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// BenchmarkApplyBatch applies batches of 1000 reservation upserts of about
// 300 bytes each into a fresh file, each batch one durable transaction, and
// reports events per second. Reservation ids are scattered like the UUIDs
// some RMSs use, the worst case for a B+tree. Two workloads:
//
//   - insert: every event a new reservation, as in a first full sync;
//   - update: changes to the 2000 reservations of a large venue.
func BenchmarkApplyBatch(b *testing.B) {
	b.Run("insert", func(b *testing.B) { benchApply(b, 0) })
	b.Run("update", func(b *testing.B) { benchApply(b, 2000) })
}

// benchApply runs the benchmark; venueSize 0 means every event is new.
func benchApply(b *testing.B, venueSize uint64) {
	const size = 1000
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "hub.db"))
	defer s.Close()
	seed(b, s) // venue ven_1, agent agt_1 at sequence 1

	start := time.Date(2025, time.March, 1, 18, 0, 0, 0, time.UTC)
	event := func(seq uint64) wire.Event {
		n := seq
		if venueSize > 0 {
			n = seq % venueSize
		}
		r := wire.Reservation{
			ID:        scatteredID(n),
			TableIDs:  []string{"table-0012", "table-0013"},
			Start:     start.Add(time.Duration(seq) * time.Minute),
			Duration:  wire.Duration(2 * time.Hour),
			Guests:    int(seq%8) + 1,
			Name:      "Guest Name Surname",
			Phone:     "+70000000000",
			Comment:   "birthday, a high chair near the window",
			Status:    wire.ReservationConfirmed,
			BookingID: fmt.Sprintf("bkg_%016d", seq),
		}
		data, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		return wire.Event{Seq: seq, Entity: wire.EntityReservation, ID: r.ID,
			Op: wire.OpUpsert, Data: data, At: start}
	}
	batch := func(from uint64) []wire.Event {
		events := make([]wire.Event, size)
		for i := range events {
			events[i] = event(from + uint64(i))
		}
		return events
	}

	// The venue already holds its reservations before an update run.
	seq := uint64(2)
	for ; seq < 2+venueSize; seq += size {
		if _, err := s.ApplyBatch(ctx, "agt_1", batch(seq)); err != nil {
			b.Fatal(err)
		}
	}

	// Encoding is the agent's work: prepare the batches outside the timer.
	batches := make([][]wire.Event, b.N)
	bytes := 0
	for i := range batches {
		batches[i] = batch(seq)
		seq += size
		for _, e := range batches[i] {
			bytes += len(e.Data)
		}
	}

	b.ResetTimer()
	for i := range b.N {
		res, err := s.ApplyBatch(ctx, "agt_1", batches[i])
		if err != nil {
			b.Fatal(err)
		}
		if res.Applied != size {
			b.Fatalf("batch %d: %+v", i, res)
		}
	}
	b.StopTimer()

	events := float64(b.N * size)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(bytes)/events, "bytes/event")
}

// scatteredID returns a UUID-shaped id for n, spread over the key space.
func scatteredID(n uint64) string {
	h := n*0x9E3779B97F4A7C15 ^ n>>7
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x",
		uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(n)&0xfff, n)
}

// BenchmarkCreateBooking creates 1000 bookings per op at random quarter
// hours over a week on 40 tables, some of which conflict, with the venue's
// mirror holding a number of reservations (and a tenth as many open
// orders), which every create reads. It reports attempts per second.
func BenchmarkCreateBooking(b *testing.B) {
	for _, size := range []int{0, 300, 3000} {
		b.Run(fmt.Sprintf("mirror=%d", size), func(b *testing.B) { benchCreate(b, size) })
	}
}

func benchCreate(b *testing.B, mirrorSize int) {
	const attempts, tables = 1000, 40
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "hub.db"))
	defer s.Close()
	seed(b, s) // venue ven_1, agent agt_1 at sequence 1

	start := time.Date(2025, time.March, 1, 10, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 1))
	slot := func() time.Time {
		return start.Add(time.Duration(rng.IntN(7*24*4)) * 15 * time.Minute)
	}
	table := func() string { return fmt.Sprintf("t%02d", rng.IntN(tables)) }

	var events []wire.Event
	add := func(kind wire.Entity, id string, v any) {
		data, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		events = append(events, wire.Event{Seq: uint64(len(events) + 2), Entity: kind, ID: id,
			Op: wire.OpUpsert, Data: data})
	}
	for i := range mirrorSize {
		add(wire.EntityReservation, fmt.Sprintf("r%05d", i), wire.Reservation{
			ID: fmt.Sprintf("r%05d", i), TableIDs: []string{table()}, Start: slot(),
			Duration: wire.Duration(2 * time.Hour), Guests: 4, Name: "Guest Name Surname",
			Phone: "+70000000000", Status: wire.ReservationConfirmed,
		})
	}
	for i := range mirrorSize / 10 {
		add(wire.EntityOrder, fmt.Sprintf("o%05d", i), wire.Order{ID: fmt.Sprintf("o%05d", i),
			TableIDs: []string{table()}, OpenedAt: slot(), Guests: 3, Status: "open"})
	}
	if len(events) > 0 {
		if _, err := s.ApplyBatch(ctx, "agt_1", events); err != nil {
			b.Fatal(err)
		}
	}

	conflicts := 0
	b.ResetTimer()
	for i := range b.N {
		for k := range attempts {
			at := slot()
			bk := hub.Booking{ID: fmt.Sprintf("bkg_%d_%04d", i, k), VenueID: "ven_1",
				TableIDs: []string{table()}, Start: at, End: at.Add(2 * time.Hour), Party: 2,
				State: hub.BookingConfirmed, Name: "Guest", Channel: "telegram", CreatedAt: at}
			_, err := s.CreateBooking(ctx, bk, "guest:1")
			switch {
			case errors.Is(err, hub.ErrConflict):
				conflicts++
			case err != nil:
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()

	n := float64(b.N * attempts)
	b.ReportMetric(n/b.Elapsed().Seconds(), "attempts/s")
	b.ReportMetric(float64(conflicts)/n, "conflict_ratio")
}
