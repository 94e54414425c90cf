package outbox

import (
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SetClock makes o read the time from now. Call it before any request.
func SetClock(o *Outbox, now func() time.Time) { o.now = now }

// HoldWriter makes the writer wait, after it took its next request and
// before it gathers the rest of the group, until release is called. entered
// is closed when the writer waits. Call it before any request.
func HoldWriter(o *Outbox) (entered <-chan struct{}, release func()) {
	in := make(chan struct{})
	out := make(chan struct{})
	var once sync.Once
	o.beforeCommit = func() {
		once.Do(func() {
			close(in)
			<-out
		})
	}
	return in, func() { close(out) }
}

// QueueLen is the number of requests waiting for the writer.
func QueueLen(o *Outbox) int { return len(o.reqs) }

// StoredKeys counts the keys of the events and snapshot buckets.
func StoredKeys(o *Outbox) (events, snapshot int, err error) {
	err = o.db.View(func(tx *bolt.Tx) error {
		events = tx.Bucket(bucketEvents).Stats().KeyN
		snapshot = tx.Bucket(bucketSnapshot).Stats().KeyN
		return nil
	})
	return events, snapshot, err
}

// EntryCount is the number of snapshot entries, tombstones included, that
// o holds in memory.
func EntryCount(o *Outbox) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.entries)
}
