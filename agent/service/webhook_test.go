package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/shared/wire"
)

// hooked is a connector that registers webhooks, remembering what it was
// asked, and refuses when foreign is set.
type hooked struct {
	agent.Connector
	url, token string
	foreign    bool
}

func (h *hooked) SetWebhook(_ context.Context, url, token string) error {
	if h.foreign {
		return fmt.Errorf("webhooks already go to another integration: %w", agent.ErrRefused)
	}
	h.url, h.token = url, token
	return nil
}

func TestExecutorSetWebhook(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := wire.WebhookRequest{URL: "https://hub.example.ru/hooks/iiko/ven_1",
		AuthToken: "5f0c2a9e"}

	// The simulator has no webhooks: unsupported, saying which connector.
	r := f.exec.Run(ctx, command(t, wire.CommandSetWebhook, req))
	if r.OK || r.Code != wire.CodeUnsupported || !strings.Contains(r.Message, "sim") {
		t.Errorf("webhook.set on the simulator = %+v, want unsupported naming it", r)
	}
	if slices.Contains(agent.Capabilities(f.venue), agent.CapabilityWebhook) {
		t.Error("the simulator claims to register webhooks")
	}

	h := &hooked{Connector: f.venue}
	if !slices.Contains(agent.Capabilities(h), agent.CapabilityWebhook) {
		t.Error("a WebhookSetter does not report the capability")
	}
	exec := service.NewExecutor(h, f.ob, f.poller,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if r := exec.Run(ctx, command(t, wire.CommandSetWebhook, req)); !r.OK {
		t.Fatalf("webhook.set: %+v", r)
	}
	if h.url != req.URL || h.token != req.AuthToken {
		t.Errorf("connector was given %q %q, want %q %q", h.url, h.token, req.URL,
			req.AuthToken)
	}
	h.foreign = true
	r = exec.Run(ctx, command(t, wire.CommandSetWebhook, req))
	if r.OK || r.Code != wire.CodeRefused || !strings.Contains(r.Message, "another integration") {
		t.Errorf("foreign webhook = %+v, want refused with the reason", r)
	}
	for name, c := range map[string]wire.Command{
		"http": command(t, wire.CommandSetWebhook,
			wire.WebhookRequest{URL: "http://hub.example.ru/h", AuthToken: "t"}),
		"no body": {ID: "w1", Kind: wire.CommandSetWebhook},
	} {
		if r := exec.Run(ctx, c); r.OK || r.Code != wire.CodeBadRequest {
			t.Errorf("%s: %+v, want bad_request", name, r)
		}
	}
}
