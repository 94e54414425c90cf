package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
)

// ScheduleJob stores a job. A job with the same id is replaced and its
// lease ends; its Attempts are kept.
func (s *Store) ScheduleJob(ctx context.Context, j hub.Job) error {
	if j.ID == "" {
		return fmt.Errorf("schedule job: %w", errEmptyID)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO jobs (id, kind, run_at, payload, attempts) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, run_at = EXCLUDED.run_at,
			payload = EXCLUDED.payload, lease_until = NULL`,
		j.ID, j.Kind, j.RunAt, j.Payload, j.Attempts)
	if err != nil {
		return fmt.Errorf("schedule job %q: %w", j.ID, classify(err))
	}
	return nil
}

// ClaimJobs returns up to limit jobs due at now (RunAt at or before it)
// whose lease, if any, ran out by now, in RunAt then id order, and leases
// each until now+lease with its Attempts grown by one. Rows another claim
// is taking are skipped (FOR UPDATE SKIP LOCKED), so each job goes to one
// caller on any replica.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, limit int,
	lease time.Duration) ([]hub.Job, error) {
	if limit <= 0 {
		return []hub.Job{}, nil
	}
	rows, err := s.pool.Query(ctx, `
		UPDATE jobs SET attempts = attempts + 1, lease_until = $2
		WHERE id IN (
			SELECT id FROM jobs
			WHERE run_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
			ORDER BY run_at, id
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING id, kind, run_at, payload, attempts`, now, now.Add(lease), limit)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hub.Job, error) {
		var j hub.Job
		err := row.Scan(&j.ID, &j.Kind, &j.RunAt, &j.Payload, &j.Attempts)
		j.RunAt = utc(j.RunAt)
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	slices.SortFunc(list, func(a, b hub.Job) int {
		return cmp.Or(a.RunAt.Compare(b.RunAt), cmp.Compare(a.ID, b.ID))
	})
	return list, nil
}

// FinishJob removes a job that ran; removing a missing one is not an error.
func (s *Store) FinishJob(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM jobs WHERE id = $1`, id); err != nil {
		return fmt.Errorf("finish job %q: %w", id, err)
	}
	return nil
}
