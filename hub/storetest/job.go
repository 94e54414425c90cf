package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

func schedule(t testing.TB, s hub.Store, j hub.Job) {
	t.Helper()
	wantErr(t, "schedule "+j.ID, s.ScheduleJob(context.Background(), j), nil)
}

// claim claims jobs that must be want, each with the Attempts given.
func claim(t testing.TB, s hub.Store, now time.Time, limit int, lease time.Duration,
	want ...hub.Job) {
	t.Helper()
	got, err := s.ClaimJobs(context.Background(), now, limit, lease)
	wantErr(t, "claim jobs", err, nil)
	diff(t, fmt.Sprintf("jobs claimed at %s", now.Sub(t0)), got, want)
}

func attempt(j hub.Job, n int) hub.Job {
	j.Attempts = n
	return j
}

// testJobs claims due jobs in RunAt order, each for a lease.
func testJobs(t *testing.T, s hub.Store) {
	ctx := context.Background()
	m := time.Minute
	j1 := hub.Job{ID: "job_1", Kind: "expire_hold", RunAt: t0,
		Payload: []byte(`{"booking_id":"bkg_1"}`)}
	j2 := hub.Job{ID: "job_2", Kind: "reminder", RunAt: t0.Add(m)}
	j3 := hub.Job{ID: "job_3", Kind: "reminder", RunAt: t0, Payload: []byte("three")}
	j4 := hub.Job{ID: "job_4", Kind: "reminder", RunAt: t0.Add(time.Hour)}
	for _, j := range []hub.Job{j4, j3, j2, j1} {
		schedule(t, s, j)
	}

	claim(t, s, t0.Add(-time.Second), 10, m)
	claim(t, s, t0.Add(m), 2, m, attempt(j1, 1), attempt(j3, 1))
	claim(t, s, t0.Add(m), 10, m, attempt(j2, 1))
	// Leased jobs wait for their lease to run out, to the instant.
	claim(t, s, t0.Add(2*m-time.Second), 10, m)
	claim(t, s, t0.Add(2*m), 10, m, attempt(j1, 2), attempt(j3, 2), attempt(j2, 2))

	wantErr(t, "finish", s.FinishJob(ctx, j1.ID), nil)
	wantErr(t, "finish again", s.FinishJob(ctx, j1.ID), nil)
	wantErr(t, "finish unknown", s.FinishJob(ctx, "job_missing"), nil)

	// Scheduling again replaces the job and ends its lease; its attempts
	// are kept.
	j3 = hub.Job{ID: j3.ID, Kind: "reminder_again", RunAt: t0.Add(30 * m),
		Payload: []byte("new")}
	schedule(t, s, j3)
	claim(t, s, t0.Add(29*m), 10, 10*m, attempt(j2, 3))
	claim(t, s, t0.Add(30*m), 0, m)
	claim(t, s, t0.Add(30*m), 10, m, attempt(j3, 3))
	claim(t, s, t0.Add(2*time.Hour), 10, m, attempt(j2, 4), attempt(j3, 4), attempt(j4, 1))

	if err := s.ScheduleJob(ctx, hub.Job{Kind: "reminder", RunAt: t0}); err == nil {
		t.Error("no error scheduling a job without id")
	}
}

// testJobsConcurrentClaim has 8 claimers take 40 due jobs: each job is
// claimed exactly once.
func testJobsConcurrentClaim(t *testing.T, s hub.Store) {
	const jobs, claimers = 40, 8
	for i := range jobs {
		schedule(t, s, hub.Job{ID: fmt.Sprintf("job_%02d", i), Kind: "reminder",
			RunAt: t0.Add(time.Duration(i%5) * time.Second)})
	}

	var mu sync.Mutex
	var claimed []string
	errs := make([]error, claimers)
	together(claimers, func(i int) {
		// Bounded, so that a store that hands out jobs twice fails the
		// test rather than hanging it.
		for range jobs {
			list, err := s.ClaimJobs(context.Background(), t0.Add(time.Minute), 3, time.Hour)
			if err != nil {
				errs[i] = err
				return
			}
			if len(list) == 0 {
				return
			}
			mu.Lock()
			for _, j := range list {
				claimed = append(claimed, j.ID)
				if j.Attempts != 1 {
					errs[i] = fmt.Errorf("job %s claimed with %d attempts", j.ID, j.Attempts)
				}
			}
			mu.Unlock()
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("claimer %d: %v", i, err)
		}
	}

	slices.Sort(claimed)
	var want []string
	for i := range jobs {
		want = append(want, fmt.Sprintf("job_%02d", i))
	}
	if !slices.Equal(claimed, want) {
		t.Errorf("claimed %d jobs, want each of %d once: %s", len(claimed), jobs,
			strings.Join(claimed, " "))
	}
}
