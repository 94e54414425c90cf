package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// Staff notices live in two top-level buckets:
//
//	notices/<id>                          hub.Notice
//	notices_open/<venue>/<created at,id>  nothing: a venue's open notices
//
// Like the incidents' buckets they are created by the first PutNotice, so
// files of every schema version read them alike.
var (
	bucketNotices     = []byte("notices")
	bucketNoticesOpen = []byte("notices_open")
)

// PutNotice stores a new notice and indexes it as open, in one
// transaction; a taken id is hub.ErrExists and changes nothing.
func (s *Store) PutNotice(ctx context.Context, n hub.Notice) error {
	if err := n.Validate(); err != nil {
		return fmt.Errorf("put notice: %w", err)
	}
	n.Wanted, n.CreatedAt, n.DoneAt = n.Wanted.UTC(), n.CreatedAt.UTC(), n.DoneAt.UTC()
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketVenues).Get([]byte(n.VenueID)) == nil {
			return fmt.Errorf("venue %q: %w", n.VenueID, hub.ErrNotFound)
		}
		if err := createBuckets(tx, bucketNotices, bucketNoticesOpen); err != nil {
			return err
		}
		all := tx.Bucket(bucketNotices)
		if all.Get([]byte(n.ID)) != nil {
			return hub.ErrExists
		}
		if n.Open() {
			open, err := nested(tx, bucketNoticesOpen, n.VenueID)
			if err != nil {
				return err
			}
			if err := open.Put(timeIDKey(n.CreatedAt, n.ID), nil); err != nil {
				return err
			}
		}
		return putJSON(all, n.ID, n)
	})
	if err != nil {
		return fmt.Errorf("put notice %q: %w", n.ID, err)
	}
	return nil
}

// VenueNotices lists the venue's open notices in the open index's order:
// by CreatedAt, then id.
func (s *Store) VenueNotices(ctx context.Context, venueID string) ([]hub.Notice, error) {
	list := []hub.Notice{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		open := existing(tx, bucketNoticesOpen, venueID)
		if open == nil {
			return nil
		}
		all := tx.Bucket(bucketNotices)
		return open.ForEach(func(k, _ []byte) error {
			var n hub.Notice
			if err := getJSON(all, "notice", string(k[timeKeyLen:]), &n); err != nil {
				return err
			}
			list = append(list, n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list notices of venue %q: %w", venueID, err)
	}
	return list, nil
}

// FinishNotice marks a notice done and drops it from the open index.
func (s *Store) FinishNotice(ctx context.Context, venueID, id string, at time.Time) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		all := tx.Bucket(bucketNotices)
		if all == nil {
			return fmt.Errorf("notice %q: %w", id, hub.ErrNotFound)
		}
		var n hub.Notice
		if err := getJSON(all, "notice", id, &n); err != nil {
			return err
		}
		if n.VenueID != venueID {
			// Said as "not found": staff learn nothing of other venues.
			return fmt.Errorf("notice %q: %w", id, hub.ErrNotFound)
		}
		if !n.Open() {
			return errRollback
		}
		n.DoneAt = at.UTC()
		if open := existing(tx, bucketNoticesOpen, venueID); open != nil {
			if err := open.Delete(timeIDKey(n.CreatedAt, n.ID)); err != nil {
				return err
			}
		}
		return putJSON(all, n.ID, n)
	})
	if err != nil && !errors.Is(err, errRollback) {
		return fmt.Errorf("finish notice: %w", err)
	}
	return nil
}
