package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stolik/stolik/hub"
)

const incidentColumns = `id, agent_id, venue_id, kind, since, opened_at, cleared_at,
	resolved_at, detail`

func scanIncident(row pgx.Row) (hub.Incident, error) {
	var in hub.Incident
	var since, cleared, resolved *time.Time
	err := row.Scan(&in.ID, &in.AgentID, &in.VenueID, &in.Kind, &since, &in.OpenedAt,
		&cleared, &resolved, &in.Detail)
	in.Since, in.ClearedAt, in.ResolvedAt = fromNull(since), fromNull(cleared), fromNull(resolved)
	in.OpenedAt = utc(in.OpenedAt)
	return in, err
}

// PutIncident implements hub.Store. The partial unique index
// incidents_open refuses a second unresolved incident of an agent and
// kind (hub.ErrExists).
func (s *Store) PutIncident(ctx context.Context, in hub.Incident) error {
	if err := in.Validate(); err != nil {
		return fmt.Errorf("put incident: %w", err)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO incidents (`+incidentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET agent_id = EXCLUDED.agent_id,
			venue_id = EXCLUDED.venue_id, kind = EXCLUDED.kind, since = EXCLUDED.since,
			opened_at = EXCLUDED.opened_at, cleared_at = EXCLUDED.cleared_at,
			resolved_at = EXCLUDED.resolved_at, detail = EXCLUDED.detail`,
		in.ID, in.AgentID, in.VenueID, string(in.Kind), nullTime(in.Since), in.OpenedAt,
		nullTime(in.ClearedAt), nullTime(in.ResolvedAt), in.Detail)
	if err != nil {
		return fmt.Errorf("put incident %q: %w", in.ID, classify(err))
	}
	return nil
}

// Incident implements hub.Store.
func (s *Store) Incident(ctx context.Context, id string) (hub.Incident, error) {
	in, err := scanIncident(s.pool.QueryRow(ctx,
		`SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.Incident{}, notFound("incident", id)
	}
	if err != nil {
		return hub.Incident{}, fmt.Errorf("incident %q: %w", id, err)
	}
	return in, nil
}

// OpenIncidents implements hub.Store.
func (s *Store) OpenIncidents(ctx context.Context) ([]hub.Incident, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE resolved_at IS NULL ORDER BY agent_id, kind`)
	if err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	list, err := collect(rows, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	return list, nil
}

// AgentIncidents implements hub.Store.
func (s *Store) AgentIncidents(ctx context.Context, agentID string, limit int) (
	[]hub.Incident, error) {
	sql := `SELECT ` + incidentColumns + ` FROM incidents WHERE agent_id = $1
		ORDER BY opened_at DESC, id DESC`
	args := []any{agentID}
	if limit > 0 {
		sql += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents of agent %q: %w", agentID, err)
	}
	list, err := collect(rows, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("list incidents of agent %q: %w", agentID, err)
	}
	return list, nil
}
