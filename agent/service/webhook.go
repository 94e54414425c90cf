package service

import (
	"context"
	"fmt"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// setWebhook registers the hub's webhook with the RMS, for a connector
// that can.
func (e *Executor) setWebhook(ctx context.Context, c wire.Command) error {
	req, err := wire.DecodeWebhookRequest(c.Body)
	if err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	s, ok := e.conn.(agent.WebhookSetter)
	if !ok {
		return fmt.Errorf("%w: the %s connector cannot register webhooks; "+
			"the hub reads this RMS by polling", agent.ErrUnsupported, e.conn.Kind())
	}
	return s.SetWebhook(ctx, req.URL, req.AuthToken)
}
