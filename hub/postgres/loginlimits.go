package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
)

// CountLoginFailure implements hub.Store: one upsert, so that replicas
// counting the same key at once each count once (the row is locked).
func (s *Store) CountLoginFailure(ctx context.Context, key string, now time.Time,
	window time.Duration) (hub.LoginFailures, error) {
	if key == "" {
		return hub.LoginFailures{}, fmt.Errorf("count login failure: %w", errEmptyID)
	}
	now = now.UTC()
	var f hub.LoginFailures
	// In SET, f.window_start is the row as it was.
	err := s.pool.QueryRow(ctx, `
		INSERT INTO login_failures AS f (key, window_start, failures) VALUES ($1, $2, 1)
		ON CONFLICT (key) DO UPDATE SET
			window_start = CASE WHEN f.window_start <= $3 THEN excluded.window_start
				ELSE f.window_start END,
			failures = CASE WHEN f.window_start <= $3 THEN 1 ELSE f.failures + 1 END
		RETURNING window_start, failures`, key, now, now.Add(-window)).
		Scan(&f.Start, &f.Count)
	if err != nil {
		return hub.LoginFailures{}, fmt.Errorf("count login failure: %w", classify(err))
	}
	f.Start = f.Start.UTC()
	return f, nil
}

// LoginFailures implements hub.Store.
func (s *Store) LoginFailures(ctx context.Context, key string, now time.Time,
	window time.Duration) (hub.LoginFailures, error) {
	var f hub.LoginFailures
	err := s.pool.QueryRow(ctx, `SELECT window_start, failures FROM login_failures
		WHERE key = $1 AND window_start > $2`, key, now.UTC().Add(-window)).
		Scan(&f.Start, &f.Count)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.LoginFailures{}, nil
	}
	if err != nil {
		return hub.LoginFailures{}, fmt.Errorf("read login failures: %w", err)
	}
	f.Start = f.Start.UTC()
	return f, nil
}

// ClearLoginFailures implements hub.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`,
		key); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures implements hub.Store.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE window_start < $1`,
		before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune login failures: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
