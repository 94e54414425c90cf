package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
	"go.etcd.io/bbolt"
)

// ApplyBatch applies events to the mirror of the agent's venue in one
// transaction, together with the agent's applied sequence. It returns
// hub.ErrNotFound for an unknown agent and hub.ErrRevoked for a revoked one.
//
// The whole batch is checked before anything is written, and a bad batch
// changes nothing: sequence numbers must be above zero and strictly
// increasing (gaps are fine), and every event of a known entity kind needs an
// id, an op of upsert or delete and, for an upsert, data that decodes as that
// entity with the same id. Events at or below the agent's applied sequence
// are then skipped, so a resent batch changes nothing.
//
// Events of an entity kind this build does not know come from a newer agent:
// they are not stored, but their sequence numbers count as applied so that
// such an agent is not stuck resending them.
func (s *Store) ApplyBatch(ctx context.Context, agentID string, events []wire.Event) (
	hub.ApplyResult, error) {
	if agentID == "" {
		return hub.ApplyResult{}, fmt.Errorf("apply batch: agent: %w", errEmptyID)
	}
	if err := hub.CheckBatch(events); err != nil {
		return hub.ApplyResult{}, fmt.Errorf("apply batch of agent %q: %w", agentID, err)
	}

	var res hub.ApplyResult
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		r, err := getAgent(tx, agentID)
		if err != nil {
			return err
		}
		if r.RevokedAt != nil {
			return fmt.Errorf("agent %q: %w", agentID, hub.ErrRevoked)
		}

		res = hub.ApplyResult{Seq: r.AppliedSeq}
		fresh := events
		for len(fresh) > 0 && fresh[0].Seq <= r.AppliedSeq {
			fresh = fresh[1:]
		}
		res.Skipped = len(events) - len(fresh)
		if len(fresh) == 0 {
			return errRollback
		}

		mirror, err := tx.Bucket(bucketMirror).CreateBucketIfNotExists([]byte(r.VenueID))
		if err != nil {
			return fmt.Errorf("mirror of venue %q: %w", r.VenueID, err)
		}
		turns, err := tx.Bucket(bucketTurns).CreateBucketIfNotExists([]byte(r.VenueID))
		if err != nil {
			return fmt.Errorf("turn times of venue %q: %w", r.VenueID, err)
		}
		for _, e := range fresh {
			if err := recordTurn(mirror, turns, e); err != nil {
				return fmt.Errorf("event %d (%s): %w", e.Seq, e.Key(), err)
			}
			if err := applyEvent(mirror, e); err != nil {
				return fmt.Errorf("event %d (%s): %w", e.Seq, e.Key(), err)
			}
		}
		if err := mirror.SetSequence(mirror.Sequence() + 1); err != nil {
			return fmt.Errorf("mirror of venue %q: %w", r.VenueID, err)
		}

		r.AppliedSeq = fresh[len(fresh)-1].Seq
		r.AppliedEvents += uint64(len(fresh))
		res.Seq, res.Applied = r.AppliedSeq, len(fresh)
		return putAgent(tx, r)
	})
	if err != nil && !errors.Is(err, errRollback) {
		return hub.ApplyResult{}, fmt.Errorf("apply batch: %w", err)
	}
	return res, nil
}

// recordTurn keeps, when e deletes an open order, how long the order was
// open (keyed by the time it closed, then its id).
func recordTurn(mirror, turns *bbolt.Bucket, e wire.Event) error {
	if e.Entity != wire.EntityOrder || e.Op != wire.OpDelete || e.At.IsZero() {
		return nil
	}
	raw := mirror.Get([]byte(e.Key()))
	if raw == nil {
		return nil
	}
	var o orderTimes
	if err := json.Unmarshal(raw, &o); err != nil {
		return fmt.Errorf("decode order: %w", err)
	}
	if !e.At.After(o.OpenedAt) {
		return nil
	}
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, uint64(e.At.Sub(o.OpenedAt)))
	return turns.Put(append(timeKey(e.At), e.ID...), v)
}

