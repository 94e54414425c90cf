// Package sendqueue is the hub's durable, rate-limited queue of outgoing
// Telegram messages.
//
// A message is stored (Enqueue) before anything is sent, under an
// idempotency key: the same key enqueued twice is one message. A sender loop
// (Run) claims due messages from the store with a lease, sends them through
// the Bot API and records the Telegram message id. So a message survives a
// restart, and is sent at most once even when a replica dies mid-send: a
// plain send whose claim ran out before its result was recorded is "in
// doubt" and is logged, not repeated (repeating could show the guest the
// same message twice). An edit in that position is repeated, since editing
// a message to the same text twice changes nothing; but an edit that falls
// back to a new message is recorded as a plain send before it is sent, and
// is in doubt like one.
//
// Only one replica sends at a time: Run holds a named lease in the store
// ("telegram-sender"), renewed while it runs, and the others wait for it.
// So the queue's rate limits hold across replicas: at most one message a
// second to a private chat, 20 a minute to a group (sent 3.1 s apart), and
// 25 a second overall (Telegram allows 30). Each holds where Telegram
// counts, whatever the network delays: a chat's next message waits for the
// answer to its last one plus the interval, and a call counts against the
// overall limit from when it is made until a second after its answer. A
// sender that takes over (or restarts) first reads the last minute's sends
// from the store, so the limits hold across the handover too. Messages to
// one chat go out in the order they were enqueued (a handover may reorder
// a chat's messages that were waiting for their turn).
//
// A 429 answer pauses the chat and, since Telegram does not say which limit
// tripped, every send, for its retry_after; the message is then retried.
// Other refusals (blocked bot, bad text) fail the message; 5xx answers and
// connection failures before the request left are retried with backoff; a
// send that fails after it may have reached Telegram is in doubt.
//
// An edit (Message.EditKey) waits until its original is sent, and becomes
// a new message when the original is unknown, failed, in doubt, or
// Telegram will not edit it any more.
package sendqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/stolik/stolik/hub"
)

// Message is an outgoing Telegram message.
type Message struct {
	// Key is the message's idempotency key, e.g. "bk_123/confirmed".
	Key    string
	ChatID int64
	Text   string
	// Markup is the reply_markup (an inline keyboard), optional.
	Markup json.RawMessage
	// EditKey, if set, edits the message sent under that key instead of
	// sending a new one; if that message is unknown, was never sent or is
	// too old to edit, a new message is sent.
	EditKey   string
	ParseMode string
}

// Store is what the queue keeps its messages and its sender lease in.
type Store interface {
	hub.SendQueueStore
}

// Listener is a store that tells of messages other replicas enqueue, as
// the PostgreSQL store does with LISTEN/NOTIFY. A queue whose store is one
// listens while it holds the sender lease and looks at once when woken;
// Poll stays the fallback for a wake-up lost on the way.
type Listener interface {
	// ListenOutgoing calls wake for each message enqueued, and each time
	// it starts listening, until ctx is done.
	ListenOutgoing(ctx context.Context, wake func()) error
}

// MaxText is the most characters Telegram takes in a message's text.
const MaxText = 4096

// LeaseName is the store lease the sending replica holds.
const LeaseName = "telegram-sender"

// Options tune a Queue. Zero values take the defaults.
type Options struct {
	// Holder names this replica in the sender lease; default random.
	Holder string
	Logger *slog.Logger

	// PrivateInterval spaces messages to one private chat; default 1.05 s.
	PrivateInterval time.Duration
	// GroupInterval spaces messages to one group; default 3.1 s (fewer
	// than 20 a minute).
	GroupInterval time.Duration
	// Rate is the most calls a second overall; default 25.
	Rate int
	// CallTimeout bounds one Bot API call; default 10 s. A call under way
	// is finished even when Run is stopping, so that its outcome is known.
	CallTimeout time.Duration

	// Poll is how often the store is looked at when idle (delayed
	// messages; other replicas' when the store is no Listener, or a
	// wake-up was lost); default 200 ms. Enqueue wakes the loop.
	Poll time.Duration
	// Lease is how long a claimed message is this sender's; default 1 min.
	Lease time.Duration
	// SenderLease is the sender lease's length, renewed every third of it;
	// default 15 s.
	SenderLease time.Duration
	// Batch is the most messages claimed at once; default twice Rate.
	Batch int
	// Workers is how many chats are sent to at once; default 8.
	Workers int
	// Hold is how far ahead a claimed message may wait for its chat's turn
	// in memory; later it goes back to the store until then. Default 2 s.
	Hold time.Duration
	// MaxAttempts fails a message after this many claims that ended in a
	// retryable error (not counting 429s); default 10.
	MaxAttempts int
	// Retention is how long finished messages are kept (for SentID and
	// edits); default 7 days.
	Retention time.Duration

	Now func() time.Time

	// OnSent and OnFlood, if set, are called for each message the Bot API
	// accepted and each send it refused with 429 (for the metrics).
	OnSent, OnFlood func()
}

