package sendqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stolik/stolik/hub"
)

// cycle settles run-out claims, claims a batch of due messages and sends
// them, each chat's in order and several chats at once. It returns how many
// messages it claimed.
func (q *Queue) cycle(ctx context.Context) (int, error) {
	now := q.opts.Now().UTC()
	doubts, err := q.store.ExpireOutgoing(ctx, now)
	if err != nil {
		return 0, err
	}
	for _, m := range doubts {
		q.log.Warn("telegram message in doubt: its sender stopped mid-send; "+
			"not sending it again", "key", m.Key, "chat_id", m.ChatID, "attempts", m.Attempts)
	}

	batch, err := q.store.ClaimOutgoing(ctx, now, q.opts.Batch, q.opts.Lease)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	var (
		order  []int64
		byChat = map[int64][]hub.Outgoing{}
	)
	for _, m := range batch {
		if _, ok := byChat[m.ChatID]; !ok {
			order = append(order, m.ChatID)
		}
		byChat[m.ChatID] = append(byChat[m.ChatID], m)
	}

	work := make(chan []hub.Outgoing)
	var wg sync.WaitGroup
	for range min(q.opts.Workers, len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for list := range work {
				for _, m := range list {
					q.handle(ctx, m)
				}
			}
		}()
	}
	for _, id := range order {
		work <- byChat[id]
	}
	close(work)
	wg.Wait()
	return len(batch), nil
}

// interval is how far apart messages to a chat go.
func (q *Queue) interval(chatID int64) time.Duration {
	// Telegram's private chats have positive ids, groups and channels
	// negative ones.
	if chatID > 0 {
		return q.opts.PrivateInterval
	}
	return q.opts.GroupInterval
}

// slot gives m its chat's next turn: its NotBefore if it has one (it was
// put back to wait for that turn), else after every turn handed out, and
// never before the chat's last send plus its interval or a 429 pause.
func (q *Queue) slot(m hub.Outgoing, now time.Time) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	t := q.chat(m.ChatID)
	s := now
	if !m.NotBefore.IsZero() {
		s = later(s, m.NotBefore)
	} else {
		s = later(s, t.tail)
	}
	s = later(later(s, t.next), q.pause)
	t.tail = later(t.tail, s.Add(q.interval(m.ChatID)))
	return s
}

// chat returns the chat's turn, new if it has none; q.mu must be held.
func (q *Queue) chat(id int64) *chatTurn {
	t, ok := q.chats[id]
	if !ok {
		t = &chatTurn{}
		q.chats[id] = t
	}
	return t
}

// sent moves the chat's next turn to at (when Telegram answered) plus the
// interval, so that the spacing holds where Telegram measures it.
func (q *Queue) sent(chatID int64, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	t := q.chat(chatID)
	t.next = later(t.next, at.Add(q.interval(chatID)))
	t.tail = later(t.tail, t.next)
}

// paused records a 429: the chat and every send wait until until.
func (q *Queue) paused(chatID int64, until time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pause = later(q.pause, until)
	t := q.chat(chatID)
	t.next = later(t.next, until)
}

