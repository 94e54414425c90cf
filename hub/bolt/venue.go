package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// CreateVenue stores a new venue and its empty mirror; hub.ErrExists if the
// id is taken.
func (s *Store) CreateVenue(ctx context.Context, v hub.Venue) error {
	if v.ID == "" {
		return fmt.Errorf("create venue: %w", errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		venues := tx.Bucket(bucketVenues)
		if venues.Get([]byte(v.ID)) != nil {
			return hub.ErrExists
		}
		if _, err := tx.Bucket(bucketMirror).CreateBucketIfNotExists([]byte(v.ID)); err != nil {
			return err
		}
		return putJSON(venues, v.ID, v)
	})
	if err != nil {
		return fmt.Errorf("create venue %q: %w", v.ID, err)
	}
	return nil
}

// Venue returns one venue; hub.ErrNotFound if there is none with id.
func (s *Store) Venue(ctx context.Context, id string) (hub.Venue, error) {
	var v hub.Venue
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketVenues), "venue", id, &v)
	})
	if err != nil {
		return hub.Venue{}, fmt.Errorf("get venue: %w", err)
	}
	return v, nil
}

// Venues lists every venue, ordered by id.
func (s *Store) Venues(ctx context.Context) ([]hub.Venue, error) {
	var list []hub.Venue
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketVenues).ForEach(func(k, raw []byte) error {
			var v hub.Venue
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("decode venue %q: %w", k, err)
			}
			list = append(list, v)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list venues: %w", err)
	}
	return list, nil
}

// UpdateVenue replaces a venue's name, zone, mode, policy and chain; its id and
// creation time stay. It returns hub.ErrNotFound for an unknown venue.
func (s *Store) UpdateVenue(ctx context.Context, v hub.Venue) error {
	if v.ID == "" {
		return fmt.Errorf("update venue: %w", errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		venues := tx.Bucket(bucketVenues)
		var old hub.Venue
		if err := getJSON(venues, "venue", v.ID, &old); err != nil {
			return err
		}
		v.CreatedAt = old.CreatedAt
		return putJSON(venues, v.ID, v)
	})
	if err != nil {
		return fmt.Errorf("update venue %q: %w", v.ID, err)
	}
	return nil
}

// getVenue reads one venue in tx; hub.ErrNotFound if there is none.
func getVenue(tx *bbolt.Tx, id string) (hub.Venue, error) {
	var v hub.Venue
	err := getJSON(tx.Bucket(bucketVenues), "venue", id, &v)
	return v, err
}

// venueExists returns hub.ErrNotFound unless venue id exists.
func venueExists(tx *bbolt.Tx, id string) error {
	if tx.Bucket(bucketVenues).Get([]byte(id)) == nil {
		return fmt.Errorf("venue %q: %w", id, hub.ErrNotFound)
	}
	return nil
}
