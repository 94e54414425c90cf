// Package service wires the agent together: it opens the outbox, builds the
// connector named in the config, and runs the poller, the uplink and the
// command executor until the context ends. Components open in order and
// close in reverse.
package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/iiko"
	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/agent/poster"
	"github.com/stolik/stolik/agent/quickresto"
	"github.com/stolik/stolik/agent/rkeeper"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/agent/sqlread"
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

	log = log.With("agent", c.Hub.AgentID)
	conn, err := NewConnector(c, log)
	if err != nil {
		return err
	}
	if cl, ok := conn.(io.Closer); ok {
		defer cl.Close()
	}
	poller := NewPoller(conn, ob, c.PollInterval, log.With("component", "poller"))
	exec := NewExecutor(conn, ob, poller, log.With("component", "executor"))
	exec.SetLogFile(filepath.Join(c.DataDir, LogFile))

	up, err := uplink.New(uplink.Config{
		URLs:    c.Hub.URLs,
		AgentID: c.Hub.AgentID,
		Secret:  c.Hub.Secret,
		Hello: wire.Hello{
			Version: version, OS: runtime.GOOS, Connector: conn.Kind(),
			Capabilities: agent.Capabilities(conn), RMSAccount: agent.Account(conn),
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

// NewConnector builds the connector the config names; log receives what
// the connector reports beside its errors (such as a quarantined export).
func NewConnector(c config.Config, log *slog.Logger) (agent.Connector, error) {
	switch c.Connector.Kind {
	case "sim":
		s := c.Connector.Sim
		return sim.New(sim.Config{
			Seed: s.Seed, Halls: s.Halls, Tables: s.Tables, Start: s.Start, Step: s.Step,
			ChangesPerStep: s.ChangesPerStep, Steps: s.Steps, RefuseEvery: s.RefuseEvery,
			StateFile: filepath.Join(c.DataDir, "sim-reservations.json"),
		})
	case "rkeeper":
		r := c.Connector.RKeeper
		loc, err := time.LoadLocation(r.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("connector.rkeeper.time_zone: %w", err)
		}
		return rkeeper.New(rkeeper.Config{
			URL: r.URL, User: r.User, Password: r.Password, CertSHA256: r.CertSHA256,
			Location: loc, Station: r.Station, Waiter: r.Waiter, Manager: r.Manager,
			DeleteReason: r.DeleteReason, OrderType: r.OrderType, GuestType: r.GuestType,
			SeatsAttribute: r.SeatsAttribute, DurationFormat: r.DurationFormat,
			WindowAhead: r.WindowAhead, RefCheck: r.RefCheck, RequestTimeout: r.RequestTimeout,
			Logger: log,
		})
	case "poster":
		p := c.Connector.Poster
		return poster.New(poster.Config{
			BaseURL: p.BaseURL, Token: p.Token, SpotID: p.SpotID, TimeZone: p.TimeZone,
			Account: p.Account, Seats: p.Seats, WindowAhead: p.WindowAhead, RequestTimeout: p.RequestTimeout,
			MapFile: filepath.Join(c.DataDir, "poster-tables.json"), Logger: log,
		})
	case "quickresto":
		q := c.Connector.QuickResto
		return quickresto.New(quickresto.Config{
			Layer: q.Layer, BaseURL: q.BaseURL, Login: q.Login, Password: q.Password,
			TimeZone: q.TimeZone, RequestTimeout: q.RequestTimeout, AuthHeader: q.AuthHeader,
			Logger: log,
		})
	case "iiko":
		i := c.Connector.Iiko
		return iiko.New(iiko.Config{
			BaseURL: i.BaseURL, APIKey: i.APIKey, AppID: i.AppID,
			ClientSecret: i.ClientSecret, APILogin: i.APILogin,
			OrganizationID: i.OrganizationID, TerminalGroupID: i.TerminalGroupID,
			TimeZone: i.TimeZone, WindowBack: i.WindowBack, WindowAhead: i.WindowAhead,
			RequestTimeout: i.RequestTimeout,
			Logger:         log,
		})
	case "files":
		return files.New(c.Connector.Files, files.Options{Logger: log.With("connector", "files")})
	case "sqlread":
		return sqlread.New(c.Connector.SQLRead)
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
