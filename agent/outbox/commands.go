package outbox

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stolik/stolik/shared/wire"
)

// A command record in the commands bucket is one state byte and then:
//
//	's' started:  8 bytes, when it started (Unix nanoseconds)
//	'f' finished: 8 bytes, the order it finished in; the wire.Result as JSON
//	'a' acked:    8 bytes, when the hub acknowledged the result (Unix ns)
const (
	cmdStarted  = 's'
	cmdFinished = 'f'
	cmdAcked    = 'a'
)

// interruptedMessage explains a command found started but never finished.
const interruptedMessage = "the agent stopped while running this command; " +
	"check in the RMS whether it took effect"

// Begin says what to do with a command delivered by the hub.
type Begin struct {
	// Run is true for a command seen for the first time: it is now recorded
	// as started and the caller runs it, then calls FinishCommand.
	Run bool
	// Result, when Run is false, is a result to send (again) to the hub.
	// It is nil when there is nothing to send: the hub already acknowledged
	// the result, or this process is still running the command.
	Result *wire.Result
}

// BeginCommand records a command id durably before the command runs, so
// that a redelivered command never runs twice:
//
//   - a new id is recorded as started: Run is true;
//   - a command finished before: Result is its stored result, to send again;
//   - a command started but never finished because the agent stopped while
//     running it: Result is a failure with wire.CodeInterrupted telling to
//     check the RMS, and that result is stored;
//   - a command started by this process and still running: nothing to do;
//   - a command whose result the hub acknowledged (ids are kept for seven
//     days after the acknowledgement): nothing to do.
func (o *Outbox) BeginCommand(ctx context.Context, c wire.Command) (Begin, error) {
	if c.ID == "" {
		return Begin{}, errors.New("begin command: empty id")
	}
	r := &request{kind: reqBegin, id: c.ID}
	if err := o.send(ctx, r); err != nil {
		return Begin{}, fmt.Errorf("begin command %s: %w", c.ID, err)
	}
	return r.begin, nil
}

func (o *Outbox) applyBegin(b buckets, g *group, r *request) error {
	key := []byte(r.id)
	v := b.commands.Get(key)
	if v == nil {
		rec := make([]byte, 9)
		rec[0] = cmdStarted
		binary.BigEndian.PutUint64(rec[1:], uint64(g.now.UnixNano()))
		if err := b.commands.Put(key, rec); err != nil {
			return fmt.Errorf("put command %s: %w", r.id, err)
		}
		g.started = append(g.started, r.id)
		g.dirty = true
		r.begin = Begin{Run: true}
		return nil
	}

	switch recordState(v) {
	case cmdStarted:
		if o.running[r.id] || slices.Contains(g.started, r.id) {
			return nil
		}
		res := wire.Result{
			CommandID: r.id, Code: wire.CodeInterrupted, Message: interruptedMessage,
		}
		enc, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("encode result %s: %w", r.id, err)
		}
		if err := o.putFinished(b, g, r.id, enc); err != nil {
			return err
		}
		r.begin = Begin{Result: &res}
	case cmdFinished:
		res, err := decodeFinished(v)
		if err != nil {
			r.err = fmt.Errorf("stored result: %w", err)
			return nil
		}
		r.begin = Begin{Result: &res}
	case cmdAcked:
	default:
		r.err = fmt.Errorf("stored record has unknown state %q", recordState(v))
	}
	return nil
}

// FinishCommand stores the result of a command begun with BeginCommand and
// makes it the last command. The result is kept until AckResult. Finishing
// a command that already has a result keeps the first result.
func (o *Outbox) FinishCommand(ctx context.Context, r wire.Result) error {
	if r.CommandID == "" {
		return errors.New("finish command: result without command id")
	}
	enc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("finish command %s: %w", r.CommandID, err)
	}
	req := &request{kind: reqFinish, id: r.CommandID, result: enc}
	if err := o.send(ctx, req); err != nil {
		return fmt.Errorf("finish command %s: %w", r.CommandID, err)
	}
	return nil
}

