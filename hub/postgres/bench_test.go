package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/shared/wire"
)

// BenchmarkHotBooking has 32 goroutines book one table. Each walks the same
// 100 back-to-back slots in order, so for every slot 32 creates race and
// exactly one wins. It reports CreateBooking attempts per second, the wins,
// and the overlaps among active bookings found afterwards with SQL (must be
// 0). In the same run the same goroutines race a plain INSERT INTO
// booking_tables (the exclusion constraint refusing, conflicts caught) over
// the same slots, for comparison: plain_attempts/s and ratio, CreateBooking
// over plain.
func BenchmarkHotBooking(b *testing.B) {
	const workers, slots = 32, 100
	ctx := context.Background()
	url := pgtest.URL(b)
	s, err := postgres.Open(ctx, postgres.Config{URL: url, MaxConns: workers})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = workers
	plain, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	seedAgent(b, s)

	slot := func(round, i int) (time.Time, time.Time) {
		start := t0.Add(time.Duration(round*slots+i) * time.Hour)
		return start, start.Add(time.Hour)
	}
	// The plain inserts need parent rows: one cancelled booking each.
	_, err = plain.Exec(ctx, `INSERT INTO bookings (id, venue_id, table_ids, start_at, end_at,
		party, state, guest_id, name, phone, comment, channel, reservation_id,
		idempotency_key, reason, created_at, updated_at)
		SELECT 'plain_' || n, 'ven_1', '{t1}', $1, $2, 2, 'cancelled', '', '', '', '', '', '',
			'', '', $1, $1
		FROM generate_series(0, $3 - 1) AS n`, t0, t0.Add(time.Hour), b.N*workers*slots)
	if err != nil {
		b.Fatal(err)
	}

	// race runs attempt(w, i) for every worker and slot and returns the
	// wins and the time taken.
	race := func(round int, attempt func(w, i int, start, end time.Time) (bool, error)) (
		int64, time.Duration) {
		var wins atomic.Int64
		var wg sync.WaitGroup
		begin := time.Now()
		for w := range workers {
			wg.Go(func() {
				for i := range slots {
					start, end := slot(round, i)
					won, err := attempt(w, i, start, end)
					if err != nil {
						b.Error(err)
						return
					}
					if won {
						wins.Add(1)
					}
				}
			})
		}
		wg.Wait()
		return wins.Load(), time.Since(begin)
	}

	var createTime, plainTime time.Duration
	var createWins, plainWins int64
	b.ResetTimer()
	for round := range b.N {
		wins, took := race(round, func(w, i int, start, end time.Time) (bool, error) {
			bk := hub.Booking{ID: fmt.Sprintf("bkg_%d_%d_%d", round, w, i), VenueID: "ven_1",
				TableIDs: []string{"t1"}, Start: start, End: end, Party: 2,
				State: hub.BookingHeld, Name: "Guest", Channel: "telegram",
				CreatedAt: t0, UpdatedAt: t0}
			_, err := s.CreateBooking(ctx, bk, "guest:1")
			if errors.Is(err, hub.ErrConflict) {
				return false, nil
			}
			return err == nil, err
		})
		createWins, createTime = createWins+wins, createTime+took

		// Plain inserts go on another table, at the same times.
		wins, took = race(round, func(w, i int, start, end time.Time) (bool, error) {
			id := fmt.Sprint("plain_", (round*workers+w)*slots+i)
			_, err := plain.Exec(ctx, `INSERT INTO booking_tables (booking_id, venue_id,
				table_id, during, active) VALUES ($1, 'ven_1', 't2', tstzrange($2, $3), true)`,
				id, start, end)
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23P01" {
				return false, nil
			}
			return err == nil, err
		})
		plainWins, plainTime = plainWins+wins, plainTime+took
	}
	b.StopTimer()

	// Overlaps among active bookings, from the bookings themselves.
	var overlaps int
	err = plain.QueryRow(ctx, `
		SELECT count(*) FROM bookings a JOIN bookings b
			ON a.venue_id = b.venue_id AND a.id < b.id AND a.table_ids && b.table_ids
			AND a.during && b.during
		WHERE a.state IN ('held', 'requested', 'confirmed', 'seated')
			AND b.state IN ('held', 'requested', 'confirmed', 'seated')`).Scan(&overlaps)
	if err != nil {
		b.Fatal(err)
	}
	if overlaps != 0 || createWins != int64(b.N*slots) || plainWins != int64(b.N*slots) {
		b.Errorf("%d overlaps, %d and %d wins; want 0 overlaps and %d wins each", overlaps,
			createWins, plainWins, b.N*slots)
	}

	attempts := float64(b.N * workers * slots)
	createRate := attempts / createTime.Seconds()
	plainRate := attempts / plainTime.Seconds()
	b.ReportMetric(createRate, "attempts/s")
	b.ReportMetric(plainRate, "plain_attempts/s")
	b.ReportMetric(createRate/plainRate, "ratio")
	b.ReportMetric(float64(createWins)/float64(b.N), "wins/op")
	b.ReportMetric(float64(overlaps), "overlaps")
}

