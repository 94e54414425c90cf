package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// jobRecord is a job as kept in the jobs bucket, with its lease.
type jobRecord struct {
	hub.Job
	// LeaseUntil is when the job's latest claim runs out.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
}

// ScheduleJob stores a job, indexed by RunAt. A job with the same id is
// replaced (kind, run time, payload) and its lease ends; its Attempts are
// kept.
func (s *Store) ScheduleJob(ctx context.Context, j hub.Job) error {
	if j.ID == "" {
		return fmt.Errorf("schedule job: %w", errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		jobs, times := tx.Bucket(bucketJobs), tx.Bucket(bucketJobTimes)
		var old jobRecord
		err := getJSON(jobs, "job", j.ID, &old)
		switch {
		case err == nil:
			j.Attempts = old.Attempts
			if err := times.Delete(timeIDKey(old.RunAt, old.ID)); err != nil {
				return err
			}
		case !errors.Is(err, hub.ErrNotFound):
			return err
		}
		if err := times.Put(timeIDKey(j.RunAt, j.ID), nil); err != nil {
			return err
		}
		return putJSON(jobs, j.ID, jobRecord{Job: j})
	})
	if err != nil {
		return fmt.Errorf("schedule job %q: %w", j.ID, err)
	}
	return nil
}

// ClaimJobs returns up to limit jobs whose RunAt is at or before now and
// whose lease, if any, has run out by now, ordered by RunAt then id. Each
// is leased until now+lease and its Attempts grow by one.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, limit int, lease time.Duration) (
	[]hub.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	var list []hub.Job
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		jobs := tx.Bucket(bucketJobs)
		c := tx.Bucket(bucketJobTimes).Cursor()
		for k, _ := c.First(); k != nil && len(list) < limit; k, _ = c.Next() {
			if keyTime(k).After(now) {
				break
			}
			var r jobRecord
			if err := getJSON(jobs, "job", string(k[timeKeyLen:]), &r); err != nil {
				return err
			}
			if r.LeaseUntil.After(now) {
				continue
			}
			r.Attempts++
			r.LeaseUntil = now.Add(lease)
			if err := putJSON(jobs, r.ID, r); err != nil {
				return err
			}
			list = append(list, r.Job)
		}
		if len(list) == 0 {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return list, nil
}

// FinishJob removes a job. Removing a job that does not exist is not an
// error.
func (s *Store) FinishJob(ctx context.Context, id string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		jobs := tx.Bucket(bucketJobs)
		var r jobRecord
		if err := getJSON(jobs, "job", id, &r); err != nil {
			if errors.Is(err, hub.ErrNotFound) {
				return errRollback
			}
			return err
		}
		if err := tx.Bucket(bucketJobTimes).Delete(timeIDKey(r.RunAt, r.ID)); err != nil {
			return err
		}
		return jobs.Delete([]byte(id))
	})
	if err != nil && !errors.Is(err, errRollback) {
		return fmt.Errorf("finish job %q: %w", id, err)
	}
	return nil
}