func (o *Options) defaults() {
	if o.Holder == "" {
		b := make([]byte, 6)
		rand.Read(b)
		o.Holder = "sender-" + hex.EncodeToString(b)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&o.PrivateInterval, 1050*time.Millisecond)
	setDefault(&o.GroupInterval, 3100*time.Millisecond)
	if o.Rate <= 0 {
		o.Rate = 25
	}
	setDefault(&o.CallTimeout, 10*time.Second)
	setDefault(&o.Poll, 200*time.Millisecond)
	setDefault(&o.Lease, time.Minute)
	setDefault(&o.SenderLease, 15*time.Second)
	if o.Batch <= 0 {
		o.Batch = 2 * o.Rate
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	setDefault(&o.Hold, 2*time.Second)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	setDefault(&o.Retention, 7*24*time.Hour)
	if o.Now == nil {
		o.Now = time.Now
	}
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Queue is the send queue. Enqueue and SentID may be called from any
// replica; Run sends.
type Queue struct {
	store Store
	api   API
	opts  Options
	log   *slog.Logger
	wake  chan struct{}
	// limit paces calls evenly (x/time/rate's token bucket); window makes
	// sure that no second holds more than Rate of them where Telegram
	// counts, whatever the network does.
	limit  *rate.Limiter
	window *window

	mu    sync.Mutex // guards chats and pause
	chats map[int64]*chatTurn
	// pause is when sending may resume after a 429.
	pause time.Time
}

// chatTurn is when a chat may get its next message.
type chatTurn struct {
	// next is the earliest next send: the last send's answer plus the
	// chat's interval.
	next time.Time
	// tail is the slot after the last one handed out, for messages that
	// have none yet.
	tail time.Time
}

// New returns a queue keeping messages in store and sending through api.
func New(store Store, api API, opts Options) *Queue {
	opts.defaults()
	return &Queue{
		store: store, api: api, opts: opts,
		log:    opts.Logger.With("component", "sendqueue", "holder", opts.Holder),
		wake:   make(chan struct{}, 1),
		limit:  rate.NewLimiter(rate.Limit(opts.Rate), 1),
		window: newWindow(opts.Rate, time.Second, opts.Now),
		chats:  map[int64]*chatTurn{},
	}
}

// Enqueue stores m for sending. A key enqueued before is not enqueued
// again (nil error): the first message under a key is the one sent.
func (q *Queue) Enqueue(ctx context.Context, m Message) error {
	switch {
	case m.Key == "":
		return errors.New("enqueue telegram message: empty key")
	case m.ChatID == 0:
		return fmt.Errorf("enqueue telegram message %q: no chat id", m.Key)
	case m.Text == "":
		return fmt.Errorf("enqueue telegram message %q: empty text", m.Key)
	case utf8.RuneCountInString(m.Text) > MaxText:
		return fmt.Errorf("enqueue telegram message %q: text has %d characters, "+
			"Telegram takes at most %d", m.Key, utf8.RuneCountInString(m.Text), MaxText)
	case m.EditKey == m.Key:
		return fmt.Errorf("enqueue telegram message %q: it edits itself", m.Key)
	}
	if len(m.Markup) > 0 && !json.Valid(m.Markup) {
		return fmt.Errorf("enqueue telegram message %q: markup is not valid JSON", m.Key)
	}
	err := q.store.EnqueueOutgoing(ctx, hub.Outgoing{
		Key: m.Key, ChatID: m.ChatID, Text: m.Text, Markup: m.Markup,
		EditKey: m.EditKey, ParseMode: m.ParseMode, CreatedAt: q.opts.Now().UTC(),
	})
	if err != nil && !errors.Is(err, hub.ErrExists) {
		return fmt.Errorf("enqueue telegram message: %w", err)
	}
	q.poke()
	return nil
}

// poke wakes the sending loop, if it is idle, to look at the store now.
func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// SentID returns the Telegram message id the message with key was sent as
// (for an edit, the id of the message it edited); ok is false while it is
// not sent, and if it failed, is in doubt or is unknown.
func (q *Queue) SentID(ctx context.Context, key string) (msgID int, ok bool, err error) {
	m, err := q.store.Outgoing(ctx, key)
	if errors.Is(err, hub.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up telegram message %q: %w", key, err)
	}
	return m.MsgID, m.State == hub.OutgoingSent, nil
}

// Run sends queued messages until ctx is done, then returns nil. It sends
// only while it holds the sender lease; without it, it tries for the lease
// every fifth of SenderLease, and gets it once it is released or, when its
// holder died, has run out.
func (q *Queue) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		got, err := q.store.ClaimLease(ctx, LeaseName, q.opts.Holder, q.opts.Now().UTC(),
			q.opts.SenderLease)
		if err != nil && ctx.Err() == nil {
			q.log.Error("claim sender lease", "err", err)
		}
		if got {
			q.hold(ctx)
		}
		select {
		case <-ctx.Done():
		case <-time.After(q.opts.SenderLease / 5):
		}
	}
	return nil
}

