package telegram

import (
	"sync"
	"time"
)

// Limits on what one Telegram user may send the bot: beyond them updates
// are dropped (a button press is answered, so its spinner stops).
const (
	floodUpdates = 30
	floodWindow  = 30 * time.Second
)

// flood counts each user's updates in fixed windows. It is per replica:
// a user's updates reach every replica in turn only with a webhook behind
// a balancer, where the limit grows with the replicas.
type flood struct {
	mu    sync.Mutex // guards users and reset
	users map[int64]int
	reset time.Time
}

// allow counts an update of user at now and reports whether it is within
// the limit.
func (f *flood) allow(user int64, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.After(f.reset) {
		f.users, f.reset = map[int64]int{}, now.Add(floodWindow)
	}
	f.users[user]++
	return f.users[user] <= floodUpdates
}
