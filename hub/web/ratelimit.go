package web

import (
	"sync"
	"time"
)

// Login rate limits: failed attempts within the window, per account and
// per client address. A success clears the account's count.
const (
	loginWindow     = 15 * time.Minute
	loginPerAccount = 5
	loginPerIP      = 20
)

// loginLimiter counts failed logins in memory, per hub replica.
//
// TODO(#8): share the counts between replicas (in the store) so that an
// attacker spreading attempts over replicas gets no more tries.
type loginLimiter struct {
	mu sync.Mutex
	// failures by "a:"+email and "i:"+address; guarded by mu.
	failures map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{failures: make(map[string]*window)}
}

// blocked returns how long until the account or address may try again,
// or zero.
func (l *loginLimiter) blocked(email, ip string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for key, limit := range map[string]int{"a:" + email: loginPerAccount, "i:" + ip: loginPerIP} {
		w := l.failures[key]
		if w == nil || now.Sub(w.start) >= loginWindow {
			continue
		}
		if w.n >= limit {
			wait = max(wait, w.start.Add(loginWindow).Sub(now))
		}
	}
	return wait
}

func (l *loginLimiter) fail(email, ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range []string{"a:" + email, "i:" + ip} {
		w := l.failures[key]
		if w == nil || now.Sub(w.start) >= loginWindow {
			w = &window{start: now}
			l.failures[key] = w
		}
		w.n++
	}
	// Forget old windows now and then, so the map stays small.
	if len(l.failures) > 10000 {
		for k, w := range l.failures {
			if now.Sub(w.start) >= loginWindow {
				delete(l.failures, k)
			}
		}
	}
}

func (l *loginLimiter) succeed(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "a:"+email)
}
