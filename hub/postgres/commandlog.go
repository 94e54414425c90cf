package postgres

import (
	"context"
	"fmt"
	"time"
)

// PruneCommands implements hub.Store, through the partial index
// commands_finished.
func (s *Store) PruneCommands(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM commands
		WHERE state <> 'pending' AND created_at < $1`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune commands: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
