// Package telegram is the Stolik Telegram bot: guests book tables at a
// venue in Russian or English, follow their bookings' state and get
// reminders; each venue's staff chat gets new bookings, cancellations and
// failures, and in manual mode confirms or declines bookings.
//
// # How it talks to Telegram
//
// Updates come by long polling (one hub replica) or by a webhook on the
// hub's own HTTP server (several replicas; see Handler). Every message the
// bot sends or edits goes through the durable send queue
// (hub/telegram/sendqueue) under an idempotency key, so the Bot API's
// flood limits hold across replicas and a message is never sent twice;
// only callback answers and membership checks call the Bot API directly.
//
// A booking flow lives in one message that each step edits. The flow's
// state is kept in the store per chat (hub.TelegramChat), never in
// callback data: a button carries ids (the flow's token, a booking id, a
// chosen value), and the bot checks them against the store when it is
// pressed. A button from an older flow is stale; one the bot never made,
// or a booking button pressed by someone else, is refused politely.
//
// # Booking states
//
// The guest hears each change of their booking once, in the message that
// showed the booking: the desk calls Changed after every transition it
// makes, and a sweep (every few seconds) catches changes made on other
// replicas by comparing each open booking with the last state told (kept
// per booking in the store). Both enqueue under the key booking id +
// state + start, so the two paths never tell the guest twice.
package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/schedule"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
)

// Defaults of Options.
const (
	DefaultReminderBefore    = 3 * time.Hour
	DefaultMaxBookingsPerDay = 5
	DefaultMaxActive         = 3
	DefaultSweepInterval     = 5 * time.Second
	DefaultPollTimeout       = 25 * time.Second
)

// ChannelTelegram is the Channel of bookings made through the bot.
const ChannelTelegram = "telegram"

// JobReminder is the kind of the job that reminds a guest of a booking.
const JobReminder = "telegram.reminder"

// Outbox is what the bot needs of the send queue (*sendqueue.Queue).
type Outbox interface {
	// Enqueue stores a message to send; the same Key twice sends once.
	Enqueue(ctx context.Context, m sendqueue.Message) error
}

// Options configure a Bot. Store, Desk, Queue and Token are required.
type Options struct {
	Token string
	// APIURL is the Bot API's base URL; empty means Telegram's.
	APIURL string
	Store  hub.Store
	Desk   *desk.Desk
	Queue  Outbox
	Logger *slog.Logger
	Now    func() time.Time
	// Client makes the Bot API calls the bot makes itself.
	Client *http.Client

	// ReminderBefore is how long before the start a guest is reminded.
	ReminderBefore time.Duration
	// MaxBookingsPerDay bounds the bookings a guest makes in 24 hours,
	// MaxActive their upcoming bookings (the venue's policy may be
	// stricter).
	MaxBookingsPerDay int
	MaxActive         int
	// SweepInterval is how often bookings are compared with what their
	// guests were told.
	SweepInterval time.Duration

	// Webhook: when WebhookURL is set, Run registers it with Telegram and
	// updates come through Handler, which checks WebhookSecret; otherwise
	// Run long-polls with PollTimeout.
	WebhookURL    string
	WebhookSecret string
	PollTimeout   time.Duration
	// StaffLang is the language of staff chat posts; default "ru".
	StaffLang string
	// Replica names this hub process in the poller lease: with long
	// polling, the one replica holding it polls. Default random.
	Replica string
	// PollerLease is how long the poller lease lasts unrenewed; default
	// 15 s.
	PollerLease time.Duration

	// testRoutes, set by tests only, adds handlers once the bot's own are
	// in place.
	testRoutes func(*Bot)
	// testBeforeSave, set by tests only, runs before a chat's state is
	// saved.
	testBeforeSave func(chatID int64)
}

