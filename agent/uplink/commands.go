package uplink

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// finishTimeout bounds storing a result while the agent is stopping.
const finishTimeout = 5 * time.Second

// command handles a command from the hub: record it, then run it, resend its
// result or refuse it as expired.
func (s *session) command(ctx context.Context, c wire.Command) error {
	u := s.u
	log := s.log.With("command", c.ID, "kind", c.Kind)

	// The hub redelivers pending commands on every connection; one still
	// running here must not be begun again. A command leaves active only
	// after its result is stored, so BeginCommand then finds that result.
	if u.isActive(c.ID) {
		log.Debug("command delivered again while it runs")
		return nil
	}
	b, err := u.cmds.BeginCommand(ctx, c)
	if err != nil {
		return fmt.Errorf("begin command %s: %w", c.ID, err)
	}

	switch {
	case !b.Run && b.Result != nil:
		log.Info("command delivered again: resending its result")
		return s.send(wire.TypeResult, *b.Result)
	case !b.Run:
		log.Debug("command delivered again after the hub acknowledged its result")
		return nil
	case expired(c, s.skew):
		r := expiredResult(c)
		if err := u.cmds.FinishCommand(ctx, r); err != nil {
			return fmt.Errorf("finish command %s: %w", c.ID, err)
		}
		log.Warn("command expired before it could run", "expires", c.Expires)
		return s.send(wire.TypeResult, r)
	}
	log.Info("running command")
	u.start(ctx, c, s.skew, log)
	return nil
}

// expired reports whether c is past its expiry on the hub's clock, which
// runs skew ahead of ours.
func expired(c wire.Command, skew time.Duration) bool {
	return !c.Expires.IsZero() && time.Now().Add(skew).After(c.Expires)
}

func expiredResult(c wire.Command) wire.Result {
	return wire.Result{
		CommandID: c.ID,
		Code:      wire.CodeExpired,
		Message:   "expired at " + c.Expires.UTC().Format(time.RFC3339) + " before it ran",
	}
}

func (u *Uplink) isActive(id string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.active[id]
}

// start runs a begun command in its own goroutine, at most MaxCommands at
// a time. The goroutine outlives the connection: the result is stored and
// handed to whichever connection is up (or sent after the next Welcome).
func (u *Uplink) start(ctx context.Context, c wire.Command, skew time.Duration,
	log *slog.Logger) {
	u.mu.Lock()
	u.active[c.ID] = true
	u.mu.Unlock()

	u.execWG.Add(1)
	go func() {
		defer u.execWG.Done()
		r := wire.Result{Code: wire.CodeInterrupted,
			Message: "the agent stopped before it started this command; it did not run"}
		select {
		case u.slots <- struct{}{}:
			switch {
			case ctx.Err() != nil:
			case expired(c, skew):
				// It waited for a slot past its expiry.
				r = expiredResult(c)
			default:
				r = u.runCommand(ctx, c, log)
			}
			<-u.slots
		case <-ctx.Done():
		}
		r.CommandID = c.ID

		// Store the result even though the agent may be stopping.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		err := u.cmds.FinishCommand(fctx, r)
		cancel()
		if err != nil {
			// Send it anyway: the hub is better off knowing what happened.
			log.Error("cannot store command result", "err", err)
		}

		u.mu.Lock()
		delete(u.active, c.ID)
		u.pending = append(u.pending, r)
		u.mu.Unlock()
		select {
		case u.results <- struct{}{}:
		default:
		}
		log.Info("command finished", "ok", r.OK, "code", r.Code)
	}()
}

// runCommand runs the executor; a panic becomes a failed result.
func (u *Uplink) runCommand(ctx context.Context, c wire.Command,
	log *slog.Logger) (r wire.Result) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("command panicked", "panic", p, "stack", string(debug.Stack()))
			r = wire.Result{Code: wire.CodeFailed,
				Message: "the agent failed while running this command; check the RMS"}
		}
	}()
	return u.exec(ctx, c)
}

// sendResults sends the results finished since the last call. After a
// Welcome it also resends every stored result the hub has not acknowledged.
func (s *session) sendResults(afterWelcome bool) error {
	u := s.u
	u.mu.Lock()
	results := u.pending
	u.pending = nil
	u.mu.Unlock()

	if afterWelcome {
		stored, err := u.cmds.UnackedResults()
		if err != nil {
			return fmt.Errorf("read unacknowledged results: %w", err)
		}
		seen := make(map[string]bool, len(stored))
		for _, r := range stored {
			seen[r.CommandID] = true
		}
		for _, r := range results {
			if !seen[r.CommandID] {
				stored = append(stored, r)
			}
		}
		results = stored
	}

	for _, r := range results {
		if err := s.send(wire.TypeResult, r); err != nil {
			return err
		}
	}
	return nil
}
