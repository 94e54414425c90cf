package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/stolik/stolik/hub"
)

// Login rate limits: failed attempts within the window, per account and
// per client address. A success clears the account's count.
const (
	loginWindow     = 15 * time.Minute
	loginPerAccount = 5
	loginPerIP      = 20
)

// loginLimiter counts failed logins in the store, so that every replica
// sees the same counts: an attacker spreading attempts over replicas gets
// no more tries than against one. The store keeps hashes of the emails
// and addresses, not the text typed.
type loginLimiter struct {
	store hub.LoginLimitStore
}

func newLoginLimiter(store hub.LoginLimitStore) *loginLimiter {
	return &loginLimiter{store: store}
}

// limitKey is the store key of an email ("a") or address ("i").
func limitKey(kind, value string) string {
	sum := sha256.Sum256([]byte(value))
	return kind + ":" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// loginLimit is one count a login attempt is held to.
type loginLimit struct {
	key string
	max int
}

// limits are the counts of an attempt: its account's and its address's.
func limits(email, ip string) [2]loginLimit {
	return [2]loginLimit{{limitKey("a", email), loginPerAccount},
		{limitKey("i", ip), loginPerIP}}
}

// blocked returns how long until the account or address may try again,
// or zero.
func (l *loginLimiter) blocked(ctx context.Context, email, ip string, now time.Time) (
	time.Duration, error) {
	var wait time.Duration
	for _, k := range limits(email, ip) {
		f, err := l.store.LoginFailures(ctx, k.key, now, loginWindow)
		if err != nil {
			return 0, err
		}
		if f.Count >= k.max {
			wait = max(wait, f.Start.Add(loginWindow).Sub(now))
		}
	}
	return wait, nil
}

// fail counts a failed attempt for the account and the address.
func (l *loginLimiter) fail(ctx context.Context, email, ip string, now time.Time) error {
	for _, k := range limits(email, ip) {
		if _, err := l.store.CountLoginFailure(ctx, k.key, now, loginWindow); err != nil {
			return err
		}
	}
	return nil
}

// succeed clears the account's count; the address keeps its own.
func (l *loginLimiter) succeed(ctx context.Context, email string) error {
	return l.store.ClearLoginFailures(ctx, limitKey("a", email))
}

// prune forgets windows that ended by now.
func (l *loginLimiter) prune(ctx context.Context, now time.Time) (int, error) {
	return l.store.PruneLoginFailures(ctx, now.Add(-loginWindow))
}
