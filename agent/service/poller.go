package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Log is the part of the outbox the poller writes to.
type Log interface {
	Snapshot() map[string][]byte
	Append(ctx context.Context, events []wire.Event) (uint64, error)
}

// Poller reads the connector on a timer (or at once when poked), diffs the
// result against the stored snapshot and appends the changes to the outbox.
// A failed read keeps the previous snapshot and is reported as unhealthy.
type Poller struct {
	conn     agent.Connector
	log      Log
	logger   *slog.Logger
	interval time.Duration
	now      func() time.Time
	poke     chan struct{}

	mu     sync.Mutex // guards health and full
	health wire.ConnectorHealth
	full   bool
}

// NewPoller returns a poller of conn into log every interval.
func NewPoller(conn agent.Connector, log Log, interval time.Duration, logger *slog.Logger) *Poller {
	return &Poller{
		conn: conn, log: log, logger: logger, interval: interval, now: time.Now,
		poke: make(chan struct{}, 1),
	}
}

// Poke asks for a poll as soon as possible.
func (p *Poller) Poke() {
	select {
	case p.poke <- struct{}{}:
	default:
	}
}

// Health reports whether the last read of the RMS worked.
func (p *Poller) Health() wire.ConnectorHealth {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.health
}

// Run polls until ctx is done.
func (p *Poller) Run(ctx context.Context) error {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		if _, err := p.Poll(ctx); err != nil && ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.poke:
		}
	}
}

// Poll reads the RMS once and stores what changed. It returns the number of
// events appended.
func (p *Poller) Poll(ctx context.Context) (int, error) {
	rctx, cancel := context.WithTimeout(ctx, 2*p.interval+10*time.Second)
	st, err := p.conn.Snapshot(rctx)
	cancel()
	if err != nil {
		p.setHealth(err)
		return 0, err
	}
	items, err := st.Items()
	if err != nil {
		// A connector returning an inconsistent state is a bug or a
		// malformed RMS answer: keep the old snapshot.
		p.setHealth(err)
		return 0, err
	}
	p.setHealth(nil)

	events := agent.Diff(p.log.Snapshot(), items)
	if len(events) == 0 {
		return 0, nil
	}
	now := p.now().UTC()
	for i := range events {
		events[i].At = now
	}
	if _, err := p.log.Append(ctx, events); err != nil {
		p.noteFull(err)
		return 0, err
	}
	p.noteFull(nil)
	return len(events), nil
}

func (p *Poller) setHealth(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		if !p.health.OK && p.health.Error != "" {
			p.logger.Info("rms reachable again")
		}
		var note string
		if n, ok := p.conn.(agent.HealthNoter); ok {
			note = n.HealthNote()
		}
		if note != "" && note != p.health.Error {
			p.logger.Warn("rms read, with a problem worth a look", "note", note)
		}
		p.health = wire.ConnectorHealth{OK: true, Error: note, LastSuccess: p.now().UTC()}
		return
	}
	if p.health.OK || p.health.Error != err.Error() {
		p.logger.Warn("rms read failed", "err", err)
	}
	p.health.OK = false
	p.health.Error = err.Error()
}

// noteFull logs, once per episode, that the outbox refused changes. Nothing
// is lost: the stored snapshot did not move, so the next poll diffs again.
func (p *Poller) noteFull(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err == nil && p.full:
		p.full = false
		p.logger.Info("outbox accepts changes again")
	case err != nil && !p.full:
		p.full = true
		p.logger.Error("outbox refused changes; they are kept in the RMS and sent once "+
			"the hub catches up", "err", err)
	case err != nil && !errors.Is(err, context.Canceled):
		p.logger.Debug("outbox still refusing changes", "err", err)
	}
}
