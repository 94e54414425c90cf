package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
)

const agentColumns = `id, venue_id, secret_hash, created_at, revoked_at, applied_seq,
	applied_events, status`

func scanAgent(row pgx.Row) (hub.Agent, error) {
	var a hub.Agent
	var revoked *time.Time
	var seq, events int64
	var status []byte
	err := row.Scan(&a.ID, &a.VenueID, &a.SecretHash, &a.CreatedAt, &revoked, &seq, &events,
		&status)
	if err != nil {
		return hub.Agent{}, err
	}
	a.CreatedAt = utc(a.CreatedAt)
	if revoked != nil {
		at := revoked.UTC()
		a.RevokedAt = &at
	}
	a.AppliedSeq, a.AppliedEvents = uint64(seq), uint64(events)
	if err := json.Unmarshal(status, &a.Status); err != nil {
		return hub.Agent{}, fmt.Errorf("decode status of agent %q: %w", a.ID, err)
	}
	return a, nil
}

// insertAgent stores a new agent through q.
func insertAgent(ctx context.Context, q dbtx, a hub.Agent) error {
	if a.ID == "" || a.VenueID == "" {
		return fmt.Errorf("agent %q of venue %q: %w", a.ID, a.VenueID, errEmptyID)
	}
	if a.AppliedSeq > math.MaxInt64 || a.AppliedEvents > math.MaxInt64 {
		return fmt.Errorf("%w: applied sequence out of range", hub.ErrInvalid)
	}
	status, err := json.Marshal(a.Status)
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	_, err = q.Exec(ctx, `INSERT INTO agents (`+agentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, a.VenueID, a.SecretHash, a.CreatedAt, a.RevokedAt, int64(a.AppliedSeq),
		int64(a.AppliedEvents), status)
	return classify(err)
}

// CreateAgent stores a new agent; hub.ErrExists if the id is taken,
// hub.ErrNotFound if its venue does not exist.
func (s *Store) CreateAgent(ctx context.Context, a hub.Agent) error {
	if err := insertAgent(ctx, s.pool, a); err != nil {
		return fmt.Errorf("create agent %q: %w", a.ID, err)
	}
	return nil
}

// Agent returns an agent, revoked or not; hub.ErrNotFound if there is none
// with id.
func (s *Store) Agent(ctx context.Context, id string) (hub.Agent, error) {
	a, err := scanAgent(s.pool.QueryRow(ctx,
		`SELECT `+agentColumns+` FROM agents WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("agent", id)
	}
	if err != nil {
		return hub.Agent{}, fmt.Errorf("get agent: %w", err)
	}
	return a, nil
}

// Agents lists every agent, ordered by id.
func (s *Store) Agents(ctx context.Context) ([]hub.Agent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+agentColumns+` FROM agents ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	list, err := collect(rows, scanAgent)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return list, nil
}

// RevokeAgent marks an agent's credential revoked at the given time.
// Revoking twice keeps the first time.
func (s *Store) RevokeAgent(ctx context.Context, id string, at time.Time) error {
	err := s.updateAgent(ctx, `UPDATE agents SET revoked_at = coalesce(revoked_at, $2)
		WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("revoke agent: %w", err)
	}
	s.notifyRevoked(ctx, id)
	return nil
}

// UpdateAgentStatus records what the agent reported about itself.
func (s *Store) UpdateAgentStatus(ctx context.Context, id string, st hub.AgentStatus) error {
	status, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("update agent status: encode: %w", err)
	}
	err = s.updateAgent(ctx, `UPDATE agents SET status = $2 WHERE id = $1`, id, status)
	if err != nil {
		return fmt.Errorf("update agent status: %w", err)
	}
	return nil
}

// updateAgent runs an UPDATE of agent id ($1) and returns hub.ErrNotFound
// when there is no such agent.
func (s *Store) updateAgent(ctx context.Context, sql, id string, args ...any) error {
	if id == "" {
		return fmt.Errorf("agent: %w", errEmptyID)
	}
	tag, err := s.pool.Exec(ctx, sql, append([]any{id}, args...)...)
	if err != nil {
		return classify(err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("agent", id)
	}
	return nil
}

// CreateEnrollment stores a one-time enrollment code's hash; hub.ErrExists
// if the hash is taken, hub.ErrNotFound if the venue does not exist.
func (s *Store) CreateEnrollment(ctx context.Context, e hub.Enrollment) error {
	if len(e.CodeHash) == 0 || e.VenueID == "" {
		return fmt.Errorf("create enrollment: code hash or venue: %w", errEmptyID)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO enrollments (code_hash, venue_id, expires,
		created_at) VALUES ($1, $2, $3, $4)`, e.CodeHash, e.VenueID, e.Expires, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("create enrollment for venue %q: %w", e.VenueID, classify(err))
	}
	return nil
}

// RedeemEnrollment uses the code with hash codeHash at now to create agent
// a for the code's venue, in one transaction: the code works once, before it
// expires. An unknown, used or expired code is hub.ErrEnrollment; if the
// agent cannot be created, the code stays unused.
func (s *Store) RedeemEnrollment(ctx context.Context, codeHash []byte, now time.Time,
	a hub.Agent) (hub.Agent, error) {
	if a.ID == "" {
		return hub.Agent{}, fmt.Errorf("redeem enrollment: agent: %w", errEmptyID)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE enrollments SET used_at = $2, agent_id = $3
			WHERE code_hash = $1 AND used_at IS NULL AND expires > $2
			RETURNING venue_id`, codeHash, now, a.ID).Scan(&a.VenueID)
		if errors.Is(err, pgx.ErrNoRows) {
			return hub.ErrEnrollment
		}
		if err != nil {
			return err
		}
		return insertAgent(ctx, tx, a)
	})
	if err != nil {
		return hub.Agent{}, fmt.Errorf("redeem enrollment: %w", err)
	}
	return a, nil
}