// Bot is the Telegram bot. Its methods are safe for concurrent use.
type Bot struct {
	opts  Options
	store hub.Store
	desk  *desk.Desk
	queue Outbox
	log   *slog.Logger
	now   func() time.Time
	cat   Catalog
	tb    *tele.Bot

	// chats serialises the updates of one chat on this replica (striped
	// by chat id), so that two quick presses do not race on its flow.
	chats [64]sync.Mutex
	// tells serialises the tellings of one booking (striped by id).
	tells [64]sync.Mutex
	flood flood
	// ready is set once Run has learnt who the bot is (getMe); the webhook
	// refuses updates until then, and Telegram delivers them again.
	ready atomic.Bool
}

// New returns the bot; it reaches the Bot API only once Run starts.
func New(opts Options) (*Bot, error) {
	if opts.Store == nil || opts.Desk == nil || opts.Queue == nil || opts.Token == "" {
		return nil, errors.New("telegram bot: token, store, desk and send queue are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReminderBefore <= 0 {
		opts.ReminderBefore = DefaultReminderBefore
	}
	if opts.MaxBookingsPerDay <= 0 {
		opts.MaxBookingsPerDay = DefaultMaxBookingsPerDay
	}
	if opts.MaxActive <= 0 {
		opts.MaxActive = DefaultMaxActive
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = DefaultSweepInterval
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = DefaultPollTimeout
	}
	if opts.Replica == "" {
		opts.Replica = hub.NewID("bot")
	}
	if opts.PollerLease <= 0 {
		opts.PollerLease = 15 * time.Second
	}
	if opts.StaffLang == "" {
		opts.StaffLang = "ru"
	}
	if opts.WebhookURL != "" && opts.WebhookSecret == "" {
		return nil, errors.New("telegram bot: a webhook needs a secret (webhook_secret)")
	}
	cat, err := LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("telegram bot: %w", err)
	}
	b := &Bot{opts: opts, store: opts.Store, desk: opts.Desk, queue: opts.Queue,
		log: opts.Logger, now: opts.Now, cat: cat}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: opts.PollTimeout + 10*time.Second}
	}
	var poller tele.Poller = &tele.LongPoller{Timeout: opts.PollTimeout,
		AllowedUpdates: []string{"message", "callback_query"}}
	if opts.WebhookURL != "" {
		poller = idlePoller{}
	}
	b.tb, err = tele.NewBot(tele.Settings{Token: opts.Token, URL: opts.APIURL, Client: client,
		Poller: poller, OnError: b.onError, Offline: true})
	if err != nil {
		return nil, fmt.Errorf("telegram bot: %w", err)
	}
	b.routes()
	return b, nil
}

// idlePoller polls nothing: with a webhook, updates come through Handler.
type idlePoller struct{}

// Poll waits for the bot to stop.
func (idlePoller) Poll(_ *tele.Bot, _ chan tele.Update, stop chan struct{}) { <-stop }

// redact removes the bot's token from err: telebot's errors carry the
// request URL, which has the token in it.
func (b *Bot) redact(err error) error {
	if err == nil || !strings.Contains(err.Error(), b.opts.Token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), b.opts.Token, "<token>"))
}

func (b *Bot) onError(err error, c tele.Context) {
	err = b.redact(err)
	if c != nil {
		b.log.Error("telegram update failed", "update", c.Update().ID, "err", err)
		return
	}
	b.log.Error("telegram bot", "err", err)
}

// Username is the bot's Telegram user name, for t.me links; empty until
// Run has reached the Bot API.
func (b *Bot) Username() string {
	if !b.ready.Load() {
		return ""
	}
	return b.tb.Me.Username
}

