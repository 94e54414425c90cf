package outbox

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stolik/stolik/shared/wire"
)

// Kinds of snapshot values, the byte after the sequence number.
const (
	kindUpsert = 'u'
	kindDelete = 'd'
)

// encoded is an event prepared by the caller, so that the writer only has
// to put the sequence number in.
type encoded struct {
	key  string
	bkey []byte // key, for bbolt
	del  bool
	tail []byte // the event's JSON after the sequence number
	snap []byte // the snapshot value: 8 bytes for the sequence, kind, data
}

// Append stores events (Seq zero on input; Op upsert with Data, or delete
// without) in one transaction together with the snapshot update, assigns
// consecutive sequence numbers and returns the last one. An event without
// At gets the time of the call. Pending earlier events of the same entities
// may be compacted (see the package documentation). Append returns ErrFull,
// with nothing stored, when the backlog would exceed Options.MaxPending, and
// an error for an invalid event, with nothing stored. Appending no events
// returns the last sequence number.
func (o *Outbox) Append(ctx context.Context, events []wire.Event) (uint64, error) {
	if len(events) == 0 {
		return o.Stats().LastSeq, nil
	}
	if len(events) > o.opts.MaxPending {
		return 0, fmt.Errorf("append: %w", ErrFull)
	}
	enc, err := encodeEvents(events, o.now().UTC())
	if err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}

	r := &request{kind: reqAppend, events: enc}
	if err := o.send(ctx, r); err != nil {
		return 0, fmt.Errorf("append: %w", err)
	}
	return r.lastSeq, nil
}

// encodeEvents checks and encodes events in the caller's goroutine, so that
// concurrent appenders encode in parallel and the writer does not.
func encodeEvents(events []wire.Event, now time.Time) ([]encoded, error) {
	out := make([]encoded, len(events))
	size := 0
	for _, e := range events {
		size += len(e.Data) + len(e.ID) + 100
	}
	tails := make([]byte, 0, size) // one buffer for the tails of all events
	ends := make([]int, len(events))
	for i, e := range events {
		if e.At.IsZero() {
			e.At = now
		}
		if err := validate(e); err != nil {
			return nil, fmt.Errorf("event %d (%s %s): %w", i, e.Entity, e.ID, err)
		}
		tails = wire.AppendEventTail(tails, e)
		ends[i] = len(tails)

		snap := make([]byte, 9+len(e.Data))
		snap[8] = kindUpsert
		if e.Op == wire.OpDelete {
			snap[8] = kindDelete
		}
		copy(snap[9:], e.Data)
		key := e.Key()
		out[i] = encoded{key: key, bkey: []byte(key), del: e.Op == wire.OpDelete, snap: snap}
	}
	start := 0
	for i := range out {
		out[i].tail = tails[start:ends[i]:ends[i]]
		start = ends[i]
	}
	return out, nil
}

func validate(e wire.Event) error {
	switch {
	case e.Seq != 0:
		return errors.New("seq must be zero: the outbox assigns it")
	case e.Entity == "" || strings.Contains(string(e.Entity), "/"):
		return fmt.Errorf("entity %q is not valid", e.Entity)
	case e.ID == "":
		return errors.New("id is empty")
	case e.At.Year() < 0 || e.At.Year() > 9999:
		return fmt.Errorf("at %v is out of range", e.At)
	}
	switch e.Op {
	case wire.OpUpsert:
		if len(e.Data) == 0 {
			return errors.New("upsert without data")
		}
		if !json.Valid(e.Data) {
			return errors.New("data is not valid JSON")
		}
	case wire.OpDelete:
		if len(e.Data) != 0 {
			return errors.New("delete with data")
		}
	default:
		return fmt.Errorf("op %q is not known", e.Op)
	}
	return nil
}

// applyAppend stages an append: it first counts what compaction will free,
// so that ErrFull is decided before anything is written.
func (o *Outbox) applyAppend(b buckets, g *group, r *request) error {
	compacted := 0
	seen := make(map[string]struct{}, len(r.events))
	size := 0
	for _, e := range r.events {
		size += len(seqPrefix) + 20 + len(e.tail)
		if _, dup := seen[e.key]; dup {
			compacted++ // the earlier event of this request is above the watermark
			continue
		}
		seen[e.key] = struct{}{}
		if prev, ok := o.lookup(g, e.key); ok && g.compactable(prev.seq) {
			compacted++
		}
	}
	if g.st.backlog()+uint64(len(r.events)-compacted) > uint64(o.opts.MaxPending) {
		r.err = ErrFull
		return nil
	}

	vals := make([]byte, 0, size) // one buffer for the values of all events
	keys := make([]byte, 8*len(r.events))
	for i, e := range r.events {
		if prev, ok := o.lookup(g, e.key); ok && g.compactable(prev.seq) {
			if err := b.events.Delete(seqKey(prev.seq)); err != nil {
				return fmt.Errorf("compact event %d: %w", prev.seq, err)
			}
			g.st.counters.Compacted++
		}

		g.st.lastSeq++
		seq := g.st.lastSeq
		k := keys[i*8 : i*8+8 : i*8+8]
		binary.BigEndian.PutUint64(k, seq)
		start := len(vals)
		vals = appendSeq(vals, seq)
		vals = append(vals, e.tail...)
		if err := b.events.Put(k, vals[start:len(vals):len(vals)]); err != nil {
			return fmt.Errorf("put event %d: %w", seq, err)
		}
		binary.BigEndian.PutUint64(e.snap, seq)
		if err := b.snapshot.Put(e.bkey, e.snap); err != nil {
			return fmt.Errorf("put snapshot %s: %w", e.key, err)
		}

		ent := entry{seq: seq, deleted: e.del}
		if e.del {
			g.newTombs = append(g.newTombs, tomb{key: e.key, seq: seq})
		} else {
			ent.data = e.snap[9:]
		}
		g.entries[e.key] = ent
		g.st.counters.Stored++
	}
	r.lastSeq = g.st.lastSeq
	g.dirty, g.appended = true, true
	return nil
}

