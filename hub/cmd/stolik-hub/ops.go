package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/alert"
	"github.com/stolik/stolik/hub/config"
	"github.com/stolik/stolik/hub/metrics"
)

// expiryCounter is the store as the command expiry job sees it: the
// commands it expires are counted in the metrics.
type expiryCounter struct {
	hub.Store
	m *metrics.Metrics
}

// ExpireCommands expires overdue commands and counts them.
func (s expiryCounter) ExpireCommands(ctx context.Context, now time.Time) (
	[]hub.Command, error) {
	expired, err := s.Store.ExpireCommands(ctx, now)
	s.m.CommandsExpired(len(expired))
	return expired, err
}

// newAlerts returns the evaluator of support alerts about agents.
func newAlerts(store hub.Store, c config.Alerts, log *slog.Logger) *alert.Evaluator {
	// TODO(#8): send to the support chat (c.ChatID) through the Telegram
	// bot's send queue once it exists; until then alerts are logged.
	if c.ChatID != 0 {
		log.Warn("alerts.chat_id is set but the Telegram send queue is not wired yet; "+
			"alerts go to this log", "chat_id", c.ChatID)
	}
	n := alert.LogNotifier{Log: log}
	log.Info("support alerts", "to", c.String(), "offline_after", c.OfflineAfter,
		"unhealthy_after", c.UnhealthyAfter, "cooldown", c.Cooldown)
	cooldown := c.Cooldown
	if cooldown == 0 {
		cooldown = -1 // none: alert.Options takes 0 for its default
	}
	return alert.New(store, n, alert.Options{OfflineAfter: c.OfflineAfter,
		UnhealthyAfter: c.UnhealthyAfter, Cooldown: cooldown, Interval: c.Interval,
		SummaryOver: c.SummaryOver, Logger: log})
}
