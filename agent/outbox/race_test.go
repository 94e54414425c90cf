package outbox_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/shared/wire"
)

// TestNextNeverHandsOutCompacted appends updates of a few hot entities while
// a sender drains with Next and Ack, as the uplink does while connected.
// Every stored event must end either handed out exactly once or compacted,
// never both: stored == handed out + compacted.
func TestNextNeverHandsOutCompacted(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{})
	ctx := context.Background()
	const rounds = 400

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ids := []string{"a", "b", "c", "d"}
		for i := 0; i < rounds; i++ {
			if _, err := o.Append(ctx, []wire.Event{up(ids[i%4], i), up(ids[(i+1)%4], i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	seen := map[uint64]bool{}
	var cursor uint64
	drain := func() {
		for _, e := range next(t, o, cursor, 3, 0) {
			if seen[e.Seq] {
				t.Fatalf("seq %d handed out twice", e.Seq)
			}
			seen[e.Seq] = true
			cursor = e.Seq
		}
		ackOK(t, o, cursor)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		drain()
	}
	drain()

	st := o.Stats()
	if got := uint64(len(seen)) + st.Counters.Compacted; got != st.Counters.Stored {
		t.Fatalf("handed out %d + compacted %d = %d, stored %d",
			len(seen), st.Counters.Compacted, got, st.Counters.Stored)
	}
	if st.Counters.Compacted == 0 {
		t.Log("nothing compacted in this run; the race was not exercised")
	}
}
