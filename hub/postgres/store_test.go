package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/shared/wire"
)

var t0 = time.Date(2025, time.March, 1, 18, 0, 0, 0, time.UTC)

// seedAgent creates venue ven_1 with agent agt_1 (and agt_2 when two).
func seedAgent(t testing.TB, s hub.Store, agents ...string) {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Pelmeni",
		CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for _, id := range agents {
		if err := s.CreateAgent(ctx, hub.Agent{ID: id, VenueID: "ven_1",
			CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
}

func event(t testing.TB, seq uint64, kind wire.Entity, id string, v any) wire.Event {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return wire.Event{Seq: seq, Entity: kind, ID: id, Op: wire.OpUpsert, Data: data, At: t0}
}

// waitFor polls cond every 20 ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestApplyBatchConnectionLost kills the store's session while a batch is
// half written: the batch fails, nothing of it is applied, and it applies
// in full when resent.
func TestApplyBatchConnectionLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	s := open(t, url)
	defer s.Close()
	seedAgent(t, s, "agt_1")
	h1, h2 := wire.Hall{ID: "h1", Name: "Main"}, wire.Hall{ID: "h2", Name: "Bar"}
	r1 := wire.Reservation{ID: "r1", TableIDs: []string{"t1"}, Start: t0,
		Duration: wire.Duration(time.Hour), Guests: 2, Status: wire.ReservationNew}
	if _, err := s.ApplyBatch(ctx, "agt_1", []wire.Event{
		event(t, 1, wire.EntityHall, h1.ID, h1)}); err != nil {
		t.Fatal(err)
	}

	// Another session holds an uncommitted row with r1's key, so the
	// batch, which writes halls before reservations, stops at r1.
	blocker := connect(t, url)
	tx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO mirror_reservations (venue_id, venue_num, id, data,
		table_ids) VALUES ('ven_1', 1, 'r1', '{}', '{}')`); err != nil {
		t.Fatal(err)
	}

	batch := []wire.Event{
		event(t, 2, wire.EntityHall, h2.ID, h2),
		event(t, 3, wire.EntityReservation, r1.ID, r1),
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.ApplyBatch(ctx, "agt_1", batch)
		done <- err
	}()
	// Watched from outside the blocker's transaction, whose view of
	// pg_stat_activity would stay as it first saw it.
	watcher := connect(t, url)
	var pid int
	waitFor(t, 10*time.Second, "the batch to wait for the row lock", func() bool {
		err := watcher.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'stolik-hub'
			AND wait_event_type = 'Lock'`).Scan(&pid)
		return err == nil
	})
	var ended bool
	if err := watcher.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).
		Scan(&ended); err != nil || !ended {
		t.Fatalf("terminate the batch's session: %v, %v", ended, err)
	}
	if err := <-done; err == nil {
		t.Fatal("ApplyBatch succeeded on a connection that was terminated")
	} else {
		t.Logf("ApplyBatch: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	a, err := s.Agent(ctx, "agt_1")
	if err != nil || a.AppliedSeq != 1 || a.AppliedEvents != 1 {
		t.Fatalf("agent after the lost batch: seq %d, events %d, %v; want 1, 1",
			a.AppliedSeq, a.AppliedEvents, err)
	}
	wantState(t, s, hub.VenueState{VenueID: "ven_1", Halls: []wire.Hall{h1}})

	res, err := s.ApplyBatch(ctx, "agt_1", batch)
	if err != nil || res != (hub.ApplyResult{Seq: 3, Applied: 2}) {
		t.Fatalf("resent batch: %+v, %v", res, err)
	}
	wantState(t, s, hub.VenueState{VenueID: "ven_1", Halls: []wire.Hall{h1, h2},
		Reservations: []wire.Reservation{r1}})
}

func wantState(t testing.TB, s hub.Store, want hub.VenueState) {
	t.Helper()
	got, err := s.VenueState(context.Background(), want.VenueID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(got, want, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("venue state (-got +want):\n%s", d)
	}
}

// TestListenCommands: a command enqueued by one replica reaches another
// replica's listener within a second, also after the listener's
// connection was lost.
func TestListenCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	a, b := open(t, url), open(t, url) // two replicas
	defer a.Close()
	defer b.Close()
	seedAgent(t, a, "agt_1", "agt_2")

	heard := make(chan string, 100)
	listenCtx, stop := context.WithCancel(ctx)
	listening := make(chan error, 1)
	go func() {
		listening <- a.ListenCommands(listenCtx, func(id string) { heard <- id })
	}()
	defer stop()

	n := 0
	enqueue := func(agentID string) {
		t.Helper()
		n++
		c := hub.Command{ID: fmt.Sprintf("cmd_%d", n), AgentID: agentID,
			Kind: wire.CommandResync, CreatedAt: t0}
		if err := b.EnqueueCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// hear waits up to timeout for agentID, skipping other agents.
	hear := func(agentID string, timeout time.Duration) bool {
		deadline := time.After(timeout)
		for {
			select {
			case id := <-heard:
				if id == agentID {
					return true
				}
			case <-deadline:
				return false
			}
		}
	}

	// The listener starts listening at some point; until it does,
	// notifications are lost.
	waitFor(t, 10*time.Second, "the listener to hear a command", func() bool {
		enqueue("agt_1")
		return hear("agt_1", 100*time.Millisecond)
	})
	start := time.Now()
	enqueue("agt_2")
	if !hear("agt_2", time.Second) {
		t.Fatal("a command for agt_2 was not heard within a second")
	}
	t.Logf("heard after %v", time.Since(start))

	// Cut the listener's connection. After it reconnects it reports the
	// agents with pending commands, whose notifications it may have missed.
	drain(heard)
	if n := pgtest.Terminate(t, url, "stolik-hub listener"); n != 1 {
		t.Fatalf("terminated %d listener sessions, want 1", n)
	}
	if !hear("agt_1", 5*time.Second) {
		t.Fatal("the listener did not catch up with agt_1 after a reconnect")
	}
	start = time.Now()
	enqueue("agt_2")
	if !hear("agt_2", time.Second) {
		t.Fatal("a command for agt_2 was not heard within a second of the reconnect")
	}
	t.Logf("heard after a reconnect after %v", time.Since(start))

	stop()
	select {
	case err := <-listening:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ListenCommands returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenCommands did not return after its context ended")
	}
}

func drain(c chan string) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// TestClaimJobsTwoReplicas: claimers on two stores (two pools) never get
// the same job.
func TestClaimJobsTwoReplicas(t *testing.T) {
	t.Parallel()
	const jobs, perStore = 300, 4
	ctx := context.Background()
	url := pgtest.URL(t)
	stores := []*postgres.Store{open(t, url), open(t, url)}
	for _, s := range stores {
		defer s.Close()
	}
	for i := range jobs {
		j := hub.Job{ID: fmt.Sprintf("job_%03d", i), Kind: "reminder",
			RunAt: t0.Add(time.Duration(i%7) * time.Second)}
		if err := stores[0].ScheduleJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for _, s := range stores {
		for range perStore {
			wg.Go(func() {
				for {
					list, err := s.ClaimJobs(ctx, t0.Add(time.Minute), 5, time.Hour)
					if err != nil {
						errs <- err
						return
					}
					if len(list) == 0 {
						return
					}
					mu.Lock()
					for _, j := range list {
						claims[j.ID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(claims) != jobs {
		t.Errorf("%d jobs claimed, want %d", len(claims), jobs)
	}
	for id, n := range claims {
		if n != 1 {
			t.Errorf("job %s claimed %d times", id, n)
		}
	}
}

// TestBookingRaceTwoReplicas: 32 goroutines, on two stores, walk the same
// 60 slots of two tables, naming the tables in either order: each slot goes
// to exactly one, and every other create gets a *hub.ConflictError naming
// it, never a deadlock or a timeout.
func TestBookingRaceTwoReplicas(t *testing.T) {
	t.Parallel()
	const workers, slots = 32, 60
	ctx := context.Background()
	url := pgtest.URL(t)
	stores := []*postgres.Store{open(t, url), open(t, url)}
	for _, s := range stores {
		defer s.Close()
	}
	seedAgent(t, stores[0])

	type result struct {
		id  string
		err error
	}
	results := make([][]result, slots)
	for i := range results {
		results[i] = make([]result, workers)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			tables := []string{"t1", "t2"}
			if w%2 == 1 {
				tables = []string{"t2", "t1"}
			}
			for i := range slots {
				at := t0.Add(time.Duration(i) * time.Hour)
				b := hub.Booking{ID: fmt.Sprintf("bkg_%02d_%02d", i, w), VenueID: "ven_1",
					TableIDs: tables, Start: at, End: at.Add(time.Hour), Party: 2,
					State: hub.BookingHeld, Name: "Guest", CreatedAt: t0, UpdatedAt: t0}
				_, err := stores[w%2].CreateBooking(ctx, b, "guest:1")
				results[i][w] = result{b.ID, err}
			}
		})
	}
	wg.Wait()

	for i, slot := range results {
		winner := ""
		for _, r := range slot {
			if r.err == nil {
				if winner != "" {
					t.Errorf("slot %d: %s and %s both booked t1 and t2", i, winner, r.id)
				}
				winner = r.id
			}
		}
		for _, r := range slot {
			var ce *hub.ConflictError
			if r.err != nil && (!errors.As(r.err, &ce) || ce.Block.Ref != winner) {
				t.Errorf("slot %d: %s: %v, want a conflict with %s", i, r.id, r.err, winner)
			}
		}
	}
}

// TestDatabaseRefusesOverlap: the exclusion constraint refuses overlapping
// active rows for one table whatever writes them, and the audit log cannot
// be changed.
func TestDatabaseRefusesOverlap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	s := open(t, url)
	defer s.Close()
	seedAgent(t, s)
	for _, id := range []string{"bkg_1", "bkg_2"} {
		b := hub.Booking{ID: id, VenueID: "ven_1", TableIDs: []string{"t9"}, Start: t0,
			End: t0.Add(time.Hour), Party: 2, State: hub.BookingHeld, CreatedAt: t0,
			UpdatedAt: t0}
		if id == "bkg_2" {
			b.Start, b.End = b.Start.Add(time.Hour), b.End.Add(time.Hour)
		}
		if _, err := s.CreateBooking(ctx, b, "guest:1"); err != nil {
			t.Fatal(err)
		}
	}

	conn := connect(t, url)
	insert := func(booking, table string, from, to time.Duration, active bool) error {
		_, err := conn.Exec(ctx, `INSERT INTO booking_tables (booking_id, venue_id, table_id,
			during, active) VALUES ($1, 'ven_1', $2, tstzrange($3, $4), $5)`,
			booking, table, t0.Add(from), t0.Add(to), active)
		return err
	}
	code := func(err error) string {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return pgErr.Code
		}
		return fmt.Sprint(err)
	}
	tests := []struct {
		name     string
		booking  string
		table    string
		from, to time.Duration
		active   bool
		want     string // SQLSTATE; empty for success
	}{
		{"overlapping", "bkg_2", "t1", 0, time.Hour, true, ""},
		{"overlapping, active", "bkg_1", "t1", 30 * time.Minute, 2 * time.Hour, true, "23P01"},
		{"touching", "bkg_1", "t2", time.Hour, 2 * time.Hour, true, ""},
		{"inside, inactive", "bkg_1", "t3", 10 * time.Minute, 20 * time.Minute, false, ""},
		{"another table", "bkg_1", "t4", 0, time.Hour, true, ""},
	}
	// bkg_2 holds t1 over [0, 1h) for the cases that follow.
	for _, tc := range tests {
		err := insert(tc.booking, tc.table, tc.from, tc.to, tc.active)
		if got := code(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := insert("bkg_2", "t2", 90*time.Minute, 3*time.Hour, true); code(err) != "23P01" {
		t.Errorf("overlap with a row of another booking: %v, want 23P01", err)
	}

	for _, sql := range []string{
		`UPDATE booking_events SET actor = 'forged'`,
		`DELETE FROM booking_events`,
		`TRUNCATE booking_events`,
	} {
		if _, err := conn.Exec(ctx, sql); err == nil {
			t.Errorf("%s: no error; the audit log must be append-only", sql)
		}
	}
	history, err := s.BookingHistory(ctx, "bkg_1")
	if err != nil || len(history) != 1 || history[0].Actor != "guest:1" {
		t.Errorf("history after the attempts: %+v, %v", history, err)
	}
}

// TestBatchBlocksConflict: reservations and orders applied by ApplyBatch
// block bookings as soon as the batch commits, and a reservation that
// leaves frees its table.
func TestBatchBlocksConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, pgtest.URL(t))
	defer s.Close()
	v := hub.Venue{ID: "ven_1", CreatedAt: t0, Policy: hub.Policy{TurnTimes: []hub.TurnTime{
		{MaxParty: 2, Duration: wire.Duration(time.Hour)},
		{MaxParty: 4, Duration: wire.Duration(100 * time.Minute)},
	}}}
	if err := s.CreateVenue(ctx, v); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: v.ID}); err != nil {
		t.Fatal(err)
	}
	// No duration: the venue's turn time for 3 guests.
	r := wire.Reservation{ID: "r1", TableIDs: []string{"t1", "t1", "t2"}, Start: t0,
		Guests: 3, Status: wire.ReservationConfirmed}
	if _, err := s.ApplyBatch(ctx, "agt_1", []wire.Event{
		event(t, 1, wire.EntityReservation, r.ID, r)}); err != nil {
		t.Fatal(err)
	}
	b := hub.Booking{ID: "bkg_1", VenueID: "ven_1", TableIDs: []string{"t2"},
		Start: t0.Add(99 * time.Minute), End: t0.Add(3 * time.Hour), Party: 2,
		State: hub.BookingHeld, CreatedAt: t0, UpdatedAt: t0}
	_, err := s.CreateBooking(ctx, b, "guest:1")
	var ce *hub.ConflictError
	want := hub.Block{TableID: "t2", Start: t0, End: t0.Add(100 * time.Minute),
		Kind: hub.BlockReservation, Ref: "r1"}
	if !errors.As(err, &ce) || !ce.Block.Start.Equal(want.Start) ||
		!ce.Block.End.Equal(want.End) || ce.Block.Ref != want.Ref || ce.Block.TableID != "t2" {
		t.Fatalf("booking over a reservation without duration: %v, want conflict %+v", err, want)
	}

	if _, err := s.ApplyBatch(ctx, "agt_1", []wire.Event{{Seq: 2,
		Entity: wire.EntityReservation, ID: "r1", Op: wire.OpDelete}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateBooking(ctx, b, "guest:1"); err != nil {
		t.Fatalf("booking after the reservation left: %v", err)
	}
}

// TestNULInText: text PostgreSQL cannot store is hub.ErrInvalid, and a
// batch carrying it changes nothing.
func TestNULInText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, pgtest.URL(t))
	defer s.Close()
	seedAgent(t, s, "agt_1")
	ev := event(t, 1, wire.EntityHall, "h\x00", wire.Hall{ID: "h\x00"})
	if _, err := s.ApplyBatch(ctx, "agt_1", []wire.Event{ev}); !errors.Is(err, hub.ErrInvalid) {
		t.Errorf("batch with a NUL in an id: %v, want hub.ErrInvalid", err)
	}
	// In JSON data a NUL is an escape, which the mirror keeps.
	h := wire.Hall{ID: "h1", Name: "Bar\x00"}
	if _, err := s.ApplyBatch(ctx, "agt_1", []wire.Event{
		event(t, 1, wire.EntityHall, h.ID, h)}); err != nil {
		t.Fatal(err)
	}
	wantState(t, s, hub.VenueState{VenueID: "ven_1", Halls: []wire.Hall{h}})
	_, err := s.PutGuest(ctx, hub.Guest{ID: "gst_1", Name: "A\x00"})
	if !errors.Is(err, hub.ErrInvalid) {
		t.Errorf("guest with a NUL in the name: %v, want hub.ErrInvalid", err)
	}
}

// TestBookingWaitsForBatch: a booking on a table that a batch in progress
// puts a block on waits for the batch, then sees the block.
func TestBookingWaitsForBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	s := open(t, url)
	defer s.Close()
	seedAgent(t, s, "agt_1")

	// As in TestApplyBatchConnectionLost, a row lock holds the batch half
	// way, after it took its table locks.
	blocker := connect(t, url)
	tx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO mirror_reservations (venue_id, venue_num, id, data,
		table_ids) VALUES ('ven_1', 1, 'r1', '{}', '{}')`); err != nil {
		t.Fatal(err)
	}
	r := wire.Reservation{ID: "r1", TableIDs: []string{"t1"}, Start: t0,
		Duration: wire.Duration(time.Hour), Guests: 2, Status: wire.ReservationNew}
	applied := make(chan error, 1)
	go func() {
		_, err := s.ApplyBatch(ctx, "agt_1", []wire.Event{
			event(t, 1, wire.EntityReservation, r.ID, r)})
		applied <- err
	}()
	// Watched from outside the blocker's transaction, whose view of
	// pg_stat_activity would stay as it first saw it.
	watcher := connect(t, url)
	waiting := func(event string) func() bool {
		return func() bool {
			var n int
			err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'
				AND wait_event = $1`, event).Scan(&n)
			return err == nil && n == 1
		}
	}
	waitFor(t, 10*time.Second, "the batch to wait for the row", waiting("transactionid"))

	booked := make(chan error, 1)
	go func() {
		b := hub.Booking{ID: "bkg_1", VenueID: "ven_1", TableIDs: []string{"t1"},
			Start: t0.Add(30 * time.Minute), End: t0.Add(2 * time.Hour), Party: 2,
			State: hub.BookingHeld, CreatedAt: t0, UpdatedAt: t0}
		_, err := s.CreateBooking(ctx, b, "guest:1")
		booked <- err
	}()
	waitFor(t, 10*time.Second, "the booking to wait for the table lock", waiting("advisory"))

	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-applied; err != nil {
		t.Fatal(err)
	}
	var ce *hub.ConflictError
	if err := <-booked; !errors.As(err, &ce) || ce.Block.Ref != "r1" {
		t.Fatalf("booking after the batch: %v, want a conflict with reservation r1", err)
	}
}

