package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stolik/stolik/hub"
)

// CreateAPIKey implements hub.Store.
func (s *Store) CreateAPIKey(ctx context.Context, k hub.APIKey) error {
	if err := hub.ValidateAPIKey(k); err != nil {
		return fmt.Errorf("create api key %q: %w", k.ID, err)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_keys (id, name, key_hash, created_at, role)
			VALUES ($1, $2, $3, $4, $5)`, k.ID, k.Name, k.KeyHash, k.CreatedAt, k.Role); err != nil {
			return classify(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_key_venues (key_id, venue_id)
			SELECT $1, v FROM (SELECT DISTINCT unnest($2::text[]) AS v) AS u`, k.ID, k.VenueIDs)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("create api key %q: %w", k.ID, err)
	}
	return nil
}

// APIKeyByHash implements hub.Store.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (hub.APIKey, error) {
	var k hub.APIKey
	err := s.pool.QueryRow(ctx, `SELECT k.id, k.name, k.key_hash, k.created_at, k.revoked_at, k.role,
			coalesce(array_agg(v.venue_id ORDER BY v.venue_id)
				FILTER (WHERE v.venue_id IS NOT NULL), '{}')
		FROM api_keys k LEFT JOIN api_key_venues v ON v.key_id = k.id
		WHERE k.key_hash = $1 GROUP BY k.id`, hash).
		Scan(&k.ID, &k.Name, &k.KeyHash, &k.CreatedAt, &k.RevokedAt, &k.Role, &k.VenueIDs)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.APIKey{}, fmt.Errorf("api key: %w", hub.ErrNotFound)
	}
	if err != nil {
		return hub.APIKey{}, fmt.Errorf("api key: %w", err)
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if k.RevokedAt != nil {
		t := k.RevokedAt.UTC()
		k.RevokedAt = &t
	}
	return k, nil
}

// RevokeAPIKey implements hub.Store.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2)
		WHERE id = $1`, id, at.UTC())
	if err != nil {
		return fmt.Errorf("revoke api key %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke api key %q: %w", id, hub.ErrNotFound)
	}
	return nil
}
