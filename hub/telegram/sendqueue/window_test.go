package sendqueue

import (
	"context"
	"testing"
	"time"
)

// TestWindow counts calls from when they are made until per after their
// answer: a call answered late holds its place longer.
func TestWindow(t *testing.T) {
	const per = 200 * time.Millisecond
	w := newWindow(2, per, time.Now)
	ctx := context.Background()

	start := time.Now()
	if !w.acquire(ctx) || !w.acquire(ctx) {
		t.Fatal("acquire within the limit failed")
	}
	// Both in flight: a third waits for an answer plus per.
	got := make(chan time.Duration, 1)
	go func() {
		w.acquire(ctx)
		got <- time.Since(start)
	}()
	time.Sleep(100 * time.Millisecond) // the first call's answer takes this long
	w.release(time.Now())
	if d := <-got; d < 100*time.Millisecond+per {
		t.Errorf("third call made %v after the first two, want at least 300ms", d)
	}

	// A cancelled wait gives up.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if w.acquire(cctx) {
		t.Error("acquire with a cancelled context and a full window = true, want false")
	}
}
