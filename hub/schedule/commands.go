package schedule

import (
	"context"
	"log/slog"
	"time"

	"github.com/stolik/stolik/hub"
)

// ExpireCommands returns the handler of hub.JobExpireCommands: every pending
// command past its expiry becomes expired, so a stale booking is never
// written into an RMS hours later. It is idempotent.
func ExpireCommands(store hub.Store, now func() time.Time, log *slog.Logger) Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, _ hub.Job) error {
		expired, err := store.ExpireCommands(ctx, now().UTC())
		if err != nil {
			return err
		}
		for _, c := range expired {
			log.Warn("command expired before the agent answered", "command", c.ID,
				"agent", c.AgentID, "kind", c.Kind)
		}
		return nil
	}
}