// hold sends while the sender lease stays this queue's, renewing it in the
// background every third of its length; it stops sending when a renewal
// fails, before the lease can run out and another replica start. When ctx
// ends it releases the lease. Meanwhile, if the store is a Listener, it
// listens for messages other replicas enqueue.
func (q *Queue) hold(ctx context.Context) {
	q.log.Info("sending telegram messages")
	q.learn(ctx)
	sendCtx, stop := context.WithCancel(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		defer stop()
		t := time.NewTicker(q.opts.SenderLease / 3)
		defer t.Stop()
		for {
			select {
			case <-sendCtx.Done():
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(sendCtx, q.opts.SenderLease/3)
			got, err := q.store.ClaimLease(rctx, LeaseName, q.opts.Holder,
				q.opts.Now().UTC(), q.opts.SenderLease)
			cancel()
			if sendCtx.Err() != nil {
				return
			}
			if err != nil || !got {
				q.log.Warn("sender lease lost; stopping sending", "err", err)
				return
			}
		}
	}()

	listened := make(chan struct{})
	go func() {
		defer close(listened)
		l, ok := q.store.(Listener)
		if !ok {
			return
		}
		if err := l.ListenOutgoing(sendCtx, q.poke); err != nil && sendCtx.Err() == nil {
			q.log.Warn("listen for telegram messages of other replicas; they wait for "+
				"the poll", "err", err)
		}
	}()

	q.send(sendCtx)
	stop()
	<-renewed
	<-listened
	if ctx.Err() != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := q.store.ReleaseLease(rctx, LeaseName, q.opts.Holder); err != nil {
			q.log.Warn("release sender lease", "err", err)
		}
	}
}

// send runs cycles until ctx ends, pruning old messages hourly.
func (q *Queue) send(ctx context.Context) {
	var pruned, forgot time.Time
	for ctx.Err() == nil {
		now := q.opts.Now()
		if now.Sub(pruned) >= time.Hour {
			q.prune(ctx, now)
			pruned = now
		}
		if now.Sub(forgot) >= time.Minute {
			q.forget(now)
			forgot = now
		}
		n, err := q.cycle(ctx)
		if err != nil && ctx.Err() == nil {
			q.log.Error("send telegram messages", "err", err)
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-time.After(q.opts.Poll):
		}
	}
}

// learn takes each chat's turn, and the calls counted against the overall
// limit, from the messages sent in the last minute: by another replica
// before a handover, or by this one before a restart. Chats' turns are
// otherwise kept in memory only.
func (q *Queue) learn(ctx context.Context) {
	now := q.opts.Now()
	sent, err := q.store.SentSince(ctx, now.Add(-time.Minute).UTC())
	if err != nil {
		if ctx.Err() == nil {
			q.log.Warn("read recently sent telegram messages; the first sends may come "+
				"too soon after them", "err", err)
		}
		return
	}
	q.mu.Lock()
	for _, m := range sent {
		t := q.chat(m.ChatID)
		t.next = later(t.next, m.FinishedAt.Add(q.interval(m.ChatID)))
		t.tail = later(t.tail, t.next)
	}
	q.mu.Unlock()
	for _, m := range sent {
		if m.FinishedAt.After(now.Add(-time.Second)) {
			q.window.remember(m.FinishedAt)
		}
	}
}

// forget drops the turns of chats that may have their next message now:
// they hold nothing a fresh entry would not.
func (q *Queue) forget(now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for id, t := range q.chats {
		if !t.next.After(now) && !t.tail.After(now) {
			delete(q.chats, id)
		}
	}
}

func (q *Queue) prune(ctx context.Context, now time.Time) {
	n, err := q.store.PruneOutgoing(ctx, now.Add(-q.opts.Retention).UTC())
	if err != nil {
		q.log.Warn("prune sent telegram messages", "err", err)
		return
	}
	if n > 0 {
		q.log.Info("pruned sent telegram messages", "count", n)
	}
}