func (o *Outbox) applyFinish(b buckets, g *group, r *request) error {
	v := b.commands.Get([]byte(r.id))
	if st := recordState(v); st == cmdFinished || st == cmdAcked {
		return nil
	}
	return o.putFinished(b, g, r.id, r.result)
}

// putFinished stores a command's result and makes it the last command.
func (o *Outbox) putFinished(b buckets, g *group, id string, result []byte) error {
	g.st.cmdOrder++
	rec := make([]byte, 9+len(result))
	rec[0] = cmdFinished
	binary.BigEndian.PutUint64(rec[1:], g.st.cmdOrder)
	copy(rec[9:], result)
	if err := b.commands.Put([]byte(id), rec); err != nil {
		return fmt.Errorf("put result %s: %w", id, err)
	}
	g.st.lastCommand = id
	g.finished = append(g.finished, id)
	g.dirty = true
	return nil
}

// recordState returns the state byte of a command record, or 0.
func recordState(v []byte) byte {
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

func decodeFinished(v []byte) (wire.Result, error) {
	var res wire.Result
	if len(v) < 9 {
		return res, fmt.Errorf("finished record of %d bytes", len(v))
	}
	if err := json.Unmarshal(v[9:], &res); err != nil {
		return res, fmt.Errorf("decode result: %w", err)
	}
	return res, nil
}

// UnackedResults returns the stored results the hub has not acknowledged,
// oldest first.
func (o *Outbox) UnackedResults() ([]wire.Result, error) {
	o.closeMu.RLock()
	defer o.closeMu.RUnlock()
	if o.closed {
		return nil, ErrClosed
	}

	type ordered struct {
		order uint64
		res   wire.Result
	}
	var found []ordered
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCommands).ForEach(func(k, v []byte) error {
			if recordState(v) != cmdFinished {
				return nil
			}
			res, err := decodeFinished(v)
			if err != nil {
				return fmt.Errorf("command %s: %w", k, err)
			}
			found = append(found, ordered{binary.BigEndian.Uint64(v[1:]), res})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("unacked results: %w", err)
	}

	slices.SortFunc(found, func(a, b ordered) int { return cmp.Compare(a.order, b.order) })
	out := make([]wire.Result, len(found))
	for i, f := range found {
		out[i] = f.res
	}
	return out, nil
}

// AckResult records that the hub stored the result of commandID. The result
// is dropped; the id is kept for seven days so that a late redelivery of the
// command still does not run. Older ids are pruned. Acking an unknown or
// already acknowledged id does nothing.
func (o *Outbox) AckResult(ctx context.Context, commandID string) error {
	if commandID == "" {
		return errors.New("ack result: empty command id")
	}
	if err := o.send(ctx, &request{kind: reqAckResult, id: commandID}); err != nil {
		return fmt.Errorf("ack result %s: %w", commandID, err)
	}
	return nil
}

func (o *Outbox) applyAckResult(b buckets, g *group, r *request) error {
	key := []byte(r.id)
	v := b.commands.Get(key)
	if recordState(v) != cmdFinished {
		return nil
	}
	rec := make([]byte, 9)
	rec[0] = cmdAcked
	binary.BigEndian.PutUint64(rec[1:], uint64(g.now.UnixNano()))
	if err := b.commands.Put(key, rec); err != nil {
		return fmt.Errorf("put command %s: %w", r.id, err)
	}
	g.dirty = true
	return pruneCommands(b.commands, g.now)
}

// pruneCommands deletes the ids of commands acknowledged more than
// commandRetention before now.
func pruneCommands(commands *bolt.Bucket, now time.Time) error {
	limit := now.Add(-commandRetention).UnixNano()
	var old [][]byte
	err := commands.ForEach(func(k, v []byte) error {
		if len(v) >= 9 && v[0] == cmdAcked && int64(binary.BigEndian.Uint64(v[1:])) < limit {
			old = append(old, slices.Clone(k))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("prune commands: %w", err)
	}
	for _, k := range old {
		if err := commands.Delete(k); err != nil {
			return fmt.Errorf("prune command %s: %w", k, err)
		}
	}
	return nil
}
