// Package schedule runs the hub's scheduled jobs (command expiry, booking
// holds running out, reminders) from the store's job table. Every replica
// runs a Runner; the store's ClaimJobs hands each due job to one of them
// (FOR UPDATE SKIP LOCKED on PostgreSQL), so a job runs once. A job whose
// handler fails stays in the table and is tried again when its lease runs
// out, up to MaxAttempts.
package schedule

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/stolik/stolik/hub"
)

// Handler runs one job. An error leaves the job to be tried again.
type Handler func(ctx context.Context, j hub.Job) error

// Options tune a Runner. Zero values take the defaults.
type Options struct {
	// Interval is how often due jobs are looked for; default 1s.
	Interval time.Duration
	// Lease is how long a claimed job is this runner's; default 1 min.
	Lease time.Duration
	// Batch is the most jobs claimed at once; default 64.
	Batch int
	// MaxAttempts drops a job that failed this often; default 10.
	MaxAttempts int
	Logger      *slog.Logger
	Now         func() time.Time
}

// Runner claims due jobs and runs their handlers.
type Runner struct {
	store hub.Store
	opts  Options

	mu       sync.Mutex // guards handlers
	handlers map[string]Handler
}

// New returns a runner over store.
func New(store hub.Store, opts Options) *Runner {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.Batch <= 0 {
		opts.Batch = 64
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Runner{store: store, opts: opts, handlers: map[string]Handler{}}
}

// Handle sets the handler of a job kind.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Run runs due jobs every Interval until ctx is done.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		if _, err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
			r.opts.Logger.Error("run scheduled jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunDue claims the jobs due now and runs them. It returns how many ran
// successfully.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	ran := 0
	for {
		jobs, err := r.store.ClaimJobs(ctx, r.opts.Now().UTC(), r.opts.Batch, r.opts.Lease)
		if err != nil {
			return ran, err
		}
		for _, j := range jobs {
			if r.run(ctx, j) {
				ran++
			}
		}
		if len(jobs) < r.opts.Batch {
			return ran, nil
		}
	}
}

func (r *Runner) run(ctx context.Context, j hub.Job) bool {
	log := r.opts.Logger.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	r.mu.Lock()
	h := r.handlers[j.Kind]
	r.mu.Unlock()
	if h == nil {
		log.Error("no handler for scheduled job; dropping it")
		r.finish(ctx, log, j)
		return false
	}

	if err := h(ctx, j); err != nil {
		if j.Attempts >= r.opts.MaxAttempts {
			log.Error("scheduled job failed too often; dropping it", "err", err)
			r.finish(ctx, log, j)
			return false
		}
		log.Warn("scheduled job failed; will retry", "err", err, "retry_after", r.opts.Lease)
		return false
	}
	r.finish(ctx, log, j)
	return true
}

func (r *Runner) finish(ctx context.Context, log *slog.Logger, j hub.Job) {
	if err := r.store.FinishJob(ctx, j.ID); err != nil {
		// The lease runs out and the job runs again: handlers are
		// idempotent.
		log.Error("finish scheduled job", "err", err)
	}
}
