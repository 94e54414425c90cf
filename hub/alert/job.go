package alert

import (
	"context"
	"fmt"

	"github.com/stolik/stolik/hub"
)

// Start schedules the check for the next time slot. Every replica calls
// it when it starts; the job of a slot has one id, so they schedule one.
func (e *Evaluator) Start(ctx context.Context) error {
	return e.scheduleNext(ctx)
}

// Run is the handler of JobEvaluate (schedule.Runner.Handle): it
// schedules the next check first, so that a failing check never ends the
// chain, then checks. A failed check is logged, not retried: the next
// slot's check does the same work.
func (e *Evaluator) Run(ctx context.Context, _ hub.Job) error {
	if err := e.scheduleNext(ctx); err != nil {
		return err // the runner tries this job again after its lease
	}
	rep, err := e.Evaluate(ctx)
	if err != nil {
		e.log.Error("check agents for alerts", "err", err)
	}
	if len(rep.Opened)+len(rep.Resolved) > 0 {
		e.log.Info("agents checked", "opened", len(rep.Opened), "resolved",
			len(rep.Resolved), "messages", rep.Messages)
	}
	return nil
}

// scheduleNext schedules the check at the start of the next slot of
// Interval, under an id naming the slot.
func (e *Evaluator) scheduleNext(ctx context.Context) error {
	next := e.opts.Now().UTC().Truncate(e.opts.Interval).Add(e.opts.Interval)
	j := hub.Job{ID: fmt.Sprintf("%s@%d", JobEvaluate, next.Unix()), Kind: JobEvaluate,
		RunAt: next}
	if err := e.store.ScheduleJob(ctx, j); err != nil {
		return fmt.Errorf("schedule the next agent check: %w", err)
	}
	return nil
}