// learnedTurn returns the venue's learned turn time from its last closed
// orders (hub.LearnedTurnTime), or 0.
func learnedTurn(tx *bbolt.Tx, venueID string) time.Duration {
	turns := tx.Bucket(bucketTurns).Bucket([]byte(venueID))
	if turns == nil {
		return 0
	}
	return hub.LearnedTurnTime(lastTurns(turns, hub.LearnedWindow))
}

// lastTurns reads up to n turn times, newest first.
func lastTurns(turns *bbolt.Bucket, n int) []time.Duration {
	var out []time.Duration
	c := turns.Cursor()
	for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
		out = append(out, time.Duration(binary.BigEndian.Uint64(v)))
	}
	return out
}

// TurnTimes implements hub.Store.
func (s *Store) TurnTimes(ctx context.Context, venueID string, limit int) ([]time.Duration,
	error) {
	var out []time.Duration
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if err := venueExists(tx, venueID); err != nil {
			return err
		}
		if turns := tx.Bucket(bucketTurns).Bucket([]byte(venueID)); turns != nil {
			out = lastTurns(turns, limit)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("turn times of venue %q: %w", venueID, err)
	}
	return out, nil
}

// applyEvent writes one checked event into a venue's mirror.
func applyEvent(mirror *bbolt.Bucket, e wire.Event) error {
	if !hub.KnownEntity(e.Entity) {
		return nil
	}
	key := []byte(e.Key())
	if e.Op == wire.OpDelete {
		return mirror.Delete(key)
	}
	return mirror.Put(key, e.Data)
}

// ResetMirror implements hub.Store.
func (s *Store) ResetMirror(ctx context.Context, agentID string, seq uint64) error {
	if agentID == "" {
		return fmt.Errorf("reset mirror: agent: %w", errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		r, err := getAgent(tx, agentID)
		if err != nil {
			return err
		}
		// The new, empty mirror's generation follows the old one's.
		mirrors := tx.Bucket(bucketMirror)
		var gen uint64
		if old := mirrors.Bucket([]byte(r.VenueID)); old != nil {
			gen = old.Sequence()
			if err := mirrors.DeleteBucket([]byte(r.VenueID)); err != nil {
				return fmt.Errorf("mirror of venue %q: %w", r.VenueID, err)
			}
		}
		mirror, err := mirrors.CreateBucket([]byte(r.VenueID))
		if err == nil {
			err = mirror.SetSequence(gen + 1)
		}
		if err != nil {
			return fmt.Errorf("mirror of venue %q: %w", r.VenueID, err)
		}
		r.AppliedSeq = seq
		return putAgent(tx, r)
	})
	if err != nil {
		return fmt.Errorf("reset mirror: %w", err)
	}
	return nil
}

// VenueState returns the mirror of a venue, each list ordered by id (empty
// lists, not nil, for what the venue has none of). It returns
// hub.ErrNotFound for an unknown venue.
func (s *Store) VenueState(ctx context.Context, venueID string) (hub.VenueState, error) {
	st := hub.NewVenueState(venueID)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketVenues).Get([]byte(venueID)) == nil {
			return fmt.Errorf("venue %q: %w", venueID, hub.ErrNotFound)
		}
		mirror := tx.Bucket(bucketMirror).Bucket([]byte(venueID))
		if mirror == nil {
			return nil
		}
		// Keys are "kind/id", so a cursor walks each kind in id order.
		return mirror.ForEach(func(k, v []byte) error {
			if err := st.Add(string(k), v); err != nil {
				return fmt.Errorf("venue %q: decode %s: %w", venueID, k, err)
			}
			return nil
		})
	})
	if err != nil {
		return hub.VenueState{}, fmt.Errorf("venue state: %w", err)
	}
	return st, nil
}
