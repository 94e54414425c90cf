package iiko

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/stolik/stolik/agent"
)

// webhookFilter is what Stolik reads from iiko's webhooks: reserve
// (banquet) updates and errors, and every status of table orders.
func webhookFilter() webhooksFilter {
	return webhooksFilter{
		Reserve: &reserveHookFilter{Updates: true, Errors: true},
		TableOrder: &tableOrderHookFilter{Errors: true,
			OrderStatuses: []string{"New", "Bill", "Closed", "Deleted"}},
	}
}

type reserveHookFilter struct {
	Updates bool `json:"updates"`
	Errors  bool `json:"errors"`
}

type tableOrderHookFilter struct {
	OrderStatuses []string `json:"orderStatuses"`
	Errors        bool     `json:"errors"`
}

type webhooksFilter struct {
	TableOrder *tableOrderHookFilter `json:"tableOrderFilter,omitempty"`
	Reserve    *reserveHookFilter    `json:"reserveFilter,omitempty"`
}

// covers reports whether f asks for at least what Stolik reads.
func (f *webhooksFilter) covers(want webhooksFilter) bool {
	if f == nil || f.Reserve == nil || f.TableOrder == nil {
		return false
	}
	if !f.Reserve.Updates || !f.Reserve.Errors || !f.TableOrder.Errors {
		return false
	}
	for _, s := range want.TableOrder.OrderStatuses {
		if !slices.Contains(f.TableOrder.OrderStatuses, s) {
			return false
		}
	}
	return true
}

type webhookSettings struct {
	APILoginName string          `json:"apiLoginName"`
	URI          string          `json:"webHooksUri"`
	AuthToken    string          `json:"authToken"`
	Filter       *webhooksFilter `json:"webHooksFilter"`
}

// SetWebhook makes iiko post the organization's reserve and table order
// events to hookURL with token (/webhooks/update_settings). It reads the
// settings first (/webhooks/settings): when they already send the events
// to hookURL with token, it changes nothing. iiko keeps one webhook address
// per API key and organization: when that is another address — another
// integration's, or a Stolik hub's address for another venue — it changes
// nothing and returns an error wrapping agent.ErrRefused that names the
// other address's host and what to do. An address with the same path on
// another host is the hub's old address, and is replaced.
func (c *Connector) SetWebhook(ctx context.Context, hookURL, token string) error {
	ours, err := url.Parse(hookURL)
	if err != nil || ours.Host == "" {
		return fmt.Errorf("iiko webhooks: %q is not an address: %w", hookURL, agent.ErrBadRequest)
	}
	v, err := c.resolve(ctx)
	if err != nil {
		return err
	}
	var cur webhookSettings
	if err := c.c.call(ctx, "webhooks/settings",
		map[string]any{"organizationId": v.org}, &cur); err != nil {
		return err
	}
	want := webhookFilter()
	if cur.URI != "" && cur.URI != hookURL {
		old, err := url.Parse(cur.URI)
		if err != nil || old.Path != ours.Path {
			host := cur.URI
			if err == nil && old.Host != "" {
				host = old.Host
			}
			return fmt.Errorf("iiko webhooks: the API key's webhooks for this restaurant "+
				"already go to %s, probably another integration; iiko sends them to one "+
				"address only, so Stolik left them as they are. Make a second API key in "+
				"iikoWeb for Stolik's agent, or enter Stolik's address there by hand if "+
				"that address is no longer used: %w", host, agent.ErrRefused)
		}
	}
	if cur.URI == hookURL && cur.AuthToken == token && cur.Filter.covers(want) {
		c.log.Info("iiko webhook already set", "host", ours.Host)
		return nil
	}
	var ans struct {
		CorrelationID string `json:"correlationId"`
	}
	if err := c.c.call(ctx, "webhooks/update_settings", map[string]any{
		"organizationId": v.org, "webHooksUri": hookURL, "authToken": token,
		"webHooksFilter": want,
	}, &ans); err != nil {
		return err
	}
	c.log.Info("iiko webhook set", "host", ours.Host, "replaced", cur.URI != "")
	return nil
}
