package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// apiKeyRecord is an API key as stored; the hash is kept beside the rest,
// which hub.APIKey does not encode.
type apiKeyRecord struct {
	hub.APIKey
	Hash []byte `json:"hash"`
}

// CreateAPIKey implements hub.Store.
func (s *Store) CreateAPIKey(ctx context.Context, k hub.APIKey) error {
	if err := hub.ValidateAPIKey(k); err != nil {
		return fmt.Errorf("create api key %q: %w", k.ID, err)
	}
	k.VenueIDs = slices.Compact(slices.Sorted(slices.Values(k.VenueIDs)))
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		keys, hashes := tx.Bucket(bucketAPIKeys), tx.Bucket(bucketAPIKeyHashes)
		if keys.Get([]byte(k.ID)) != nil || hashes.Get(k.KeyHash) != nil {
			return hub.ErrExists
		}
		for _, v := range k.VenueIDs {
			if err := venueExists(tx, v); err != nil {
				return err
			}
		}
		raw, err := json.Marshal(apiKeyRecord{APIKey: k, Hash: k.KeyHash})
		if err != nil {
			return err
		}
		if err := keys.Put([]byte(k.ID), raw); err != nil {
			return err
		}
		return hashes.Put(k.KeyHash, []byte(k.ID))
	})
	if err != nil {
		return fmt.Errorf("create api key %q: %w", k.ID, err)
	}
	return nil
}

// APIKeyByHash implements hub.Store.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (hub.APIKey, error) {
	var k hub.APIKey
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id := tx.Bucket(bucketAPIKeyHashes).Get(hash)
		if id == nil {
			return fmt.Errorf("api key: %w", hub.ErrNotFound)
		}
		var err error
		k, err = getAPIKey(tx, string(id))
		return err
	})
	return k, err
}

// RevokeAPIKey implements hub.Store.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		k, err := getAPIKey(tx, id)
		if err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		at := at.UTC()
		k.RevokedAt = &at
		raw, err := json.Marshal(apiKeyRecord{APIKey: k, Hash: k.KeyHash})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketAPIKeys).Put([]byte(id), raw)
	})
	if err != nil {
		return fmt.Errorf("revoke api key %q: %w", id, err)
	}
	return nil
}

func getAPIKey(tx *bbolt.Tx, id string) (hub.APIKey, error) {
	raw := tx.Bucket(bucketAPIKeys).Get([]byte(id))
	if raw == nil {
		return hub.APIKey{}, fmt.Errorf("api key %q: %w", id, hub.ErrNotFound)
	}
	var r apiKeyRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return hub.APIKey{}, fmt.Errorf("api key %q: %w", id, err)
	}
	r.APIKey.KeyHash = r.Hash
	return r.APIKey, nil
}