// TestOddTableIDs: table ids with the characters of PostgreSQL's array
// syntax come back from the blocks as the agent sent them.
func TestOddTableIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, pgtest.URL(t))
	defer s.Close()
	seedAgent(t, s, "agt_1")
	tables := []string{`a "b"`, `c\d`, "e,f", "{g}", "NULL", "", " h ", "стол 5"}
	r := wire.Reservation{ID: "r1", TableIDs: tables, Start: t0,
		Duration: wire.Duration(time.Hour), Guests: 2, Status: wire.ReservationNew}
	if _, err := s.ApplyBatch(ctx, "agt_1", []wire.Event{
		event(t, 1, wire.EntityReservation, r.ID, r)}); err != nil {
		t.Fatal(err)
	}
	blocks, err := s.Blocks(ctx, "ven_1", t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range blocks {
		got = append(got, b.TableID)
	}
	want := slices.Clone(tables)
	slices.Sort(want)
	if d := cmp.Diff(got, want); d != "" {
		t.Errorf("tables of the blocks (-got +want):\n%s", d)
	}
}

func TestPendingAgentsSince(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, pgtest.URL(t))
	defer s.Close()
	seedAgent(t, s, "agt_1", "agt_2", "agt_3")
	for i, c := range []hub.Command{
		{ID: "cmd_1", AgentID: "agt_2", CreatedAt: t0},
		{ID: "cmd_2", AgentID: "agt_1", CreatedAt: t0.Add(time.Minute)},
		{ID: "cmd_3", AgentID: "agt_2", CreatedAt: t0.Add(time.Minute)},
		{ID: "cmd_4", AgentID: "agt_3", CreatedAt: t0.Add(time.Minute)}, // finished below
		{ID: "cmd_5", AgentID: "agt_3", CreatedAt: t0.Add(-time.Minute)},
	} {
		c.Kind = wire.CommandResync
		if err := s.EnqueueCommand(ctx, c); err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	err := s.FinishCommand(ctx, "agt_3", wire.Result{CommandID: "cmd_4", OK: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		since time.Duration
		want  []string
	}{
		{-time.Hour, []string{"agt_1", "agt_2", "agt_3"}},
		{0, []string{"agt_1", "agt_2"}},
		{time.Minute, []string{"agt_1", "agt_2"}},
		{time.Hour, nil},
	}
	for _, tc := range tests {
		got, err := s.PendingAgentsSince(ctx, t0.Add(tc.since))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(got, tc.want, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("since %v (-got +want):\n%s", tc.since, d)
		}
	}
}
