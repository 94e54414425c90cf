// Package service wires the agent together: it opens the outbox, builds the
// connector named in the config, and runs the poller, the uplink and the
// command executor until the context ends. Components open in order and
// close in reverse.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/agent/uplink"
	"github.com/stolik/stolik/shared/wire"
)

// Run runs the agent described by c until ctx is done.
func Run(ctx context.Context, c config.Config, version string, log *slog.Logger) error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	ob, err := outbox.Open(filepath.Join(c.DataDir, "outbox.db"), outbox.Options{
		Timeout:    time.Second,
		MaxPending: c.Outbox.MaxPending,
	})
	if err != nil {
		return err
	}
	defer ob.Close()

	conn, err := NewConnector(c)
	if err != nil {
		return err
	}
	log = log.With("agent", c.Hub.AgentID)
	poller := NewPoller(conn, ob, c.PollInterval, log.With("component", "poller"))
	exec := NewExecutor(conn, ob, poller, log.With("component", "executor"))
	exec.SetLogFile(filepath.Join(c.DataDir, LogFile))

	up, err := uplink.New(uplink.Config{
		URLs:    c.Hub.URLs,
		AgentID: c.Hub.AgentID,
		Secret:  c.Hub.Secret,
		Hello: wire.Hello{
			Version: version, OS: runtime.GOOS, Connector: conn.Kind(),
			Capabilities: agent.Capabilities(conn),
		},
		LastSeq:    func() uint64 { return ob.Stats().LastSeq },
		Window:     c.Uplink.Window,
		MaxBatch:   c.Uplink.MaxBatch,
		BackoffMin: c.Uplink.BackoffMin,
		BackoffMax: c.Uplink.BackoffMax,
		Status: func() wire.Status {
			st := ob.Stats()
			return wire.Status{Backlog: st.Backlog, Connector: poller.Health(), Counters: st.Counters}
		},
		// Status is small; a fresh backlog figure is worth one message
		// every few seconds.
		StatusInterval: 5 * time.Second,
		Logger:         log.With("component", "uplink"),
		PingInterval:   c.Uplink.Heartbeat,
		PongWait:       3 * c.Uplink.Heartbeat,
	}, ob, Inbox(ob), exec.Run)
	if err != nil {
		return err
	}

	st := ob.Stats()
	log.Info("agent started", "version", version, "connector", conn.Kind(),
		"backlog", st.Backlog, "last_seq", st.LastSeq, "hubs", c.Hub.URLs)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return poller.Run(gctx) })
	g.Go(func() error { return up.Run(gctx) })
	err = g.Wait()
	log.Info("agent stopped", "backlog", ob.Stats().Backlog)
	if ctx.Err() != nil {
		// Asked to stop: not a failure.
		return nil
	}
	return err
}

// NewConnector builds the connector the config names.
func NewConnector(c config.Config) (agent.Connector, error) {
	switch c.Connector.Kind {
	case "sim":
		s := c.Connector.Sim
		return sim.New(sim.Config{
			Seed: s.Seed, Halls: s.Halls, Tables: s.Tables, Start: s.Start, Step: s.Step,
			ChangesPerStep: s.ChangesPerStep, Steps: s.Steps, RefuseEvery: s.RefuseEvery,
			StateFile: filepath.Join(c.DataDir, "sim-reservations.json"),
		})
	}
	return nil, fmt.Errorf("connector %q is not known", c.Connector.Kind)
}

// Inbox adapts the outbox's command inbox to the uplink's view of it.
func Inbox(ob *outbox.Outbox) uplink.Commands { return commands{ob} }

type commands struct{ *outbox.Outbox }

func (c commands) BeginCommand(ctx context.Context, cmd wire.Command) (uplink.Begin, error) {
	b, err := c.Outbox.BeginCommand(ctx, cmd)
	return uplink.Begin{Run: b.Run, Result: b.Result}, err
}
