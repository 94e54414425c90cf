package uplink

import "time"

// SetBackoff replaces the jitter source of u and observes each backoff:
// the ceiling and the delay drawn below it.
func SetBackoff(u *Uplink, jitter func(int64) int64, observe func(ceiling, d time.Duration)) {
	if jitter != nil {
		u.jitter = jitter
	}
	u.onBackoff = observe
}

// SetStableAfter changes how long a connection must last to reset the
// backoff.
func SetStableAfter(u *Uplink, d time.Duration) { u.stableAfter = d }
