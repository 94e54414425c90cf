package wire

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CommandSetWebhook asks the agent to register the hub's webhook address
// with its RMS (body: WebhookRequest), so that the RMS posts its changes to
// the hub instead of restaurant IT entering them by hand. A connector
// without webhooks answers CodeUnsupported; one whose RMS account already
// sends its webhooks to another address answers CodeRefused and leaves it.
const CommandSetWebhook CommandKind = "webhook.set"

// Bounds of a WebhookRequest.
const (
	// MaxWebhookURLLen is the longest webhook address.
	MaxWebhookURLLen = 1000
	// MaxWebhookTokenLen is the longest auth token.
	MaxWebhookTokenLen = 200
)

// WebhookRequest is the body of a CommandSetWebhook.
type WebhookRequest struct {
	// URL is where the RMS posts its events: an https address.
	URL string `json:"url"`
	// AuthToken is what the RMS sends with every event for the hub to
	// know it.
	AuthToken string `json:"auth_token"`
}

// Validate checks that r's URL is an absolute https address with a host
// and r's token printable text without spaces, both within bounds.
func (r WebhookRequest) Validate() error {
	if r.URL == "" {
		return fmt.Errorf("webhook: url is required")
	}
	if len(r.URL) > MaxWebhookURLLen {
		return fmt.Errorf("webhook: url is longer than %d bytes", MaxWebhookURLLen)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return fmt.Errorf("webhook: url %.60q: %v", r.URL, err)
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("webhook: url %.60q is not an https address such as "+
			"https://hub.example.ru/hooks/iiko/ven_1 (the RMS's cloud posts over https only)",
			r.URL)
	}
	if r.AuthToken == "" || len(r.AuthToken) > MaxWebhookTokenLen ||
		!utf8.ValidString(r.AuthToken) ||
		strings.IndexFunc(r.AuthToken, func(c rune) bool {
			return !unicode.IsPrint(c) || unicode.IsSpace(c)
		}) >= 0 {
		return fmt.Errorf("webhook: auth_token is empty, longer than %d bytes or "+
			"not printable text without spaces", MaxWebhookTokenLen)
	}
	return nil
}

// DecodeWebhookRequest reads the body of a CommandSetWebhook; a body that
// is not JSON or fails Validate is an error wrapping ErrMalformed.
func DecodeWebhookRequest(body json.RawMessage) (WebhookRequest, error) {
	var r WebhookRequest
	if len(body) == 0 {
		return r, fmt.Errorf("%w: webhook.set without body", ErrMalformed)
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return WebhookRequest{}, fmt.Errorf("%w: webhook.set body: %v", ErrMalformed, err)
	}
	if err := r.Validate(); err != nil {
		return WebhookRequest{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return r, nil
}
