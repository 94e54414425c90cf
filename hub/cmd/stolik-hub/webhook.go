package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/stolik/stolik/hub/web"
)

// webhookCmd prints what to enter in iikoWeb's webhook settings for a
// venue: the URL (in full when public_url is set), the auth token, the
// events to turn on, and how to check. With --set it queues a webhook.set
// command for the venue's agent instead, which registers them through
// iikoCloud's /webhooks/update_settings (see queueWebhook).
func webhookCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var venue string
	var set bool
	c, _, err := loadConfig("webhook", args, func(fs *flag.FlagSet) {
		fs.StringVar(&venue, "venue", "", "venue name or id")
		fs.BoolVar(&set, "set", false, "have the venue's agent register the webhook "+
			"with iiko (needs public_url)")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(venue) == "" {
		return errors.New("webhook: --venue is required (the restaurant's name or id)")
	}
	if c.WebhookSecret == "" {
		return errors.New("webhook: webhooks are off; set webhook_secret in hub.yaml " +
			"(or STOLIK_WEBHOOK_SECRET), e.g. from: openssl rand -hex 32")
	}
	store, err := openStore(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer store.Close()
	venues, err := store.Venues(ctx)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	for _, v := range venues {
		if v.ID != venue && v.Name != venue {
			continue
		}
		url := webhookURL(c.PublicURL, v.ID)
		token := web.WebhookToken(c.WebhookSecret, v.ID)
		if set {
			return queueWebhook(ctx, store, v, c.PublicURL, url, token, stdout)
		}
		fmt.Fprintf(stdout, "venue_id: %s\npath: %s\n", v.ID, web.WebhookPath(v.ID))
		if c.PublicURL != "" {
			fmt.Fprintf(stdout, "url: %s\n", url)
		}
		fmt.Fprintf(stdout, "auth_token: %s\n", token)
		fmt.Fprint(stdout, webhookHelp(url, token, c.PublicURL == ""))
		return nil
	}
	return fmt.Errorf("webhook: no venue named %q; see GET /api/v1/venues", venue)
}

// webhookURL is the address iiko posts a venue's events to: under the
// hub's public address when it is configured, else with a placeholder.
func webhookURL(publicURL, venueID string) string {
	base := strings.TrimRight(publicURL, "/")
	if base == "" {
		base = "https://<the hub's public address>"
	}
	return base + web.WebhookPath(venueID)
}

// webhookHelp tells restaurant IT what to enter in iikoWeb, field by field.
func webhookHelp(url, token string, placeholder bool) string {
	var b strings.Builder
	b.WriteString(`#
# In iikoWeb, open the iikoCloud API key the venue's agent uses
# (Integrations -> API keys) and fill in its webhook settings:
#   Webhook URL:  ` + url + "\n")
	if placeholder {
		b.WriteString("#                 (set public_url in hub.yaml to have it printed in full)\n")
	}
	b.WriteString(`#   Auth token:   ` + token + `
#   Events:       reserves (banquets): updates and errors;
#                 table orders: errors and every order status (New, Bill,
#                 Closed, Deleted).
#                 Other events (delivery, stop lists, shifts) are not used.
# The URL must be reachable from the internet over HTTPS: iiko's cloud
# sends the events, not the restaurant's computer.
# An API key has one webhook URL. If another integration already receives
# this key's webhooks, do not overwrite them: make a second API key with
# access to the restaurant and fill these settings in on that one.
# To check: change a reserve at the till. The change shows in Stolik within
# seconds, and the hub's log has no "iiko webhook with a wrong auth token".
`)
	return b.String()
}
