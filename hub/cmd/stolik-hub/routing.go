package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/hub/postgres"
)

// routeCommands brings commands created on other replicas to the agents
// connected here: a NOTIFY wakes the agent's connection at once, and a
// short poll of recent pending commands covers a notification lost while
// the listening connection was down.
func routeCommands(ctx context.Context, pg *postgres.Store, gw *gateway.Gateway, log *slog.Logger) {
	go func() {
		if err := pg.ListenCommands(ctx, gw.Poke); err != nil && ctx.Err() == nil {
			log.Error("listen for commands", "err", err)
		}
	}()
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		agents, err := pg.PendingAgentsSince(ctx, time.Now().Add(-30*time.Second))
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("poll pending commands", "err", err)
			}
			continue
		}
		for _, id := range agents {
			if gw.Live(id).Connected {
				gw.Poke(id)
			}
		}
	}
}
