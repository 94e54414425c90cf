package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// together runs fn(0..n-1) in n goroutines released at once and waits.
func together(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// testConcurrentSameBatch races 64 copies of one batch: exactly one applies
// it, the others skip all of it.
func testConcurrentSameBatch(t *testing.T, s hub.Store) {
	const n, size = 64, 50
	v, a := setup(t, s)
	events, list := reservations(t, 1, size, "race")

	results := make([]hub.ApplyResult, n)
	errs := make([]error, n)
	together(n, func(i int) {
		results[i], errs[i] = s.ApplyBatch(context.Background(), a.ID, events)
	})

	winners := 0
	for i, res := range results {
		switch {
		case errs[i] != nil:
			t.Errorf("goroutine %d: %v", i, errs[i])
		case res == hub.ApplyResult{Seq: size, Applied: size}:
			winners++
		case res != hub.ApplyResult{Seq: size, Skipped: size}:
			t.Errorf("goroutine %d: result %+v, want all applied or all skipped", i, res)
		}
	}
	if winners != 1 {
		t.Errorf("%d goroutines applied the batch, want exactly 1", winners)
	}
	wantApplied(t, s, a.ID, size, size)
	wantState(t, s, hub.VenueState{VenueID: v.ID, Reservations: list})
}

// testConcurrentAgents has 16 agents, two per venue, each send consecutive
// batches at once; after every batch an agent resends its previous one, as
// after a reconnect.
func testConcurrentAgents(t *testing.T, s hub.Store) {
	const agents, batches, size = 16, 8, 20
	ids := make([]string, agents)
	for i := range agents {
		v := fmt.Sprintf("ven_%02d", i/2)
		if i%2 == 0 {
			createVenue(t, s, v)
		}
		ids[i] = createAgent(t, s, fmt.Sprintf("agt_%02d", i), v).ID
	}

	// Agent i's batch k has sequence numbers k*size+1 onwards.
	events := make([][][]wire.Event, agents)
	lists := make([][]wire.Reservation, agents)
	for i := range agents {
		for k := range batches {
			var batch []wire.Event
			for j := 1; j <= size; j++ {
				seq := uint64(k*size + j)
				r := reservation(fmt.Sprintf("%s-%04d", ids[i], seq), "concurrent")
				batch = append(batch, reservationEvent(t, seq, r))
				lists[i] = append(lists[i], r)
			}
			events[i] = append(events[i], batch)
		}
	}

	errs := make(chan error, agents*batches*2)
	together(agents, func(i int) {
		ctx := context.Background()
		for k := range batches {
			want := hub.ApplyResult{Seq: uint64((k + 1) * size), Applied: size}
			if res, err := s.ApplyBatch(ctx, ids[i], events[i][k]); err != nil || res != want {
				errs <- fmt.Errorf("agent %d batch %d: %+v, %v; want %+v", i, k, res, err, want)
			}
			if k == 0 {
				continue
			}
			want = hub.ApplyResult{Seq: uint64((k + 1) * size), Skipped: size}
			if res, err := s.ApplyBatch(ctx, ids[i], events[i][k-1]); err != nil || res != want {
				errs <- fmt.Errorf("agent %d resend %d: %+v, %v; want %+v", i, k-1, res, err, want)
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for i := 0; i < agents; i += 2 {
		wantApplied(t, s, ids[i], batches*size, batches*size)
		wantApplied(t, s, ids[i+1], batches*size, batches*size)
		// Both agents' reservations, in id order: agt_00-… before agt_01-….
		want := append(slices.Clone(lists[i]), lists[i+1]...)
		wantState(t, s, hub.VenueState{
			VenueID: fmt.Sprintf("ven_%02d", i/2), Reservations: want,
		})
	}
}

// testConcurrentCreateVenue races 16 creations of one venue: exactly one
// wins and its venue is the one kept.
func testConcurrentCreateVenue(t *testing.T, s hub.Store) {
	const n = 16
	errs := make([]error, n)
	together(n, func(i int) {
		v := hub.Venue{ID: "ven_1", Name: fmt.Sprintf("Venue %d", i), CreatedAt: t0}
		errs[i] = s.CreateVenue(context.Background(), v)
	})

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("goroutines %d and %d both created the venue", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, hub.ErrExists):
			t.Errorf("goroutine %d: %v, want ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no goroutine created the venue")
	}
	got, err := s.Venue(context.Background(), "ven_1")
	wantErr(t, "get venue", err, nil)
	diff(t, "venue", got, hub.Venue{ID: "ven_1", Name: fmt.Sprintf("Venue %d", winner),
		CreatedAt: t0})
}

// testConcurrentFinish races 16 results for one command: all calls succeed
// and exactly one result is kept.
func testConcurrentFinish(t *testing.T, s hub.Store) {
	const n = 16
	_, a := setup(t, s)
	c := command("cmd_1", a.ID, 0)
	enqueue(t, s, c)

	errs := make([]error, n)
	together(n, func(i int) {
		r := wire.Result{CommandID: c.ID, OK: true, Message: fmt.Sprintf("result %d", i)}
		errs[i] = s.FinishCommand(context.Background(), a.ID, r)
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}

	got, err := s.Command(context.Background(), c.ID)
	wantErr(t, "get command", err, nil)
	if got.State != hub.CommandDone || got.Result == nil {
		t.Fatalf("command after the race: state %q, result %v", got.State, got.Result)
	}
	var winner int
	_, err = fmt.Sscanf(got.Result.Message, "result %d", &winner)
	if err != nil || winner < 0 || winner >= n {
		t.Fatalf("kept result %+v is none of those sent", got.Result)
	}
	diff(t, "kept result", *got.Result, wire.Result{
		CommandID: c.ID, OK: true, Message: fmt.Sprintf("result %d", winner),
	})
	wantPending(t, s, a.ID)
}
