package telegram_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	agentconfig "github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/hub/schedule"
	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
	"github.com/stolik/stolik/shared/wire"
)

const (
	venueID = "ven_pushkin"
	token   = "123:TEST"
)

// clock is real time shifted by a settable offset, so that a test can
// jump to a reminder without waiting for it.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// envOptions choose the venue under test.
type envOptions struct {
	mode hub.Mode
	// sim runs a real agent with the sim connector (api mode); otherwise
	// the venue's tables are applied directly.
	sim         bool
	refuseEvery int
	webhook     bool
	tune        func(*telegram.Options)
	// postgres runs the hub on PostgreSQL instead of bolt.
	postgres bool
	// floodLimits keeps the fake's Telegram-like flood limits and the
	// queue's real pacing (tests otherwise lift both, for speed).
	floodLimits bool
}

// env is a hub in one process: a store, the desk, the gateway on loopback
// with a real agent, the send queue, the scheduler and the bot, talking to
// a fake Bot API. More replicas may share the store (addReplica).
type env struct {
	t     testing.TB
	ctx   context.Context
	store hub.Store
	fake  *telegramtest.Server
	clock *clock
	zone  *time.Location
	log   *slog.Logger
	wg    sync.WaitGroup
	// desk, bot and url are the first replica's; url is its HTTP server
	// (gateway and webhook).
	desk *desk.Desk
	bot  *telegram.Bot
	url  string
	// realPace leaves the send queue's pacing at its defaults.
	realPace bool
	// closers close the replicas' servers once everything stopped.
	closers []func()
}

// logs keeps everything logged in a test, and shows warnings and errors
// in the test log.
type logs struct {
	t  testing.TB
	mu sync.Mutex
	b  strings.Builder
}

func newLogs(t testing.TB) (*logs, *slog.Logger) {
	l := &logs{t: t}
	return l, slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.b.Write(p)
	l.mu.Unlock()
	if s := string(p); !strings.Contains(s, "level=DEBUG") && !strings.Contains(s, "level=INFO") {
		l.t.Log(strings.TrimRight(s, "\n"))
	}
	return len(p), nil
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// phoneLike matches a Russian phone number however the tests write it:
// +79001234567, 8 900 765-43-21, a bare 79001234567.
var phoneLike = regexp.MustCompile(`\+7\d{10}|[78] ?\(?\d{3}\)? \d{3}[- ]\d{2}[- ]\d{2}|` +
	`(?:^|\D)[78]9\d{9}(?:\D|$)`)

// secrets fails the test if the log holds the bot's token or any phone
// number.
func (l *logs) secrets() {
	l.t.Helper()
	text := l.String()
	if strings.Contains(text, token) {
		l.t.Errorf("the log holds the bot's token")
	}
	for _, phone := range phoneLike.FindAllString(text, 5) {
		l.t.Errorf("the log holds a phone number: %q", strings.TrimSpace(phone))
	}
}

// policy: open 10:00–23:00 every day, an hour per party of up to 4,
// bookable from a minute ahead, cancelled online up to 2 hours ahead.
func policy() hub.Policy {
	p := hub.Policy{
		TurnTimes:    []hub.TurnTime{{MaxParty: 4, Duration: wire.Duration(time.Hour)}},
		MinLead:      wire.Duration(time.Minute),
		CancelCutoff: wire.Duration(2 * time.Hour),
		SlotStep:     wire.Duration(30 * time.Minute),
	}
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		p.Services = append(p.Services, hub.Service{Weekday: wd, Open: "10:00", Close: "23:00"})
	}
	return p
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	zone, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, clock: &clock{}, zone: zone}
	logged, log := newLogs(t)
	e.log = log
	if o.postgres {
		e.store, err = postgres.Open(ctx, postgres.Config{URL: pgtest.URL(t)})
	} else {
		e.store, err = bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	if o.mode == "" {
		o.mode = hub.ModeAPI
	}
	e.must("create venue", e.store.CreateVenue(ctx, hub.Venue{ID: venueID, Name: "Пушкин",
		TimeZone: "Europe/Moscow", Mode: o.mode, Policy: policy(), CreatedAt: time.Now()}))
	secret := hub.NewSecret()
	e.must("create agent", e.store.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: venueID,
		SecretHash: hub.HashSecret(secret), CreatedAt: time.Now()}))
	e.fake = telegramtest.New(t)
	e.realPace = o.floodLimits
	if !o.floodLimits {
		e.fake.SetLimits(telegramtest.NoLimits)
	}
	t.Cleanup(func() {
		cancel()
		e.wg.Wait()
		for _, c := range e.closers {
			c()
		}
		e.store.Close()
		logged.secrets()
	})

	r := e.addReplica("r1", true, o.webhook, o.tune)
	e.desk, e.bot, e.url = r.desk, r.bot, r.url
	if o.sim {
		c := agentconfig.Default()
		c.DataDir = t.TempDir()
		c.PollInterval = 200 * time.Millisecond
		c.Hub = agentconfig.Hub{URLs: []string{r.url}, AgentID: "agt_1", Secret: secret}
		c.Connector.Sim = agentconfig.Sim{Seed: 7, Halls: 1, Tables: 6, Step: time.Hour,
			ChangesPerStep: 1, RefuseEvery: o.refuseEvery}
		c.Uplink.BackoffMin, c.Uplink.BackoffMax = 50*time.Millisecond, time.Second
		e.run(func(ctx context.Context) error { return service.Run(ctx, c, "test", log) })
		e.waitAgent()
	} else {
		e.tables()
	}
	return e
}

