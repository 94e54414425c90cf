package bolt

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// seqKey is the 8-byte big-endian key of a queue position.
func seqKey(seq int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(seq))
}

// pendingValue is a pending index entry's value: the message's NotBefore
// (a timeKey, so that a claim skips messages not due without reading
// them), then its key.
func pendingValue(m hub.Outgoing) []byte {
	return timeIDKey(m.NotBefore, m.Key)
}

// EnqueueOutgoing stores a pending message with the next Seq; ErrExists if
// its key is taken.
func (s *Store) EnqueueOutgoing(ctx context.Context, m hub.Outgoing) error {
	if m.Key == "" {
		return fmt.Errorf("enqueue outgoing message: %w", errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		q := tx.Bucket(bucketSendQueue)
		if q.Get([]byte(m.Key)) != nil {
			return hub.ErrExists
		}
		seq, err := q.NextSequence()
		if err != nil {
			return err
		}
		m.Seq, m.State, m.Attempts = int64(seq), hub.OutgoingPending, 0
		m.LeaseUntil, m.MsgID, m.FinishedAt, m.Error = time.Time{}, 0, time.Time{}, ""
		m.CreatedAt, m.NotBefore = m.CreatedAt.UTC(), m.NotBefore.UTC()
		if err := tx.Bucket(bucketSendPending).Put(seqKey(m.Seq), pendingValue(m)); err != nil {
			return err
		}
		return putJSON(q, m.Key, m)
	})
	if err != nil {
		return fmt.Errorf("enqueue outgoing message %q: %w", m.Key, err)
	}
	return nil
}

// Outgoing returns the message with key.
func (s *Store) Outgoing(ctx context.Context, key string) (hub.Outgoing, error) {
	var m hub.Outgoing
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketSendQueue), "outgoing message", key, &m)
	})
	return m, err
}

// ClaimOutgoing walks the pending index in Seq order and claims up to limit
// messages due at now.
func (s *Store) ClaimOutgoing(ctx context.Context, now time.Time, limit int,
	lease time.Duration) ([]hub.Outgoing, error) {
	if limit <= 0 {
		return nil, nil
	}
	var list []hub.Outgoing
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		q, pending := tx.Bucket(bucketSendQueue), tx.Bucket(bucketSendPending)
		sending := tx.Bucket(bucketSendSending)
		var claimed [][]byte
		c := pending.Cursor()
		for k, v := c.First(); k != nil && len(list) < limit; k, v = c.Next() {
			if keyTime(v).After(now) {
				continue
			}
			key := v[timeKeyLen:]
			var m hub.Outgoing
			if err := getJSON(q, "outgoing message", string(key), &m); err != nil {
				return err
			}
			m.State, m.LeaseUntil = hub.OutgoingSending, now.Add(lease).UTC()
			m.Attempts++
			if err := putJSON(q, m.Key, m); err != nil {
				return err
			}
			if err := sending.Put(key, nil); err != nil {
				return err
			}
			claimed = append(claimed, k)
			list = append(list, m)
		}
		if len(list) == 0 {
			return errRollback
		}
		for _, k := range claimed {
			if err := pending.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("claim outgoing messages: %w", err)
	}
	return list, nil
}

// ExpireOutgoing settles the claimed messages whose lease ran out by now.
func (s *Store) ExpireOutgoing(ctx context.Context, now time.Time) ([]hub.Outgoing, error) {
	var doubts []hub.Outgoing
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		q, sending := tx.Bucket(bucketSendQueue), tx.Bucket(bucketSendSending)
		var settled [][]byte
		err := sending.ForEach(func(key, _ []byte) error {
			var m hub.Outgoing
			if err := getJSON(q, "outgoing message", string(key), &m); err != nil {
				return err
			}
			if m.LeaseUntil.After(now) {
				return nil
			}
			m.LeaseUntil = time.Time{}
			if m.EditKey != "" {
				m.State = hub.OutgoingPending
				err := tx.Bucket(bucketSendPending).Put(seqKey(m.Seq), pendingValue(m))
				if err != nil {
					return err
				}
			} else {
				m.State, m.FinishedAt = hub.OutgoingDoubt, now.UTC()
				m.Error = "claim ran out before the send was recorded"
				doubts = append(doubts, m)
			}
			settled = append(settled, key)
			return putJSON(q, m.Key, m)
		})
		if err != nil {
			return err
		}
		if len(settled) == 0 {
			return errRollback
		}
		for _, k := range settled {
			if err := sending.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("expire outgoing messages: %w", err)
	}
	slices.SortFunc(doubts, func(a, b hub.Outgoing) int { return cmp.Compare(a.Seq, b.Seq) })
	return doubts, nil
}