// BenchmarkIngest applies batches of 1000 reservation upserts of about 300
// bytes each, ten batches an op, each batch one transaction, and reports
// events per second. Each reservation blocks two tables, which keeps the
// GiST index on its time range busy. Three workloads, the first two as for
// the embedded store:
//
//   - insert: every event a new reservation, as in a first full sync;
//   - update: changes to the 2000 reservations of a large venue, each one
//     moved to another time;
//   - update-same-time: the same, but each keeps its time and tables (a
//     new status, name or party size), the usual change in a running
//     venue.
func BenchmarkIngest(b *testing.B) {
	b.Run("insert", func(b *testing.B) { benchIngest(b, 0, true) })
	b.Run("update", func(b *testing.B) { benchIngest(b, 2000, true) })
	b.Run("update-same-time", func(b *testing.B) { benchIngest(b, 2000, false) })
}

// benchIngest runs the benchmark; venueSize 0 means every event is new.
func benchIngest(b *testing.B, venueSize uint64, move bool) {
	perSec, bytesPerEvent := ingest(b, venueSize, move, nil)
	b.ReportMetric(perSec, "events/s")
	b.ReportMetric(bytesPerEvent, "bytes/event")
}

// ingest applies b.N*10 batches of 1000 events and returns events/s and
// bytes per event. background, if not nil, starts work that runs beside the
// timed ingest (on the same database) and returns a func that stops it.
func ingest(b *testing.B, venueSize uint64, move bool,
	background func(url string) (stop func())) (float64, float64) {
	const size, batchesPerOp = 1000, 10
	ctx := context.Background()
	url := pgtest.URL(b)
	s := open(b, url)
	defer s.Close()
	seedAgent(b, s, "agt_1", "agt_2")

	event := func(seq uint64) wire.Event {
		n := seq
		if venueSize > 0 {
			n = seq % venueSize
		}
		start := t0.Add(time.Duration(n) * time.Minute)
		if move {
			start = t0.Add(time.Duration(seq) * time.Minute)
		}
		status := wire.ReservationNew
		if seq%2 == 1 {
			status = wire.ReservationConfirmed
		}
		r := wire.Reservation{
			ID: fmt.Sprintf("%016x-%04x", n*0x9E3779B97F4A7C15, n%0xffff),
			TableIDs: []string{fmt.Sprintf("table-%04d", n%40),
				fmt.Sprintf("table-%04d", n%40+1)},
			Start:     start,
			Duration:  wire.Duration(2 * time.Hour),
			Guests:    int(seq%8) + 1,
			Name:      fmt.Sprintf("Guest Name Surname %d", seq%10),
			Phone:     "+70000000000",
			Comment:   "birthday, a high chair near the window",
			Status:    status,
			BookingID: fmt.Sprintf("bkg_%016d", n),
		}
		data, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		return wire.Event{Seq: seq, Entity: wire.EntityReservation, ID: r.ID,
			Op: wire.OpUpsert, Data: data, At: t0}
	}
	batch := func(from uint64) []wire.Event {
		events := make([]wire.Event, size)
		for i := range events {
			events[i] = event(from + uint64(i))
		}
		return events
	}

	seq := uint64(1)
	for ; seq < 1+venueSize; seq += size {
		if _, err := s.ApplyBatch(ctx, "agt_1", batch(seq)); err != nil {
			b.Fatal(err)
		}
	}
	// Encoding is the agent's work: prepare the batches outside the timer.
	batches := make([][]wire.Event, b.N*batchesPerOp)
	bytes := 0
	for i := range batches {
		batches[i] = batch(seq)
		seq += size
		for _, e := range batches[i] {
			bytes += len(e.Data)
		}
	}

	stop := func() {}
	if background != nil {
		stop = background(url)
	}
	b.ResetTimer()
	begin := time.Now()
	for _, events := range batches {
		res, err := s.ApplyBatch(ctx, "agt_1", events)
		if err != nil {
			b.Fatal(err)
		}
		if res.Applied != size {
			b.Fatalf("batch: %+v", res)
		}
	}
	elapsed := time.Since(begin)
	b.StopTimer()
	stop()

	events := float64(len(batches) * size)
	return events / elapsed.Seconds(), float64(bytes) / events
}
