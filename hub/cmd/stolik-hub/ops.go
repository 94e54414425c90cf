package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/alert"
	"github.com/stolik/stolik/hub/config"
	"github.com/stolik/stolik/hub/metrics"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
)

// expiryCounter is the store as the command expiry job sees it: the
// commands it expires are counted in the metrics, and handed to then
// (the desk: a move that lapsed becomes a staff notice).
type expiryCounter struct {
	hub.Store
	m    *metrics.Metrics
	then func(ctx context.Context, expired []hub.Command)
}

// ExpireCommands expires overdue commands, counts them and hands them on.
func (s expiryCounter) ExpireCommands(ctx context.Context, now time.Time) (
	[]hub.Command, error) {
	expired, err := s.Store.ExpireCommands(ctx, now)
	s.m.CommandsExpired(len(expired))
	if len(expired) > 0 && s.then != nil {
		s.then(ctx, expired)
	}
	return expired, err
}

// newAlerts returns the evaluator of support alerts about agents. They go
// to the support chat through the Telegram send queue when there is one
// and alerts.chat_id is set; else to the log.
func newAlerts(store hub.Store, c config.Alerts, queue *sendqueue.Queue,
	log *slog.Logger) *alert.Evaluator {
	var n alert.Notifier = alert.LogNotifier{Log: log}
	switch {
	case queue != nil && c.ChatID != 0:
		n = chatNotifier{queue: queue, chatID: c.ChatID}
	case c.ChatID != 0:
		log.Warn("alerts.chat_id is set but the Telegram bot is off (no token); "+
			"alerts go to this log", "chat_id", c.ChatID)
	}
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

// chatNotifier sends alerts to the support chat through the send queue,
// whose keys make each alert go out at most once.
type chatNotifier struct {
	queue  *sendqueue.Queue
	chatID int64
}

// Notify enqueues text for the support chat under key.
func (n chatNotifier) Notify(ctx context.Context, key, text string) error {
	return n.queue.Enqueue(ctx, sendqueue.Message{Key: "alert/" + key, ChatID: n.chatID,
		Text: text})
}
