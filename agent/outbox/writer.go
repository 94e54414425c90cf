package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// reqKind says what a request to the writer does.
type reqKind int

const (
	reqAppend reqKind = iota
	reqAck
	reqBegin
	reqFinish
	reqAckResult
)

// request is one call waiting for the writer. The caller fills the input
// fields, the writer the answer fields, then closes done.
type request struct {
	ctx  context.Context
	kind reqKind
	done chan struct{}

	events []encoded // reqAppend
	seq    uint64    // reqAck
	id     string    // command id: reqBegin, reqFinish, reqAckResult
	result []byte    // reqFinish: the encoded wire.Result

	lastSeq uint64 // reqAppend: the last sequence assigned
	begin   Begin  // reqBegin
	err     error
}

// send queues r for the writer and waits for its answer. ctx bounds only
// the wait for a place in the queue: once the writer has taken r into a
// transaction, the caller waits for the commit, so that an error always
// means nothing was stored.
func (o *Outbox) send(ctx context.Context, r *request) error {
	r.ctx = ctx
	r.done = make(chan struct{})

	o.closeMu.RLock()
	if o.closed {
		o.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case o.reqs <- r:
	case <-ctx.Done():
		o.closeMu.RUnlock()
		return ctx.Err()
	}
	o.closeMu.RUnlock()

	<-r.done
	return r.err
}

// write is the writer goroutine: it commits queued requests in groups until
// Close closes the queue, then stops.
func (o *Outbox) write() {
	defer close(o.done)
	group := make([]*request, 0, o.opts.MaxGroup)
	for r := range o.reqs {
		if o.beforeCommit != nil {
			o.beforeCommit()
		}
		group = append(group[:0], r)
	drain:
		for len(group) < o.opts.MaxGroup {
			select {
			case r, ok := <-o.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		o.commit(group)
		clear(group) // drop references to answered requests
	}
	o.closeErr = o.flushSent()
}

// flushSent writes Counters.Sent if Next moved it since the last commit, so
// that a clean Close keeps every counter.
func (o *Outbox) flushSent() error {
	o.mu.Lock()
	st := o.st
	o.mu.Unlock()
	if st.counters.Sent == o.savedSent {
		return nil
	}
	err := o.db.Update(func(tx *bolt.Tx) error {
		return writeState(tx.Bucket(bucketMeta), st)
	})
	if err != nil {
		return fmt.Errorf("write counters: %w", err)
	}
	return nil
}

// group is the staged effect of one transaction. Nothing in memory changes
// until the transaction committed; then publish applies the group.
type group struct {
	st   state  // meta as it will be after the commit
	sent uint64 // the sent watermark when the group started
	now  time.Time

	entries  map[string]entry // snapshot entries changed by the group
	popped   int              // tombstones removed from the front of the queue
	newTombs []tomb           // tombstones added at the back
	started  []string         // commands begun, to mark as running
	finished []string         // commands finished, no longer running

	dirty    bool // something was written
	appended bool // some Append succeeded
}

// errNoChange rolls back a transaction in which no request wrote anything.
var errNoChange = errors.New("no change")

// commit runs a group of requests in one transaction and answers them.
func (o *Outbox) commit(reqs []*request) {
	n := 0
	for _, r := range reqs {
		n += len(r.events)
	}
	o.gate.Lock()
	o.mu.Lock()
	g := &group{st: o.st, sent: o.sent, now: o.now(), entries: make(map[string]entry, n)}
	o.mu.Unlock()

	err := o.db.Update(func(tx *bolt.Tx) error {
		b := bucketsOf(tx)
		b.events.FillPercent = fillPercent
		b.snapshot.FillPercent = fillPercent
		for _, r := range reqs {
			if err := r.ctx.Err(); err != nil {
				r.err = err
				continue
			}
			if err := o.apply(b, g, r); err != nil {
				return err
			}
		}
		if !g.dirty {
			return errNoChange
		}
		return writeState(b.meta, g.st)
	})
	switch {
	case err == nil:
		o.savedSent = g.st.counters.Sent
		o.publish(g)
	case errors.Is(err, errNoChange):
		err = nil
	default:
		err = fmt.Errorf("commit: %w", err)
	}
	o.gate.Unlock()

	for _, r := range reqs {
		if err != nil && r.err == nil {
			r.err = err
		}
		close(r.done)
	}
	if err == nil && g.appended {
		select {
		case o.notify <- struct{}{}:
		default:
		}
	}
}

// fillPercent is where bbolt splits a full page. Keys of the events bucket
// only ever grow, so bbolt's default of one half would leave every page
// half empty and double the pages each commit writes; new snapshot keys
// mostly grow too (RMS ids are often increasing numbers), while updates of
// existing entities split nothing.
const fillPercent = 0.9

// apply stages one request. An error aborts the whole transaction; a
// problem with the request alone goes into r.err, before anything of it is
// written.
func (o *Outbox) apply(b buckets, g *group, r *request) error {
	switch r.kind {
	case reqAppend:
		return o.applyAppend(b, g, r)
	case reqAck:
		return o.applyAck(b, g, r)
	case reqBegin:
		return o.applyBegin(b, g, r)
	case reqFinish:
		return o.applyFinish(b, g, r)
	case reqAckResult:
		return o.applyAckResult(b, g, r)
	}
	r.err = fmt.Errorf("unknown request %d", r.kind)
	return nil
}

// publish makes a committed group visible.
func (o *Outbox) publish(g *group) {
	o.mu.Lock()
	for k, e := range g.entries {
		if old, ok := o.entries[k]; ok && !old.deleted {
			o.live--
		}
		if e.gone {
			delete(o.entries, k)
			continue
		}
		o.entries[k] = e
		if !e.deleted {
			o.live++
		}
	}
	sent := o.st.counters.Sent // moved by Next meanwhile
	o.st = g.st
	o.st.counters.Sent = sent
	o.commits++
	o.mu.Unlock()

	if g.popped <= len(o.tombs) {
		o.tombs = append(o.tombs[g.popped:], g.newTombs...)
	} else {
		o.tombs = slices.Clone(g.newTombs[g.popped-len(o.tombs):])
	}
	for _, id := range g.started {
		o.running[id] = true
	}
	for _, id := range g.finished {
		delete(o.running, id)
	}
}

// lookup returns the snapshot entry of key as the group sees it. Only the
// writer changes o.entries, so the writer reads it without the lock.
func (o *Outbox) lookup(g *group, key string) (entry, bool) {
	if e, ok := g.entries[key]; ok {
		return e, !e.gone
	}
	e, ok := o.entries[key]
	return e, ok
}

// peekTomb returns the oldest tombstone the group has not removed.
func (o *Outbox) peekTomb(g *group) (tomb, bool) {
	i := g.popped
	if i < len(o.tombs) {
		return o.tombs[i], true
	}
	i -= len(o.tombs)
	if i < len(g.newTombs) {
		return g.newTombs[i], true
	}
	return tomb{}, false
}