// run runs f until the test ends.
func (e *env) run(f func(context.Context) error) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := f(e.ctx); err != nil && e.ctx.Err() == nil {
			e.t.Errorf("component stopped: %v", err)
		}
	}()
}

// replica is one hub process's part of the env.
type replica struct {
	desk *desk.Desk
	bot  *telegram.Bot
	url  string
}

// addReplica starts a hub replica on the env's store: a gateway and
// webhook on a loopback server, a desk (whose changes reach the bot when
// hook is set), a send queue, a scheduler and a bot.
func (e *env) addReplica(name string, hook, webhook bool,
	tune func(*telegram.Options)) *replica {
	e.t.Helper()
	r := &replica{}
	var bot atomic.Pointer[telegram.Bot]
	var d *desk.Desk
	gw := gateway.New(e.store, gateway.Options{Logger: e.log, Replica: name,
		Settings: wire.Settings{PollInterval: wire.Duration(200 * time.Millisecond)},
		OnApplied: func(_, venue string) {
			go func() { _ = d.FollowMirror(e.ctx, venue) }()
		},
		OnResult: func(agentID string, c hub.Command, res wire.Result) {
			go func() {
				if err := d.OnResult(e.ctx, agentID, c, res); err != nil && e.ctx.Err() == nil {
					e.t.Logf("on result: %v", err)
				}
			}()
		}})
	opts := desk.Options{Logger: e.log, Now: e.clock.Now, Replica: name}
	if hook {
		opts.OnChange = func(ctx context.Context, from hub.BookingState, b hub.Booking) {
			if bt := bot.Load(); bt != nil {
				bt.Changed(ctx, from, b)
			}
		}
	}
	d = desk.New(e.store, gw, opts)
	r.desk = d

	qopts := sendqueue.Options{Logger: e.log, Holder: name, Now: e.clock.Now,
		PrivateInterval: 10 * time.Millisecond, GroupInterval: 10 * time.Millisecond,
		Rate: 500, Poll: 20 * time.Millisecond}
	if e.realPace {
		qopts = sendqueue.Options{Logger: e.log, Holder: name, Now: e.clock.Now}
	}
	queue := sendqueue.New(e.store, &sendqueue.BotAPI{URL: e.fake.URL(), Token: token}, qopts)
	bopts := telegram.Options{Token: token, APIURL: e.fake.URL(), Store: e.store, Desk: d,
		Queue: queue, Logger: e.log, Now: e.clock.Now, PollTimeout: time.Second,
		SweepInterval: 100 * time.Millisecond, Replica: name, PollerLease: time.Second}
	mux := http.NewServeMux()
	mux.Handle("/agent/", gw)
	srv := httptest.NewServer(mux)
	r.url = srv.URL
	e.closers = append(e.closers, func() {
		gw.Close()
		srv.Close()
	})
	if webhook {
		bopts.WebhookURL, bopts.WebhookSecret = srv.URL+"/telegram/webhook", "hook-secret"
	}
	if tune != nil {
		tune(&bopts)
	}
	b, err := telegram.New(bopts)
	if err != nil {
		e.t.Fatalf("new bot: %v", err)
	}
	bot.Store(b)
	r.bot = b
	mux.Handle("/telegram/webhook", b.Handler())

	jobs := schedule.New(e.store, schedule.Options{Interval: 50 * time.Millisecond,
		Logger: e.log, Now: e.clock.Now})
	for kind, h := range d.Handlers() {
		jobs.Handle(kind, h)
	}
	for kind, h := range b.Handlers() {
		jobs.Handle(kind, h)
	}
	e.run(queue.Run)
	e.run(b.Run)
	e.run(jobs.Run)
	return r
}

