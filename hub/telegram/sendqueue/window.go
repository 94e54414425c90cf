package sendqueue

import (
	"context"
	"sync"
	"time"
)

// window allows at most n calls in any span of per, measured where
// Telegram measures them: a call counts from when it is made until per
// after its answer. Since a request reaches Telegram between the two, no
// span of per there can hold more than n, however the network delays them.
type window struct {
	n   int
	per time.Duration
	now func() time.Time

	mu       sync.Mutex // guards the fields below
	inflight int
	done     []time.Time // answers within the last per, oldest first
	freed    chan struct{}
}

func newWindow(n int, per time.Duration, now func() time.Time) *window {
	return &window{n: n, per: per, now: now, freed: make(chan struct{})}
}

// acquire waits until a call may be made and counts it in flight; false
// if ctx ended first. Each true acquire must be followed by release.
func (w *window) acquire(ctx context.Context) bool {
	for {
		w.mu.Lock()
		now := w.now()
		i := 0
		for i < len(w.done) && !w.done[i].After(now.Add(-w.per)) {
			i++
		}
		w.done = w.done[i:]
		if w.inflight+len(w.done) < w.n {
			w.inflight++
			w.mu.Unlock()
			return true
		}
		wait := time.Duration(-1)
		if len(w.done) > 0 {
			wait = w.done[0].Add(w.per).Sub(now)
		}
		freed := w.freed
		w.mu.Unlock()

		var (
			timer  *time.Timer
			expiry <-chan time.Time
		)
		if wait >= 0 {
			timer = time.NewTimer(wait)
			expiry = timer.C
		}
		select {
		case <-ctx.Done():
		case <-freed:
		case <-expiry:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return false
		}
	}
}

// release ends a call acquired earlier, answered (or given up) at at.
func (w *window) release(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight--
	w.done = append(w.done, at)
	close(w.freed)
	w.freed = make(chan struct{})
}

// remember counts a call answered at at by another sender; calls must be
// remembered oldest first, before any is made.
func (w *window) remember(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = append(w.done, at)
}
