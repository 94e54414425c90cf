package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// testLoginFailures: failures count up within a window from the first
// one, a failure after the window starts a new one, keys are apart,
// clearing forgets a key, and pruning drops windows started before the
// cut.
func testLoginFailures(t *testing.T, s hub.Store) {
	ctx := context.Background()
	const window = 15 * time.Minute
	count := func(key string, at time.Time, want hub.LoginFailures) {
		t.Helper()
		got, err := s.CountLoginFailure(ctx, key, at, window)
		wantErr(t, "count "+key, err, nil)
		diff(t, "count "+key+" at "+at.Format(time.TimeOnly), got, want)
	}
	read := func(key string, at time.Time, want hub.LoginFailures) {
		t.Helper()
		got, err := s.LoginFailures(ctx, key, at, window)
		wantErr(t, "read "+key, err, nil)
		diff(t, "read "+key+" at "+at.Format(time.TimeOnly), got, want)
	}

	read("a:1", t0, hub.LoginFailures{})
	count("a:1", t0, hub.LoginFailures{Start: t0, Count: 1})
	count("a:1", t0.Add(time.Minute), hub.LoginFailures{Start: t0, Count: 2})
	count("i:1", t0.Add(time.Minute), hub.LoginFailures{Start: t0.Add(time.Minute), Count: 1})
	read("a:1", t0.Add(window-time.Second), hub.LoginFailures{Start: t0, Count: 2})
	// The window is half-open: at its end it is over.
	read("a:1", t0.Add(window), hub.LoginFailures{})
	end := t0.Add(window)
	count("a:1", end, hub.LoginFailures{Start: end, Count: 1})
	read("i:1", end, hub.LoginFailures{Start: t0.Add(time.Minute), Count: 1})

	wantErr(t, "clear", s.ClearLoginFailures(ctx, "a:1"), nil)
	wantErr(t, "clear an unknown key", s.ClearLoginFailures(ctx, "a:none"), nil)
	read("a:1", end, hub.LoginFailures{})
	count("a:1", end, hub.LoginFailures{Start: end, Count: 1})

	// i:1 started at t0+1m, a:1 at t0+15m.
	n, err := s.PruneLoginFailures(ctx, t0.Add(2*time.Minute))
	wantErr(t, "prune", err, nil)
	if n != 1 {
		t.Errorf("pruned %d windows, want 1", n)
	}
	read("i:1", t0.Add(2*time.Minute), hub.LoginFailures{})
	read("a:1", end, hub.LoginFailures{Start: end, Count: 1})
}

// testLoginFailuresRace: failures counted at once, as by several
// replicas, each count once.
func testLoginFailuresRace(t *testing.T, s hub.Store) {
	const n = 32
	ctx := context.Background()
	counts := make([]int, n)
	together(n, func(i int) {
		f, err := s.CountLoginFailure(ctx, "a:race", t0.Add(time.Duration(i)*time.Millisecond),
			time.Minute)
		if err != nil {
			t.Errorf("count %d: %v", i, err)
		}
		counts[i] = f.Count
	})
	seen := make(map[int]bool)
	for _, c := range counts {
		seen[c] = true
	}
	for c := 1; c <= n; c++ {
		if !seen[c] {
			t.Errorf("no caller got count %d; counts %v", c, counts)
		}
	}
	got, err := s.LoginFailures(ctx, "a:race", t0.Add(time.Second), time.Minute)
	wantErr(t, "read", err, nil)
	if got.Count != n {
		t.Errorf("count after %d failures at once: %d", n, got.Count)
	}
}
