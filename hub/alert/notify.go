package alert

import (
	"context"
	"log/slog"
)

// Notifier delivers an alert to support.
//
// key identifies the message for good, such as "incident/<id>/open": the
// evaluator sends a message before it records that it did, so after a
// crash or a store failure between the two it sends the same key again,
// and a Notifier must deliver a key at most once (the bot's send queue
// drops a key it has queued before). An error means the message was not
// taken; the evaluator tries again at its next check.
type Notifier interface {
	Notify(ctx context.Context, key, text string) error
}

// LogNotifier writes alerts to its logger at warn level: the Notifier when
// no support chat is configured. A nil Log discards them.
type LogNotifier struct {
	Log *slog.Logger
}

// Notify logs the alert; it never fails.
func (n LogNotifier) Notify(_ context.Context, key, text string) error {
	if n.Log != nil {
		n.Log.Warn("support alert", "key", key, "text", text)
	}
	return nil
}
