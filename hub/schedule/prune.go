package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/stolik/stolik/hub"
)

// JobPruneCommands is the kind of the job that drops old commands.
const JobPruneCommands = "commands.prune"

// PruneEvery is how often old commands are dropped.
const PruneEvery = time.Hour

// CommandPruner drops the commands with a result older than a retention,
// so that the store keeps an agent's recent history, not all of it. It
// runs as a scheduled job that schedules its next run, every PruneEvery;
// the job of a slot has one id (its time), so replicas that each start
// the chain converge on one job per slot, and one replica runs it.
type CommandPruner struct {
	store     hub.Store
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// NewCommandPruner returns a pruner keeping commands for retention
// (hub.DefaultCommandRetention if not positive). now defaults to time.Now,
// log to none.
func NewCommandPruner(store hub.Store, retention time.Duration, now func() time.Time,
	log *slog.Logger) *CommandPruner {
	if retention <= 0 {
		retention = hub.DefaultCommandRetention
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CommandPruner{store: store, retention: retention, now: now, log: log}
}

// Start schedules the next run. Every replica calls it when it starts.
func (p *CommandPruner) Start(ctx context.Context) error { return p.scheduleNext(ctx) }

// Run is the handler of JobPruneCommands (Runner.Handle). It schedules the
// next run first, so that a failing prune never ends the chain; a failed
// prune is logged, and the next slot's does the same work.
func (p *CommandPruner) Run(ctx context.Context, _ hub.Job) error {
	if err := p.scheduleNext(ctx); err != nil {
		return err // the runner tries this job again after its lease
	}
	n, err := p.store.PruneCommands(ctx, p.now().UTC().Add(-p.retention))
	if err != nil {
		p.log.Error("drop old commands", "err", err)
		return nil
	}
	if n > 0 {
		p.log.Info("old commands dropped", "count", n, "retention", p.retention)
	}
	return nil
}

func (p *CommandPruner) scheduleNext(ctx context.Context) error {
	next := p.now().UTC().Truncate(PruneEvery).Add(PruneEvery)
	j := hub.Job{ID: fmt.Sprintf("%s@%d", JobPruneCommands, next.Unix()),
		Kind: JobPruneCommands, RunAt: next}
	if err := p.store.ScheduleJob(ctx, j); err != nil {
		return fmt.Errorf("schedule dropping old commands: %w", err)
	}
	return nil
}
