package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/shared/wire"
)

// bookings hands the gateway's news to the booking service off the
// connections' readers: command results at once, each in its own goroutine,
// and applied batches coalesced per venue, so that a backlog of a thousand
// batches makes the bookings follow the mirror a few times, not a thousand.
type bookings struct {
	desk *desk.Desk
	log  *slog.Logger

	mu    sync.Mutex // guards dirty
	dirty map[string]bool
	wake  chan struct{}
}

func newBookings(d *desk.Desk, log *slog.Logger) *bookings {
	return &bookings{desk: d, log: log, dirty: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// applied is the gateway's OnApplied.
func (b *bookings) applied(_, venueID string) {
	b.mu.Lock()
	b.dirty[venueID] = true
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// result is the gateway's OnResult.
func (b *bookings) result(ctx context.Context) func(string, hub.Command, wire.Result) {
	return func(agentID string, c hub.Command, r wire.Result) {
		go func() {
			if err := b.desk.OnResult(ctx, agentID, c, r); err != nil && ctx.Err() == nil {
				b.log.Error("handle command result", "agent", agentID, "command", c.ID, "err", err)
			}
		}()
	}
}

// run makes the bookings of changed venues follow their mirror, at most
// every quarter second, until ctx ends.
func (b *bookings) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
		b.mu.Lock()
		venues := b.dirty
		b.dirty = map[string]bool{}
		b.mu.Unlock()
		for v := range venues {
			if err := b.desk.FollowMirror(ctx, v); err != nil && ctx.Err() == nil {
				b.log.Error("follow the RMS", "venue", v, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}
