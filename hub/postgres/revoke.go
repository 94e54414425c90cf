package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RevokedChannel is the channel RevokeAgent notifies, with the agent id.
const RevokedChannel = "stolik_revoked"

// notifyRevoked tells every replica that agent id was revoked. A failure
// is only logged: the revocation is committed, and the replica holding the
// agent finds it on the agent's next status, within a minute.
func (s *Store) notifyRevoked(ctx context.Context, id string) {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, RevokedChannel, id); err != nil {
		s.log.Warn("notify replicas of a revoked agent; the replica holding it "+
			"closes it on its next status instead", "agent", id, "err", err)
	}
}

// ListenRevoked calls fn with the id of every agent revoked, by any
// process on the database, until ctx is done; it then returns ctx.Err().
// After a lost listening connection it calls fn for every revoked agent,
// since notifications sent meanwhile are gone. Every replica runs it with
// its gateway's DropRevoked, so that a revoked agent is disconnected at
// once wherever it is connected. fn runs on the listening goroutine and
// should return quickly.
func (s *Store) ListenRevoked(ctx context.Context, fn func(agentID string)) error {
	return s.listen(ctx, RevokedChannel, func(ctx context.Context, conn *pgx.Conn,
		again bool) error {
		if !again {
			return nil
		}
		rows, err := conn.Query(ctx, `SELECT id FROM agents WHERE revoked_at IS NOT NULL`)
		if err != nil {
			return fmt.Errorf("revoked agents: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("revoked agents: %w", err)
		}
		for _, id := range ids {
			fn(id)
		}
		return nil
	}, fn)
}