// FinishOutgoing records a sender's result for a message.
func (s *Store) FinishOutgoing(ctx context.Context, key string, r hub.OutgoingResult) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		q := tx.Bucket(bucketSendQueue)
		var m hub.Outgoing
		if err := getJSON(q, "outgoing message", key, &m); err != nil {
			return err
		}
		if m.State == hub.OutgoingSent || m.State == hub.OutgoingFailed {
			return errRollback
		}
		if err := finishOutgoing(tx, &m, r); err != nil {
			return err
		}
		return putJSON(q, m.Key, m)
	})
	if err != nil && !errors.Is(err, errRollback) {
		return fmt.Errorf("finish outgoing message %q: %w", key, err)
	}
	return nil
}

// finishOutgoing moves m to r's state and keeps the indexes in step.
func finishOutgoing(tx *bbolt.Tx, m *hub.Outgoing, r hub.OutgoingResult) error {
	pending, sending := tx.Bucket(bucketSendPending), tx.Bucket(bucketSendSending)
	if err := sending.Delete([]byte(m.Key)); err != nil {
		return err
	}
	if err := pending.Delete(seqKey(m.Seq)); err != nil {
		return err
	}
	m.State, m.Error, m.LeaseUntil = r.State, r.Error, time.Time{}
	switch r.State {
	case hub.OutgoingPending:
		m.NotBefore = r.NotBefore.UTC()
		return pending.Put(seqKey(m.Seq), pendingValue(*m))
	case hub.OutgoingSent:
		m.MsgID, m.FinishedAt = r.MsgID, r.At.UTC()
	case hub.OutgoingFailed, hub.OutgoingDoubt:
		m.FinishedAt = r.At.UTC()
	default:
		return fmt.Errorf("unknown result state %q", r.State)
	}
	return nil
}

// SentSince lists the messages sent at or after since. It reads every
// message kept; a sender calls it once when it starts.
func (s *Store) SentSince(ctx context.Context, since time.Time) ([]hub.Outgoing, error) {
	var list []hub.Outgoing
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSendQueue).ForEach(func(key, raw []byte) error {
			var m hub.Outgoing
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("decode outgoing message %q: %w", key, err)
			}
			if m.State == hub.OutgoingSent && !m.FinishedAt.Before(since) {
				list = append(list, m)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list sent messages: %w", err)
	}
	slices.SortFunc(list, func(a, b hub.Outgoing) int {
		return cmp.Or(a.FinishedAt.Compare(b.FinishedAt), cmp.Compare(a.Seq, b.Seq))
	})
	return list, nil
}

// PruneOutgoing deletes finished messages finished before before.
func (s *Store) PruneOutgoing(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		q := tx.Bucket(bucketSendQueue)
		var old [][]byte
		err := q.ForEach(func(key, raw []byte) error {
			var m hub.Outgoing
			if err := getJSON(q, "outgoing message", string(key), &m); err != nil {
				return err
			}
			done := m.State == hub.OutgoingSent || m.State == hub.OutgoingFailed ||
				m.State == hub.OutgoingDoubt
			if done && m.FinishedAt.Before(before) {
				old = append(old, key)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(old) == 0 {
			return errRollback
		}
		for _, k := range old {
			if err := q.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return 0, fmt.Errorf("prune outgoing messages: %w", err)
	}
	return n, nil
}

// leaseRecord is a named lease as kept in the leases bucket.
type leaseRecord struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// ClaimLease gives the named lease to holder if it is free, ran out, or
// already holder's.
func (s *Store) ClaimLease(ctx context.Context, name, holder string, now time.Time,
	ttl time.Duration) (bool, error) {
	if name == "" || holder == "" {
		return false, fmt.Errorf("claim lease: %w", errEmptyID)
	}
	got := false
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLeases)
		var l leaseRecord
		err := getJSON(b, "lease", name, &l)
		if err != nil && !errors.Is(err, hub.ErrNotFound) {
			return err
		}
		if l.Holder != "" && l.Holder != holder && l.Until.After(now) {
			return errRollback
		}
		got = true
		return putJSON(b, name, leaseRecord{Holder: holder, Until: now.Add(ttl).UTC()})
	})
	if err != nil && !errors.Is(err, errRollback) {
		return false, fmt.Errorf("claim lease %q: %w", name, err)
	}
	return got, nil
}

// ReleaseLease frees the named lease if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLeases)
		var l leaseRecord
		if err := getJSON(b, "lease", name, &l); err != nil {
			if errors.Is(err, hub.ErrNotFound) {
				return errRollback
			}
			return err
		}
		if l.Holder != holder {
			return errRollback
		}
		return b.Delete([]byte(name))
	})
	if err != nil && !errors.Is(err, errRollback) {
		return fmt.Errorf("release lease %q: %w", name, err)
	}
	return nil
}
