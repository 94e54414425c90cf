package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/config"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/metrics"
	"github.com/stolik/stolik/hub/schedule"
	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
)

// defaultBotAPI is Telegram's Bot API.
const defaultBotAPI = "https://api.telegram.org"

// botHook passes the desk's booking changes to the bot once it runs: the
// desk is made before the bot, which needs the desk.
type botHook struct{ bot atomic.Pointer[telegram.Bot] }

// changed is the desk's OnChange.
func (h *botHook) changed(ctx context.Context, from hub.BookingState, b hub.Booking) {
	if bot := h.bot.Load(); bot != nil {
		bot.Changed(ctx, from, b)
	}
}

// newSendQueue returns the Telegram send queue when a bot token is
// configured, or nil: the bot and the support alerts both send through it.
// It counts sends and 429s in the metrics.
func newSendQueue(c config.Config, store hub.Store, replica string,
	log *slog.Logger) *sendqueue.Queue {
	tc := c.Telegram
	if !tc.Enabled() {
		return nil
	}
	return sendqueue.New(store, &sendqueue.BotAPI{URL: botAPI(tc), Token: tc.Token},
		sendqueue.Options{Holder: replica, Logger: log.With("component", "sendqueue"),
			OnSent: metrics.TelegramSent.Inc, OnFlood: metrics.Telegram429.Inc})
}

func botAPI(tc config.Telegram) string {
	if tc.APIURL != "" {
		return tc.APIURL
	}
	return defaultBotAPI
}

// tillTask is the desk's OnTillTask: the bot posts it to the staff chat.
// Without a bot the desk's log line is all there is, besides the venue
// page.
func (h *botHook) tillTask(ctx context.Context, b hub.Booking, reason string) {
	if bot := h.bot.Load(); bot != nil {
		bot.TillTask(ctx, b, reason)
	}
}

// startTelegram starts the bot when a token is configured: its send queue,
// its jobs, the webhook handler (with webhook_url) and the bot itself,
// until ctx ends. Without a token (queue nil) it logs how to enable it.
func startTelegram(ctx context.Context, c config.Config, store hub.Store, d *desk.Desk,
	queue *sendqueue.Queue, hook *botHook, mux *http.ServeMux, jobs *schedule.Runner,
	replica string, log *slog.Logger) error {
	tc := c.Telegram
	if queue == nil {
		log.Info("telegram bot off; set STOLIK_TELEGRAM_TOKEN to run it")
		return nil
	}
	log = log.With("component", "telegram")
	bot, err := telegram.New(telegram.Options{Token: tc.Token, APIURL: botAPI(tc), Store: store,
		Desk: d, Queue: queue, Logger: log, ReminderBefore: tc.ReminderBefore,
		MaxBookingsPerDay: tc.MaxBookingsPerDay, MaxActive: tc.MaxActiveBookings,
		WebhookURL: tc.WebhookURL, WebhookSecret: tc.WebhookSecret, Replica: replica,
		StaffLang: tc.StaffLang})
	if err != nil {
		return err
	}
	hook.bot.Store(bot)
	for kind, h := range bot.Handlers() {
		jobs.Handle(kind, h)
	}
	mode := "long polling"
	if tc.WebhookURL != "" {
		mux.Handle("POST "+config.WebhookPath, bot.Handler())
		mode = "webhook"
	}
	go func() {
		if err := queue.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("telegram send queue stopped", "err", err)
		}
	}()
	go func() {
		if err := bot.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("telegram bot stopped", "err", err)
		}
	}()
	log.Info("telegram bot starting", "updates", mode)
	return nil
}

// telegramCmd runs "stolik-hub telegram link --venue X": it prints a
// one-time code that links a Telegram group as the venue's staff chat.
func telegramCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "chain" {
		return telegramChain(ctx, args[1:], stdout)
	}
	if len(args) == 0 || args[0] != "link" {
		return errors.New(usage)
	}
	var venue string
	var ttl time.Duration
	c, _, err := loadConfig("telegram link", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&venue, "venue", "", "venue name or id")
		fs.DurationVar(&ttl, "ttl", telegram.DefaultLinkTTL, "how long the code stays valid")
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(venue) == "" || ttl <= 0 {
		return errors.New("telegram link: --venue is required (the restaurant's name or id), " +
			"--ttl must be positive")
	}
	store, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer store.Close()
	venues, err := store.Venues(ctx)
	if err != nil {
		return fmt.Errorf("telegram link: %w", err)
	}
	for _, v := range venues {
		if v.ID != venue && v.Name != venue {
			continue
		}
		code, link := telegram.NewStaffLink(v.ID, time.Now().UTC(), ttl)
		if err := store.CreateStaffLink(ctx, link); err != nil {
			return fmt.Errorf("telegram link: %w", err)
		}
		fmt.Fprintf(stdout, "venue_id: %s\ncode: %s\nexpires: %s\n", v.ID, code,
			link.Expires.Format(time.RFC3339))
		fmt.Fprintf(stdout, "# add the bot to the staff group and send there: /link %s\n", code)
		fmt.Fprintf(stdout, "# guests book with the link https://t.me/<bot>?start=%s\n", v.ID)
		if v.Chain != "" {
			fmt.Fprintf(stdout, "# or choose among the chain's venues: https://t.me/<bot>?start=%s\n",
				telegram.ChainLink(v.Chain))
		}
		return nil
	}
	return fmt.Errorf("telegram link: no venue named %q; see stolik-hub agent list", venue)
}

// telegramChain runs "stolik-hub telegram chain --chain ID --venue A,B":
// it puts the venues named (by name or id) in the chain, or takes them out
// of their chain with --chain "", and prints the chain's deep link, which
// offers a choice among its venues in the bot.
func telegramChain(ctx context.Context, args []string, stdout io.Writer) error {
	var chain, names string
	c, _, err := loadConfig("telegram chain", args, func(fs *flag.FlagSet) {
		fs.StringVar(&chain, "chain", "", "chain id: 1-32 of a-z, 0-9, _ and -; empty "+
			"takes the venues out of their chain")
		fs.StringVar(&names, "venue", "", "venue names or ids, comma-separated")
	})
	if err != nil {
		return err
	}
	if chain != "" && !hub.ValidChain(chain) {
		return fmt.Errorf("telegram chain: --chain %q: use 1-32 lower-case letters, digits, "+
			"_ or - (it goes into the bot's links)", chain)
	}
	if strings.TrimSpace(names) == "" {
		return errors.New("telegram chain: --venue is required (names or ids, comma-separated)")
	}
	store, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer store.Close()
	venues, err := store.Venues(ctx)
	if err != nil {
		return fmt.Errorf("telegram chain: %w", err)
	}
	var picked []hub.Venue
	for _, name := range strings.Split(names, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(venues, func(v hub.Venue) bool { return v.ID == name || v.Name == name })
		if i < 0 {
			return fmt.Errorf("telegram chain: no venue named %q; see stolik-hub agent list", name)
		}
		picked = append(picked, venues[i])
	}
	for _, v := range picked {
		v.Chain = chain
		if err := store.UpdateVenue(ctx, v); err != nil {
			return fmt.Errorf("telegram chain: %w", err)
		}
		fmt.Fprintf(stdout, "venue %s (%s): chain %q\n", v.ID, v.Name, chain)
	}
	if chain != "" {
		fmt.Fprintf(stdout, "# guests choose among the chain's venues with the link "+
			"https://t.me/<bot>?start=%s\n", telegram.ChainLink(chain))
	}
	return nil
}
