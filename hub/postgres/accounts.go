package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stolik/stolik/hub"
)

// CreateUser implements hub.Store.
func (s *Store) CreateUser(ctx context.Context, u hub.User) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, err)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, password_hash, role,
			lang, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, u.Email, u.PasswordHash,
			u.Role, u.Lang, u.CreatedAt); err != nil {
			return classify(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO user_venues (user_id, venue_id)
			SELECT $1, v FROM (SELECT DISTINCT unnest($2::text[]) AS v) AS u`, u.ID, u.VenueIDs)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, err)
	}
	return nil
}

const userQuery = `SELECT u.id, u.email, u.password_hash, u.role, u.lang, u.created_at,
		coalesce(array_agg(v.venue_id ORDER BY v.venue_id)
			FILTER (WHERE v.venue_id IS NOT NULL), '{}')
	FROM users u LEFT JOIN user_venues v ON v.user_id = u.id`

func (s *Store) user(ctx context.Context, where, arg string) (hub.User, error) {
	var u hub.User
	err := s.pool.QueryRow(ctx, userQuery+" WHERE "+where+" GROUP BY u.id", arg).
		Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &u.Lang, &u.CreatedAt, &u.VenueIDs)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.User{}, notFound("user", arg)
	}
	if err != nil {
		return hub.User{}, fmt.Errorf("user %q: %w", arg, err)
	}
	u.CreatedAt = utc(u.CreatedAt)
	if len(u.VenueIDs) == 0 {
		u.VenueIDs = nil
	}
	return u, nil
}

// UserByEmail implements hub.Store.
func (s *Store) UserByEmail(ctx context.Context, email string) (hub.User, error) {
	return s.user(ctx, "u.email = $1", hub.NormalizeEmail(email))
}

// User implements hub.Store.
func (s *Store) User(ctx context.Context, id string) (hub.User, error) {
	return s.user(ctx, "u.id = $1", id)
}

// CreateSession implements hub.Store.
func (s *Store) CreateSession(ctx context.Context, se hub.Session) error {
	if len(se.IDHash) == 0 || se.UserID == "" {
		return fmt.Errorf("create session: %w: id hash and user are required", hub.ErrInvalid)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, created_at,
		expires) VALUES ($1, $2, $3, $4, $5)`, se.IDHash, se.UserID, se.CSRF, se.CreatedAt,
		se.Expires)
	if err != nil {
		return fmt.Errorf("create session of user %q: %w", se.UserID, classify(err))
	}
	return nil
}

// Session implements hub.Store.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (hub.Session,
	error) {
	se := hub.Session{IDHash: idHash}
	err := s.pool.QueryRow(ctx, `SELECT user_id, csrf, created_at, expires FROM sessions
		WHERE id_hash = $1 AND expires > $2`, idHash, now).
		Scan(&se.UserID, &se.CSRF, &se.CreatedAt, &se.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.Session{}, fmt.Errorf("session: %w", hub.ErrNotFound)
	}
	if err != nil {
		return hub.Session{}, fmt.Errorf("session: %w", err)
	}
	se.CreatedAt, se.Expires = utc(se.CreatedAt), utc(se.Expires)
	return se, nil
}

// DeleteSession implements hub.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements hub.Store.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// RecordAgentSamples implements hub.Store: one statement for the batch.
func (s *Store) RecordAgentSamples(ctx context.Context, samples []hub.AgentSample) error {
	if len(samples) == 0 {
		return nil
	}
	n := len(samples)
	ids, minutes := make([]string, n), make([]time.Time, n)
	applied, backlog := make([]int64, n), make([]int64, n)
	connected, since := make([]bool, n), make([]*time.Time, n)
	for i, sm := range samples {
		ids[i], minutes[i] = sm.AgentID, sm.Minute.UTC().Truncate(time.Minute)
		applied[i], backlog[i] = int64(sm.AppliedEvents), int64(sm.Backlog)
		connected[i] = sm.Connected
		if !sm.ConnectedSince.IsZero() {
			t := sm.ConnectedSince.UTC()
			since[i] = &t
		}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO agent_samples (agent_id, minute, applied_events,
			backlog, connected, connected_since)
		SELECT x.* FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[],
			$5::boolean[], $6::timestamptz[]) AS x(agent_id, minute, a, b, c, s)
		JOIN agents ag ON ag.id = x.agent_id
		ON CONFLICT (agent_id, minute) DO UPDATE SET applied_events = excluded.applied_events,
			backlog = excluded.backlog, connected = excluded.connected,
			connected_since = excluded.connected_since`,
		ids, minutes, applied, backlog, connected, since)
	if err != nil {
		return fmt.Errorf("record agent samples: %w", err)
	}
	return nil
}

// AgentSamples implements hub.Store.
func (s *Store) AgentSamples(ctx context.Context, agentID string, from time.Time) (
	[]hub.AgentSample, error) {
	rows, err := s.pool.Query(ctx, `SELECT minute, applied_events, backlog, connected,
			connected_since
		FROM agent_samples WHERE agent_id = $1 AND minute >= $2 ORDER BY minute`, agentID, from)
	if err != nil {
		return nil, fmt.Errorf("samples of agent %q: %w", agentID, err)
	}
	defer rows.Close()
	var list []hub.AgentSample
	for rows.Next() {
		sm := hub.AgentSample{AgentID: agentID}
		var applied, backlog int64
		var since *time.Time
		if err := rows.Scan(&sm.Minute, &applied, &backlog, &sm.Connected, &since); err != nil {
			return nil, fmt.Errorf("samples of agent %q: %w", agentID, err)
		}
		sm.Minute, sm.ConnectedSince = utc(sm.Minute), fromNull(since)
		sm.AppliedEvents, sm.Backlog = uint64(applied), uint64(backlog)
		list = append(list, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("samples of agent %q: %w", agentID, err)
	}
	return list, nil
}

// PruneAgentSamples implements hub.Store.
func (s *Store) PruneAgentSamples(ctx context.Context, before time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM agent_samples WHERE minute < $1`,
		before); err != nil {
		return fmt.Errorf("prune agent samples: %w", err)
	}
	return nil
}

// RecentCommands implements hub.Store.
func (s *Store) RecentCommands(ctx context.Context, agentID string, limit int) (
	[]hub.Command, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.pool.Query(ctx, `SELECT `+commandColumns+` FROM commands
		WHERE agent_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, agentID, limit)
	if err != nil {
		return nil, fmt.Errorf("recent commands of agent %q: %w", agentID, err)
	}
	defer rows.Close()
	var list []hub.Command
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, fmt.Errorf("recent commands of agent %q: %w", agentID, err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recent commands of agent %q: %w", agentID, err)
	}
	return list, nil
}