// turn waits for the overall rate to allow a call and for any 429 pause
// to end; false if ctx ended first. The pause is read after the rate wait,
// just before the call, and a call that waited for a pause waits for the
// rate again, so that the senders held by a pause do not go out together.
func (q *Queue) turn(ctx context.Context) bool {
	for {
		if q.limit.Wait(ctx) != nil {
			return false
		}
		q.mu.Lock()
		pause := q.pause
		q.mu.Unlock()
		if !pause.After(q.opts.Now()) {
			return true
		}
		if !sleepUntil(ctx, q.opts.Now, pause) {
			return false
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// handle sends or edits one claimed message and records the outcome.
func (q *Queue) handle(ctx context.Context, m hub.Outgoing) {
	log := q.log.With("key", m.Key, "chat_id", m.ChatID)
	now := q.opts.Now()
	s := q.slot(m, now)
	if s.Sub(now) > q.opts.Hold {
		q.finish(ctx, log, m, hub.OutgoingResult{State: hub.OutgoingPending, NotBefore: s})
		return
	}
	editID, wait := q.target(ctx, log, m)
	if wait != nil {
		q.finish(ctx, log, m, *wait)
		return
	}
	if !sleepUntil(ctx, q.opts.Now, s) || !q.turn(ctx) || !q.window.acquire(ctx) {
		// Stopping: the message was not sent, so it goes back as it was.
		q.finish(ctx, log, m, hub.OutgoingResult{State: hub.OutgoingPending,
			NotBefore: m.NotBefore, Error: "sender stopped"})
		return
	}

	// From here on the call is made and its outcome recorded even if Run
	// is stopping or lost its lease: cutting it short would leave a send in
	// doubt.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.opts.CallTimeout)
	defer cancel()
	r, mine := q.deliver(cctx, log, m, editID)
	q.window.release(q.opts.Now())
	if !mine {
		return
	}
	if r.State == hub.OutgoingSent {
		q.sent(m.ChatID, q.opts.Now())
	}
	q.finish(ctx, log, m, r)
}

// target finds the Telegram message an edit is for: its id, or 0 to send
// a new message instead (the original is unknown, failed or in doubt). An
// edit whose original is not out yet, or that cannot be looked up now,
// gets a result that puts it back.
func (q *Queue) target(ctx context.Context, log *slog.Logger, m hub.Outgoing) (
	msgID int, wait *hub.OutgoingResult) {
	if m.EditKey == "" {
		return 0, nil
	}
	orig, err := q.store.Outgoing(ctx, m.EditKey)
	switch {
	case err == nil && orig.State == hub.OutgoingSent:
		return orig.MsgID, nil
	case err == nil && (orig.State == hub.OutgoingPending || orig.State == hub.OutgoingSending):
		return 0, &hub.OutgoingResult{
			State: hub.OutgoingPending, NotBefore: q.opts.Now().Add(q.interval(m.ChatID)),
			Error: "waiting for " + m.EditKey + " to be sent",
		}
	case err != nil && !errors.Is(err, hub.ErrNotFound):
		return 0, &hub.OutgoingResult{
			State: hub.OutgoingPending, NotBefore: q.opts.Now().Add(time.Second),
			Error: fmt.Sprintf("look up %s: %v", m.EditKey, err),
		}
	}
	log.Info("edited telegram message is unknown, failed or in doubt; sending a new one",
		"edit_key", m.EditKey)
	return 0, nil
}

// deliver edits message editID, or sends m if editID is 0 or the message
// can no longer be edited, and says what became of m. mine is false when
// m's claim ran out before an edit could fall back to a send: m is then
// another sender's to settle, and nothing is recorded.
func (q *Queue) deliver(ctx context.Context, log *slog.Logger, m hub.Outgoing,
	editID int) (r hub.OutgoingResult, mine bool) {
	if editID != 0 {
		err := q.api.Edit(ctx, m.ChatID, editID, m.Text, m.Markup, m.ParseMode)
		var apiErr *Error
		switch {
		case err == nil, errors.As(err, &apiErr) && apiErr.notModified():
			return q.result(hub.OutgoingSent, editID, ""), true
		case !errors.As(err, &apiErr) || !apiErr.uneditable():
			return q.failure(log, m, err, true), true
		}
		log.Info("telegram message cannot be edited; sending a new one",
			"edit_key", m.EditKey, "reason", apiErr.Description)
	}
	if m.EditKey != "" {
		// A send is never repeated after an unknown outcome, even for an
		// edit that falls back to one: the store learns that it is a send
		// before it is made, so that a claim running out mid-send leaves
		// it in doubt rather than pending to be sent again.
		ok, err := q.store.FallBackOutgoing(ctx, m.Key, m.Attempts, q.opts.Now().UTC())
		switch {
		case err != nil:
			log.Warn("record an edit falling back to a new message; will retry", "err", err)
			return hub.OutgoingResult{State: hub.OutgoingPending,
				NotBefore: q.opts.Now().Add(time.Second), Error: err.Error()}, true
		case !ok:
			log.Warn("claim of a telegram edit ran out before it fell back to a new " +
				"message; not sending it")
			return hub.OutgoingResult{}, false
		}
	}

	id, err := q.api.Send(ctx, m.ChatID, m.Text, m.Markup, m.ParseMode)
	if err != nil {
		return q.failure(log, m, err, false), true
	}
	return q.result(hub.OutgoingSent, id, ""), true
}

func (q *Queue) result(s hub.OutgoingState, msgID int, e string) hub.OutgoingResult {
	if s == hub.OutgoingSent && q.opts.OnSent != nil {
		q.opts.OnSent()
	}
	return hub.OutgoingResult{State: s, MsgID: msgID, Error: e, At: q.opts.Now().UTC()}
}

// failure decides what a failed call means for m. repeatable says that
// doing the call again is harmless (an edit).
func (q *Queue) failure(log *slog.Logger, m hub.Outgoing, err error,
	repeatable bool) hub.OutgoingResult {
	now := q.opts.Now()
	var apiErr *Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Code == 429:
		wait := max(apiErr.RetryAfter, time.Second)
		q.paused(m.ChatID, now.Add(wait))
		if q.opts.OnFlood != nil {
			q.opts.OnFlood()
		}
		log.Warn("telegram flood limit; pausing", "retry_after", wait)
		return hub.OutgoingResult{State: hub.OutgoingPending, NotBefore: now.Add(wait),
			Error: apiErr.Error()}
	case errors.As(err, &apiErr) && apiErr.Code < 500:
		// The chat is gone, the bot was blocked, the text is bad: trying
		// again would fail the same way.
		log.Warn("telegram refused message", "err", err)
		return q.result(hub.OutgoingFailed, 0, apiErr.Error())
	case apiErr == nil && !repeatable && !errors.Is(err, ErrNotSent):
		log.Warn("telegram message in doubt: the call failed after it may have "+
			"reached Telegram; not sending it again", "err", err)
		return q.result(hub.OutgoingDoubt, 0, err.Error())
	case m.Attempts >= q.opts.MaxAttempts:
		log.Error("telegram message failed too often; giving up",
			"err", err, "attempts", m.Attempts)
		return q.result(hub.OutgoingFailed, 0, err.Error())
	}
	backoff := min(time.Duration(1<<min(m.Attempts, 7))*250*time.Millisecond, time.Minute)
	log.Warn("telegram call failed; will retry", "err", err, "retry_after", backoff)
	return hub.OutgoingResult{State: hub.OutgoingPending, NotBefore: now.Add(backoff),
		Error: err.Error()}
}

func (q *Queue) finish(ctx context.Context, log *slog.Logger, m hub.Outgoing,
	r hub.OutgoingResult) {
	if r.At.IsZero() {
		r.At = q.opts.Now().UTC()
	}
	r.NotBefore = r.NotBefore.UTC()
	// Record the outcome even when Run is stopping: what was sent must
	// not be left to fall in doubt.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := q.store.FinishOutgoing(ctx, m.Key, r); err != nil {
		// The claim runs out: a send is then in doubt, an edit retried.
		log.Error("record telegram message outcome", "err", err, "state", r.State)
	}
}

// sleepUntil waits until t by now's clock; false if ctx ended first.
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) bool {
	d := t.Sub(now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
