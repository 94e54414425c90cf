package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// Failed sign-ins are kept in a top-level bucket created by the first
// failure, so files of every schema version read them alike:
//
//	login_failures/<key>   window start (timeKey), then the count (8 bytes)
var bucketLoginFailures = []byte("login_failures")

const loginFailureLen = timeKeyLen + 8

func encodeLoginFailures(f hub.LoginFailures) []byte {
	v := appendTimeKey(make([]byte, 0, loginFailureLen), f.Start)
	return binary.BigEndian.AppendUint64(v, uint64(f.Count))
}

func decodeLoginFailures(key, v []byte) (hub.LoginFailures, error) {
	if len(v) != loginFailureLen {
		return hub.LoginFailures{}, fmt.Errorf("login failures of %q: %d bytes, want %d",
			key, len(v), loginFailureLen)
	}
	return hub.LoginFailures{Start: keyTime(v),
		Count: int(binary.BigEndian.Uint64(v[timeKeyLen:]))}, nil
}

// currentLoginFailures returns the window stored at key of b that still covers now.
func currentLoginFailures(b *bbolt.Bucket, key string, now time.Time,
	window time.Duration) (hub.LoginFailures, error) {
	if b == nil {
		return hub.LoginFailures{}, nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return hub.LoginFailures{}, nil
	}
	f, err := decodeLoginFailures([]byte(key), v)
	if err != nil || !f.Start.Add(window).After(now) {
		return hub.LoginFailures{}, err
	}
	return f, nil
}

// CountLoginFailure implements hub.Store.
func (s *Store) CountLoginFailure(ctx context.Context, key string, now time.Time,
	window time.Duration) (hub.LoginFailures, error) {
	if key == "" {
		return hub.LoginFailures{}, fmt.Errorf("count login failure: %w", errEmptyID)
	}
	now = now.UTC()
	var f hub.LoginFailures
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := createBuckets(tx, bucketLoginFailures); err != nil {
			return err
		}
		b := tx.Bucket(bucketLoginFailures)
		var err error
		if f, err = currentLoginFailures(b, key, now, window); err != nil {
			return err
		}
		if f.Count == 0 {
			f.Start = now
		}
		f.Count++
		return b.Put([]byte(key), encodeLoginFailures(f))
	})
	if err != nil {
		return hub.LoginFailures{}, fmt.Errorf("count login failure: %w", err)
	}
	return f, nil
}

// LoginFailures implements hub.Store.
func (s *Store) LoginFailures(ctx context.Context, key string, now time.Time,
	window time.Duration) (hub.LoginFailures, error) {
	var f hub.LoginFailures
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		f, err = currentLoginFailures(tx.Bucket(bucketLoginFailures), key, now.UTC(), window)
		return err
	})
	if err != nil {
		return hub.LoginFailures{}, fmt.Errorf("read login failures: %w", err)
	}
	return f, nil
}

// ClearLoginFailures implements hub.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLoginFailures)
		if b == nil || b.Get([]byte(key)) == nil {
			return errRollback
		}
		return b.Delete([]byte(key))
	})
	if err != nil && !errors.Is(err, errRollback) {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures implements hub.Store. The bucket holds one entry per
// key that failed since the last prune, so it is read whole.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int, error) {
	end := timeKey(before.UTC())
	var old [][]byte
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLoginFailures)
		if b == nil {
			return errRollback
		}
		err := b.ForEach(func(k, v []byte) error {
			// A value of the wrong size cannot be read: prune it too.
			if len(v) != loginFailureLen || bytes.Compare(v[:timeKeyLen], end) < 0 {
				old = append(old, bytes.Clone(k))
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
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return 0, fmt.Errorf("prune login failures: %w", err)
	}
	return len(old), nil
}
