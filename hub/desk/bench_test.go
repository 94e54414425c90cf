package desk_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// BenchmarkDeskAvailability asks for a day at a venue with 100 tables and 300
// RMS reservations that day, through the desk and the bolt store.
func BenchmarkDeskAvailability(b *testing.B) {
	e := newEnv(b, openBolt(b), hub.ModeAPI)
	var events []wire.Event
	add := func(kind wire.Entity, id string, v any) {
		data, err := json.Marshal(v)
		e.must("encode", err)
		e.seq++
		events = append(events, wire.Event{Seq: e.seq, Entity: kind, ID: id, Op: wire.OpUpsert,
			Data: data})
	}
	for i := range 100 {
		id := fmt.Sprintf("x%03d", i)
		add(wire.EntityTable, id, wire.Table{ID: id, Number: id, Seats: 2 + i%6})
	}
	open := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC) // 12:00 in Moscow
	for i := range 300 {
		id := fmt.Sprintf("r%03d", i)
		add(wire.EntityReservation, id, wire.Reservation{ID: id,
			TableIDs: []string{fmt.Sprintf("x%03d", i%100)},
			Start:    open.Add(time.Duration(i/100) * 3 * time.Hour),
			Duration: wire.Duration(2 * time.Hour), Guests: 2, Status: wire.ReservationNew})
	}
	_, err := e.store.ApplyBatch(e.ctx, "a1", events)
	e.must("apply batch", err)
	e.clock.Set(t0.Add(-24 * time.Hour))
	e.status(e.clock.Now())

	// Many queries per iteration, so that make bench's single iteration
	// still measures a steady state (the first query fills caches).
	const queries = 200
	b.ReportAllocs()
	var spent time.Duration
	for b.Loop() {
		began := time.Now()
		for range queries {
			slots, err := e.desk.Availability(e.ctx, "v1", day, 2, "")
			if err != nil || len(slots) == 0 {
				b.Fatalf("availability: %d slots, %v", len(slots), err)
			}
		}
		spent += time.Since(began)
	}
	b.ReportMetric(float64(spent.Microseconds())/float64(b.N*queries), "us/query")
}