// connect asks the Bot API who the bot is, retrying with backoff while it
// is unreachable; a token Telegram refuses is an error at once.
func (b *Bot) connect(ctx context.Context) error {
	wait := time.Second
	for {
		raw, err := b.tb.Raw("getMe", map[string]string{})
		if err == nil {
			var resp struct {
				Result tele.User `json:"result"`
			}
			if err := json.Unmarshal(raw, &resp); err != nil {
				return fmt.Errorf("telegram bot: decode getMe: %w", err)
			}
			b.tb.Me = &resp.Result
			b.ready.Store(true)
			b.log.Info("telegram bot connected", "bot", resp.Result.Username)
			return nil
		}
		if errors.Is(err, tele.ErrUnauthorized) || errors.Is(err, tele.ErrNotFound) {
			return fmt.Errorf("telegram bot: the Bot API refused the token "+
				"(check STOLIK_TELEGRAM_TOKEN): %w", b.redact(err))
		}
		b.log.Warn("telegram bot API unreachable; retrying", "retry_in", wait,
			"err", b.redact(err))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

func (b *Bot) routes() {
	b.tb.Use(b.recovered) // first: every handler registered below is wrapped
	b.tb.Handle("/start", b.private(b.onStart))
	b.tb.Handle("/my", b.private(b.onMy))
	b.tb.Handle("/lang", b.private(b.onLang))
	b.tb.Handle("/help", b.private(b.onHelp))
	b.tb.Handle("/link", b.locked(b.onLink))
	b.tb.Handle(tele.OnMigration, b.onMigration)
	b.tb.Handle(tele.OnText, b.private(b.onText))
	b.tb.Handle(tele.OnContact, b.private(b.onContact))
	b.tb.Handle(tele.OnCallback, b.locked(b.onCallback))
	if b.opts.testRoutes != nil {
		b.opts.testRoutes(b)
	}
}

// locked runs h with the chat's lock held, for a user within the flood
// limit. A button press without a chat (an inline message's) is refused.
func (b *Bot) locked(h tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) error {
		if c.Chat() == nil || c.Sender() == nil {
			if c.Callback() != nil {
				return b.refuse(c, "cb.invalid")
			}
			return nil
		}
		if !b.flood.allow(c.Sender().ID, time.Now()) {
			b.log.Warn("dropped an update over the flood limit", "user", c.Sender().ID)
			if c.Callback() != nil {
				return b.refuse(c, "cb.slow")
			}
			return nil
		}
		h32 := fnv.New32a()
		fmt.Fprint(h32, c.Chat().ID)
		mu := &b.chats[h32.Sum32()%uint32(len(b.chats))]
		mu.Lock()
		defer mu.Unlock()
		return h(c)
	}
}

// refuse answers a button press with the text of key.
func (b *Bot) refuse(c tele.Context, key string) error {
	lang := Languages[0]
	if c.Sender() != nil {
		lang = Lang(c.Sender().LanguageCode)
	}
	if err := c.Respond(&tele.CallbackResponse{Text: b.cat.T(lang, key)}); err != nil {
		b.log.Warn("answer callback query", "err", b.redact(err))
	}
	return nil
}

// private runs h for private chats only: groups get staff commands alone.
// A message whose chat state another replica saved meanwhile is handled
// again from the stored state.
func (b *Bot) private(h tele.HandlerFunc) tele.HandlerFunc {
	return b.locked(func(c tele.Context) error {
		if c.Chat().Type != tele.ChatPrivate || c.Sender() == nil {
			return nil
		}
		for attempt := 1; ; attempt++ {
			err := h(c)
			if !errors.Is(err, hub.ErrStaleChat) || attempt == staleRetries {
				return err
			}
			b.log.Info("a chat's flow changed while a message was handled; handling it again",
				"chat", c.Chat().ID, "attempt", attempt)
		}
	})
}

// Run serves until ctx is done: the long poll (or, with a webhook, its
// registration) and the sweep of booking states.
func (b *Bot) Run(ctx context.Context) error {
	if err := b.connect(ctx); err != nil || ctx.Err() != nil {
		return err
	}
	if err := b.setup(); err != nil {
		return err
	}
	p := &poller{bot: b}
	defer p.stop()
	if b.opts.WebhookURL != "" {
		p.start() // the idle poller: updates come through Handler
	}
	sweep := time.NewTicker(b.opts.SweepInterval)
	defer sweep.Stop()
	lease := time.NewTicker(b.opts.PollerLease / 3)
	defer lease.Stop()
	for {
		if b.opts.WebhookURL == "" {
			b.leasePoll(ctx, p)
		}
		select {
		case <-ctx.Done():
			polled := p.running && b.opts.WebhookURL == ""
			p.stop()
			if polled {
				b.releasePoll()
			}
			return nil
		case <-sweep.C:
			if err := b.Sweep(ctx); err != nil && ctx.Err() == nil {
				b.log.Error("sweep telegram bookings", "err", err)
			}
		case <-lease.C:
		}
	}
}

// PollerLease names the store lease of the replica that long-polls:
// Telegram serves getUpdates to one client at a time.
const PollerLease = "telegram-poller"

// leasePoll long-polls while this replica holds the poller lease.
func (b *Bot) leasePoll(ctx context.Context, p *poller) {
	have, err := b.store.ClaimLease(ctx, PollerLease, b.opts.Replica, b.now().UTC(),
		b.opts.PollerLease)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("claim the telegram poller lease", "err", err)
		}
		have = false
	}
	switch {
	case have && !p.running:
		b.log.Info("long polling telegram updates", "replica", b.opts.Replica)
		p.start()
	case !have && p.running:
		b.log.Info("another replica long-polls telegram updates now")
		p.stop()
	}
}

