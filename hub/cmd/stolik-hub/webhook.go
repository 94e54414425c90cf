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
// venue: the URL path under the hub's public address, and the auth token.
//
// TODO(#5): the agent could set this itself through
// /api/1/webhooks/update_settings, given the hub's public address and the
// token; until then restaurant IT enters it in iikoWeb by hand.
func webhookCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var venue string
	c, _, err := loadConfig("webhook", args, func(fs *flag.FlagSet) {
		fs.StringVar(&venue, "venue", "", "venue name or id")
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
		fmt.Fprintf(stdout, "venue_id: %s\npath: %s\nauth_token: %s\n", v.ID,
			web.WebhookPath(v.ID), web.WebhookToken(c.WebhookSecret, v.ID))
		fmt.Fprintln(stdout, "# in iikoWeb's webhook settings: URL https://<hub address>"+
			web.WebhookPath(v.ID)+", auth token as above; "+
			"events: reserves and table orders")
		return nil
	}
	return fmt.Errorf("webhook: no venue named %q; see GET /api/v1/venues", venue)
}
