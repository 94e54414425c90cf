package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// FallBackOutgoing clears the EditKey of a message claimed as attempts
// whose lease runs past now.
func (s *Store) FallBackOutgoing(ctx context.Context, key string, attempts int,
	now time.Time) (bool, error) {
	done := false
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		q := tx.Bucket(bucketSendQueue)
		var m hub.Outgoing
		if err := getJSON(q, "outgoing message", key, &m); err != nil {
			return err
		}
		if m.State != hub.OutgoingSending || m.Attempts != attempts ||
			!m.LeaseUntil.After(now) {
			return errRollback
		}
		if m.EditKey == "" {
			done = true
			return errRollback
		}
		m.EditKey, done = "", true
		return putJSON(q, m.Key, m)
	})
	if err != nil && !errors.Is(err, errRollback) {
		return false, fmt.Errorf("fall back to a new message: %w", err)
	}
	return done, nil
}