func (b *Bot) releasePoll() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := b.store.ReleaseLease(ctx, PollerLease, b.opts.Replica); err != nil {
		b.log.Warn("release the telegram poller lease", "err", err)
	}
}

// poller starts and stops telebot's update loop.
type poller struct {
	bot     *Bot
	running bool
	done    chan struct{}
}

func (p *poller) start() {
	p.running, p.done = true, make(chan struct{})
	go func() {
		defer close(p.done)
		p.bot.tb.Start()
	}()
}

func (p *poller) stop() {
	if !p.running {
		return
	}
	p.bot.tb.Stop()
	<-p.done
	p.running = false
}

// setup registers the webhook, or removes one before long polling (the
// Bot API refuses getUpdates while a webhook is set), and the commands.
func (b *Bot) setup() error {
	if b.opts.WebhookURL != "" {
		_, err := b.tb.Raw("setWebhook", map[string]any{"url": b.opts.WebhookURL,
			"secret_token":    b.opts.WebhookSecret,
			"allowed_updates": []string{"message", "callback_query"}})
		if err != nil {
			return fmt.Errorf("telegram bot: set webhook: %w", b.redact(err))
		}
	} else if _, err := b.tb.Raw("deleteWebhook", map[string]any{}); err != nil {
		return fmt.Errorf("telegram bot: delete webhook: %w", b.redact(err))
	}
	for _, lang := range Languages {
		cmds := []tele.Command{{Text: "start", Description: b.cat.T(lang, "btn.new")},
			{Text: "my", Description: b.cat.T(lang, "btn.my")},
			{Text: "lang", Description: b.cat.T(lang, "cmd.lang")},
			{Text: "help", Description: b.cat.T(lang, "cmd.help")}}
		if err := b.tb.SetCommands(cmds, lang); err != nil {
			b.log.Warn("set bot commands", "lang", lang, "err", b.redact(err))
		}
	}
	return nil
}

// maxUpdateSize bounds a webhook request body.
const maxUpdateSize = 1 << 20

// Handler serves the webhook (POST /telegram/webhook): it checks the
// secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (401 on a
// mismatch), and hands the update to the bot.
func (b *Bot) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST an update", http.StatusMethodNotAllowed)
			return
		}
		if !b.ready.Load() {
			http.Error(w, "the bot is starting", http.StatusServiceUnavailable)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if b.opts.WebhookSecret == "" ||
			subtle.ConstantTimeCompare([]byte(got), []byte(b.opts.WebhookSecret)) != 1 {
			http.Error(w, "wrong secret token", http.StatusUnauthorized)
			return
		}
		var u tele.Update
		if err := json.NewDecoder(io.LimitReader(r.Body, maxUpdateSize)).Decode(&u); err != nil {
			b.log.Warn("bad webhook update", "err", err)
			http.Error(w, "update is not JSON", http.StatusBadRequest)
			return
		}
		b.tb.ProcessUpdate(u)
		w.WriteHeader(http.StatusOK)
	})
}

// Handlers returns the bot's job handlers by kind, for the scheduler.
func (b *Bot) Handlers() map[string]schedule.Handler {
	return map[string]schedule.Handler{JobReminder: b.runReminder}
}
