package iikotest

import (
	"encoding/json"
	"net/http"
)

// webhookSettings answers /webhooks/settings: the organization's webhook
// as SetWebhook, SetForeignWebhook or /webhooks/update_settings left it.
// [I] An organization never set up answers an empty address.
func (f *Fake) webhookSettings(req map[string]json.RawMessage) (int, any) {
	if org, _ := field[string](req, "organizationId"); org != OrganizationID {
		return bad("", "unknown organizationId")
	}
	h := f.hook
	var filter any
	if h.filter != nil {
		filter = h.filter
	}
	return ok(map[string]any{"correlationId": f.newID(), "apiLoginName": f.opts.APILogin,
		"webHooksUri": h.url, "authToken": h.token, "webHooksFilter": filter})
}

// updateWebhookSettings answers /webhooks/update_settings: the fake posts
// its events to the new address from then on.
func (f *Fake) updateWebhookSettings(req map[string]json.RawMessage) (int, any) {
	if org, _ := field[string](req, "organizationId"); org != OrganizationID {
		return bad("", "unknown organizationId")
	}
	uri, _ := field[string](req, "webHooksUri")
	if uri == "" {
		return bad("", "webHooksUri is required")
	}
	token, _ := field[string](req, "authToken")
	filter, _ := field[map[string]any](req, "webHooksFilter")
	f.hook = hook{url: uri, token: token, filter: filter,
		client: &http.Client{Timeout: webhookTimeout}}
	return ok(map[string]any{"correlationId": f.newID()})
}

// Webhook returns the address, token and filter the fake posts its events
// with ("" when none is set).
func (f *Fake) Webhook() (url, token string, filter map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hook.url, f.hook.token, f.hook.filter
}
