package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// webhookSetTTL is how long a queued webhook.set waits for its agent: a
// day, as with the embedded store the hub is stopped while this command
// runs and the agent gets it once the hub is back and it reconnects.
const webhookSetTTL = 24 * time.Hour

// capabilityWebhook is agent.CapabilityWebhook: the agent's connector
// registers webhooks (the hub does not import the agent's packages).
const capabilityWebhook = "webhook.set"

// queueWebhook queues a webhook.set command, with the venue's webhook
// address and token, for each of the venue's agents that are not revoked
// and have not said they cannot do it, and prints what it queued.
func queueWebhook(ctx context.Context, store hub.Store, v hub.Venue, publicURL, url,
	token string, stdout io.Writer) error {
	if publicURL == "" {
		return errors.New("webhook --set: the hub's public address is not known; set " +
			"public_url in hub.yaml (or STOLIK_PUBLIC_URL) to the https address iiko's " +
			"cloud reaches the hub at")
	}
	req := wire.WebhookRequest{URL: url, AuthToken: token}
	if err := req.Validate(); err != nil {
		return fmt.Errorf("webhook --set: public_url %q: %w", publicURL, err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	agents, err := store.Agents(ctx)
	if err != nil {
		return fmt.Errorf("webhook --set: %w", err)
	}
	queued := 0
	for _, a := range agents {
		if a.VenueID != v.ID || a.RevokedAt != nil {
			continue
		}
		st := a.Status
		if st.Connector != "" && !slices.Contains(st.Capabilities, capabilityWebhook) {
			fmt.Fprintf(stdout, "# agent %s (%s connector, version %s) cannot register "+
				"webhooks; not queued\n", a.ID, st.Connector, st.Version)
			continue
		}
		now := time.Now().UTC()
		cmd := hub.Command{ID: hub.NewID("cmd"), AgentID: a.ID, Kind: wire.CommandSetWebhook,
			Body: body, CreatedAt: now, Expires: now.Add(webhookSetTTL),
			State: hub.CommandPending}
		if err := store.EnqueueCommand(ctx, cmd); err != nil {
			return fmt.Errorf("webhook --set: queue the command for agent %s: %w", a.ID, err)
		}
		if err := store.ScheduleJob(ctx, hub.CommandExpiryJob(cmd)); err != nil {
			return fmt.Errorf("webhook --set: schedule the command's expiry: %w", err)
		}
		fmt.Fprintf(stdout, "queued: %s %s for agent %s\nurl: %s\n", cmd.ID,
			wire.CommandSetWebhook, a.ID, url)
		queued++
	}
	if queued == 0 {
		return fmt.Errorf("webhook --set: venue %s has no agent that can register "+
			"webhooks; enroll one with: stolik-hub agent add --venue %s, or run this "+
			"command without --set and enter the settings in iikoWeb by hand", v.ID, v.ID)
	}
	fmt.Fprintf(stdout, `#
# The agent sets the webhook in iikoCloud when it gets the command: at
# once if it is connected to a running hub on PostgreSQL, else when it next
# connects (within %s). If the restaurant's API key already sends its
# webhooks to another integration, the agent leaves them and the command
# is refused with the reason.
# To see the result: GET /api/v1/commands/<id> (support key), or the
# agent's page on the dashboard.
`, webhookSetTTL)
	return nil
}