// compactable says whether the stored event seq may be replaced by a newer
// one: it is not acknowledged and has not been handed out by Next.
func (g *group) compactable(seq uint64) bool {
	return seq > g.sent && seq > g.st.ackedSeq
}

// Next returns up to max events with Seq > after, in order, and at most
// maxBytes of their JSON encodings in total (without separators), but always
// at least one event if there is one. max or maxBytes <= 0 means no limit.
// It moves the sent watermark up to the last returned seq (never down: only
// Rewind does that) and adds the events to Counters.Sent. Nothing after
// after gives an empty result.
//
// Next and a group commit exclude each other (see Outbox.gate), so an
// event handed out is never also counted as compacted.
func (o *Outbox) Next(after uint64, max, maxBytes int) ([]wire.Event, error) {
	raw, err := o.NextRaw(after, max, maxBytes)
	if err != nil {
		return nil, err
	}
	out := make([]wire.Event, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r.JSON, &out[i]); err != nil {
			return nil, fmt.Errorf("next events: decode event %d: %w", r.Seq, err)
		}
	}
	return out, nil
}

// NextRaw is Next without decoding: each event as stored, which is the
// JSON the hub receives (wire.AppendEvent). The uplink sends these bytes
// as they are.
func (o *Outbox) NextRaw(after uint64, max, maxBytes int) ([]wire.RawEvent, error) {
	if after == math.MaxUint64 {
		return nil, nil
	}
	o.closeMu.RLock()
	defer o.closeMu.RUnlock()
	if o.closed {
		return nil, ErrClosed
	}

	o.gate.Lock()
	defer o.gate.Unlock()
	var out []wire.RawEvent
	var buf []byte // one copy of all events: v lives only as long as the transaction
	var ends []int
	err := o.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
			if max > 0 && len(out) >= max {
				break
			}
			if maxBytes > 0 && len(out) > 0 && len(buf)+len(v) > maxBytes {
				break
			}
			out = append(out, wire.RawEvent{Seq: binary.BigEndian.Uint64(k)})
			buf = append(buf, v...)
			ends = append(ends, len(buf))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("next events: %w", err)
	}
	start := 0
	for i, end := range ends {
		out[i].JSON = buf[start:end:end]
		start = end
	}

	if len(out) > 0 {
		o.mu.Lock()
		if last := out[len(out)-1].Seq; last > o.sent {
			o.sent = last
		}
		o.st.counters.Sent += uint64(len(out))
		o.mu.Unlock()
	}
	return out, nil
}

// Ack durably deletes every event with Seq <= seq. Acks are cumulative:
// acking a seq at or below an earlier ack does nothing. Acking beyond the
// last assigned sequence is an error and changes nothing.
func (o *Outbox) Ack(ctx context.Context, seq uint64) error {
	o.mu.Lock()
	acked := o.st.ackedSeq
	o.mu.Unlock()
	if seq <= acked {
		return nil
	}

	if err := o.send(ctx, &request{kind: reqAck, seq: seq}); err != nil {
		return fmt.Errorf("ack %d: %w", seq, err)
	}
	return nil
}

// applyAck stages an ack: it deletes the acked events and the tombstones of
// acked deletes.
func (o *Outbox) applyAck(b buckets, g *group, r *request) error {
	if r.seq <= g.st.ackedSeq {
		return nil
	}
	if r.seq > g.st.lastSeq {
		r.err = fmt.Errorf("beyond the last assigned sequence %d", g.st.lastSeq)
		return nil
	}

	var seqs []uint64
	c := b.events.Cursor()
	for k, _ := c.Seek(seqKey(g.st.ackedSeq + 1)); k != nil; k, _ = c.Next() {
		s := binary.BigEndian.Uint64(k)
		if s > r.seq {
			break
		}
		seqs = append(seqs, s)
	}
	for _, s := range seqs {
		if err := b.events.Delete(seqKey(s)); err != nil {
			return fmt.Errorf("delete event %d: %w", s, err)
		}
	}
	g.st.counters.Acked += uint64(len(seqs))

	for {
		t, ok := o.peekTomb(g)
		if !ok || t.seq > r.seq {
			break
		}
		g.popped++
		// A later upsert of the same entity has replaced the tombstone.
		if cur, ok := o.lookup(g, t.key); !ok || !cur.deleted || cur.seq != t.seq {
			continue
		}
		if err := b.snapshot.Delete([]byte(t.key)); err != nil {
			return fmt.Errorf("delete tombstone %s: %w", t.key, err)
		}
		g.entries[t.key] = entry{gone: true}
	}

	g.st.ackedSeq = r.seq
	g.dirty = true
	return nil
}

// Rewind sets the sent watermark back to seq, after a reconnect: the hub has
// applied everything up to seq, everything after it will be sent again and
// may be compacted again until then.
func (o *Outbox) Rewind(seq uint64) {
	o.mu.Lock()
	o.sent = seq
	o.mu.Unlock()
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}
