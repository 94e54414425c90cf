package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// FallBackOutgoing clears the edit key of a message claimed as attempts
// whose lease runs past now, in one statement; the row lock orders it
// with ExpireOutgoing's settling of the same row.
func (s *Store) FallBackOutgoing(ctx context.Context, key string, attempts int,
	now time.Time) (bool, error) {
	var done *bool
	err := s.pool.QueryRow(ctx, `
		WITH upd AS (
			UPDATE outgoing SET edit_key = ''
			WHERE key = $1 AND state = 'sending' AND attempts = $2 AND lease_until > $3
			RETURNING key
		)
		SELECT EXISTS (SELECT 1 FROM upd) FROM outgoing WHERE key = $1`,
		key, attempts, now).Scan(&done)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("fall back to a new message: %w", notFound("outgoing message", key))
	}
	if err != nil {
		return false, fmt.Errorf("fall back to a new message %q: %w", key, err)
	}
	return done != nil && *done, nil
}