func (e *env) must(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// tables applies a venue's tables as an agent would: t1 and t2 seat four.
func (e *env) tables() {
	e.t.Helper()
	var events []wire.Event
	for i, id := range []string{"t1", "t2"} {
		raw, _ := json.Marshal(wire.Table{ID: id, Number: id[1:], Seats: 4})
		events = append(events, wire.Event{Seq: uint64(i + 1), Entity: wire.EntityTable, ID: id,
			Op: wire.OpUpsert, Data: raw, At: time.Now()})
	}
	_, err := e.store.ApplyBatch(e.ctx, "agt_1", events)
	e.must("apply tables", err)
}

// waitAgent waits until the agent is connected, its RMS read and its
// tables in the mirror, so that the venue takes bookings.
func (e *env) waitAgent() {
	e.t.Helper()
	e.eventually("the agent to connect and report its RMS healthy", func() bool {
		a, err := e.store.Agent(e.ctx, "agt_1")
		if err != nil || !a.Status.Health.OK {
			return false
		}
		tables, err := e.store.Tables(e.ctx, venueID)
		return err == nil && len(tables) > 0
	})
}

func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// guest is a Telegram user talking to the bot.
type guest struct {
	e    *env
	user telegramtest.User
	chat telegramtest.Chat
}

func (e *env) guest(id int64, name, lang string) *guest {
	u := telegramtest.User{ID: id, FirstName: name, LanguageCode: lang}
	return &guest{e: e, user: u, chat: telegramtest.PrivateChat(u)}
}

// wait returns the newest message whose text contains want.
func (g *guest) wait(want string) telegramtest.Message {
	g.e.t.Helper()
	return g.e.fake.WaitFor(g.e.t, g.chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, want)
	})
}

// press presses the button labelled label on message m.
func (g *guest) press(m telegramtest.Message, label string) string {
	g.e.t.Helper()
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.Text == label {
				return g.e.fake.Press(g.chat, g.user, m.ID, b.Data)
			}
		}
	}
	g.e.t.Fatalf("message %d %q has no button %q; buttons %+v", m.ID, m.Text, label, m.Buttons)
	return ""
}

// pressWhere presses the first button whose callback data starts with
// prefix.
func (g *guest) pressWhere(m telegramtest.Message, prefix string) (string, string) {
	g.e.t.Helper()
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, prefix) {
				return b.Text, g.e.fake.Press(g.chat, g.user, m.ID, b.Data)
			}
		}
	}
	g.e.t.Fatalf("message %d %q has no button with data %s…", m.ID, m.Text, prefix)
	return "", ""
}

// answered waits for the answer to callback cb.
func (e *env) answered(cb string) string {
	e.t.Helper()
	var text string
	e.eventually("callback "+cb+" to be answered", func() bool {
		var ok bool
		text, ok = e.fake.Answered(cb)
		return ok
	})
	return text
}

// tomorrow is the venue's next date.
func (e *env) tomorrow() booking.Date {
	return booking.DateOf(e.clock.Now(), e.zone).AddDays(1)
}

// toSummary walks the booking flow to the summary: party, tomorrow,
// the time labelled at (the first free one when empty), the Telegram
// name, a shared phone, no comment. It returns the summary message and
// the time chosen.
func (g *guest) toSummary(party, at string) (telegramtest.Message, string) {
	g.e.t.Helper()
	g.e.fake.SendText(g.chat, g.user, "/start "+venueID)
	m := g.wait("?")
	g.press(m, party)
	m = g.e.fake.WaitFor(g.e.t, g.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "d:")
	})
	d := g.e.tomorrow()
	day := d.String()
	g.pressData(m, "d:", day[0:4]+day[5:7]+day[8:10])
	m = g.e.fake.WaitFor(g.e.t, g.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "t:")
	})
	if at == "" {
		at, _ = g.pressWhere(m, "t:")
	} else {
		g.press(m, at)
	}
	m = g.e.fake.WaitFor(g.e.t, g.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "n:")
	})
	g.press(m, g.user.FirstName)
	g.e.fake.WaitFor(g.e.t, g.chat.ID, func(m telegramtest.Message) bool {
		return len(m.Keyboard) > 0 && m.Keyboard[0][0].RequestContact
	})
	g.e.fake.SendContact(g.chat, g.user, "+7 900 123-45-67")
	m = g.e.fake.WaitFor(g.e.t, g.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "s:")
	})
	skip := m.Buttons[0][0].Text
	g.press(m, skip)
	m = g.e.fake.WaitFor(g.e.t, g.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "ok:")
	})
	return m, at
}

// pressData presses the button with data verb+…:+arg.
func (g *guest) pressData(m telegramtest.Message, verb, arg string) string {
	g.e.t.Helper()
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, verb) && strings.HasSuffix(b.Data, ":"+arg) {
				return g.e.fake.Press(g.chat, g.user, m.ID, b.Data)
			}
		}
	}
	g.e.t.Fatalf("message %d %q has no button %s…:%s", m.ID, m.Text, verb, arg)
	return ""
}

func hasData(m telegramtest.Message, prefix string) bool {
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, prefix) {
				return true
			}
		}
	}
	return false
}

// confirmButton is the label of the summary's confirm button.
func confirmButton(lang string) string {
	if lang == "ru" {
		return "✅ Подтвердить"
	}
	return "✅ Confirm"
}

// bookings returns the venue's bookings.
func (e *env) bookings() []hub.Booking {
	e.t.Helper()
	list, err := e.store.Bookings(e.ctx, hub.BookingQuery{VenueID: venueID})
	e.must("list bookings", err)
	return list
}
