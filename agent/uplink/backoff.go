package uplink

import "time"

// ceilingFor returns the most a retry after attempt failed rounds (counting
// from 0) may wait: lo·2^attempt, capped at hi. Run then sleeps a uniform
// random duration in [0, ceiling] ("full jitter").
func ceilingFor(attempt int, lo, hi time.Duration) time.Duration {
	// Double step by step so that a large attempt count cannot overflow.
	c := lo
	for range max(attempt, 0) {
		if c >= hi/2 {
			return hi
		}
		c *= 2
	}
	return min(c, hi)
}

// jittered returns a uniform random duration in [0, ceiling]. jitter(n)
// returns a uniform value in [0, n).
func jittered(ceiling time.Duration, jitter func(int64) int64) time.Duration {
	return time.Duration(jitter(int64(ceiling) + 1))
}
