package hub

import (
	"context"
	"time"
)

// LoginFailures is one key's failed sign-ins in its current window.
type LoginFailures struct {
	// Start is when the window began: with the key's first failure after
	// its previous window ended.
	Start time.Time
	Count int
}

// LoginLimitStore counts failed dashboard sign-ins in the store, so that
// every hub replica limits them alike. Keys are opaque to the store (the
// dashboard passes hashes). Windows are fixed: a window starts with a
// failure at a time no window of the key covers and covers [Start,
// Start+window).
type LoginLimitStore interface {
	// CountLoginFailure counts one failure of key at now and returns the
	// key's window with it: the current one with its Count grown by one,
	// or a new one starting at now with Count 1 when the last one ended
	// (Start+window at or before now). Concurrent calls, from any replica,
	// each count once.
	CountLoginFailure(ctx context.Context, key string, now time.Time,
		window time.Duration) (LoginFailures, error)
	// LoginFailures returns key's window at now; the zero LoginFailures
	// when it has none or the last one ended.
	LoginFailures(ctx context.Context, key string, now time.Time,
		window time.Duration) (LoginFailures, error)
	// ClearLoginFailures forgets key's failures; an unknown key is not an
	// error.
	ClearLoginFailures(ctx context.Context, key string) error
	// PruneLoginFailures removes the windows that started before before
	// and returns how many.
	PruneLoginFailures(ctx context.Context, before time.Time) (int, error)
}
