package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// The send queue's cases (issue #7). Beyond the interface's contract they
// pin down: Seq grows in enqueue order; a duplicate key changes nothing; a
// claim's lease ends at claim time + lease, to the instant; a NotBefore
// equal to now is due; a message put back keeps its Seq (its place) and
// its Attempts; a claim that ran out is left to ExpireOutgoing, never
// claimed again directly; a lease equal to now has run out.

func enqueueOut(t testing.TB, s hub.Store, m hub.Outgoing) {
	t.Helper()
	wantErr(t, "enqueue "+m.Key, s.EnqueueOutgoing(context.Background(), m), nil)
}

func getOut(t testing.TB, s hub.Store, key string) hub.Outgoing {
	t.Helper()
	m, err := s.Outgoing(context.Background(), key)
	wantErr(t, "outgoing "+key, err, nil)
	return m
}

func claimOut(t testing.TB, s hub.Store, now time.Time, limit int, lease time.Duration,
	wantKeys ...string) []hub.Outgoing {
	t.Helper()
	got, err := s.ClaimOutgoing(context.Background(), now, limit, lease)
	wantErr(t, "claim outgoing", err, nil)
	diff(t, fmt.Sprintf("keys claimed at %s", now.Sub(t0)), outKeys(got), wantKeys)
	return got
}

func outKeys(list []hub.Outgoing) []string {
	var keys []string
	for _, m := range list {
		keys = append(keys, m.Key)
	}
	return keys
}

func finishOut(t testing.TB, s hub.Store, key string, r hub.OutgoingResult) {
	t.Helper()
	wantErr(t, "finish "+key, s.FinishOutgoing(context.Background(), key, r), nil)
}

// testOutgoingEnqueue stores messages once per key, in order.
func testOutgoingEnqueue(t *testing.T, s hub.Store) {
	ctx := context.Background()
	m1 := hub.Outgoing{Key: "bk_1/confirmed", ChatID: 501, Text: "Бронь подтверждена",
		Markup:    []byte(`{"inline_keyboard":[[{"text":"Отменить","callback_data":"c"}]]}`),
		ParseMode: "HTML", CreatedAt: t0}
	m2 := hub.Outgoing{Key: "bk_1/reminder", ChatID: 501, Text: "Ждём вас", CreatedAt: t0,
		EditKey: "bk_1/confirmed"}
	enqueueOut(t, s, m1)
	enqueueOut(t, s, m2)

	got1, got2 := getOut(t, s, m1.Key), getOut(t, s, m2.Key)
	if got1.Seq <= 0 || got2.Seq <= got1.Seq {
		t.Errorf("seqs = %d, %d; want positive and growing in enqueue order", got1.Seq, got2.Seq)
	}
	want := m1
	want.Seq, want.State = got1.Seq, hub.OutgoingPending
	diff(t, "stored message", got1, want)

	dup := m1
	dup.Text = "другой текст"
	wantErr(t, "enqueue a taken key", s.EnqueueOutgoing(ctx, dup), hub.ErrExists)
	diff(t, "message after a duplicate", getOut(t, s, m1.Key), want)

	_, err := s.Outgoing(ctx, "bk_missing")
	wantErr(t, "unknown key", err, hub.ErrNotFound)
	if err := s.EnqueueOutgoing(ctx, hub.Outgoing{ChatID: 1, Text: "x"}); err == nil {
		t.Error("no error enqueueing a message without key")
	}
	wantErr(t, "finish unknown", s.FinishOutgoing(ctx, "bk_missing",
		hub.OutgoingResult{State: hub.OutgoingSent, MsgID: 1, At: t0}), hub.ErrNotFound)
}

// testOutgoingClaim claims due messages in Seq order, each for a lease,
// and records results.
func testOutgoingClaim(t *testing.T, s hub.Store) {
	m := time.Minute
	for i, nb := range []time.Duration{0, m, 0, 0} {
		enqueueOut(t, s, hub.Outgoing{Key: fmt.Sprintf("k%d", i+1), ChatID: int64(100 + i),
			Text: "t", CreatedAt: t0, NotBefore: t0.Add(nb)})
	}

	got := claimOut(t, s, t0, 2, m, "k1", "k3")
	if got[0].State != hub.OutgoingSending || got[0].Attempts != 1 ||
		!got[0].LeaseUntil.Equal(t0.Add(m)) {
		t.Errorf("claimed = %+v, want sending, attempt 1, lease until t0+1m", got[0])
	}
	claimOut(t, s, t0, 10, m, "k4")
	// k2 is due at its NotBefore, to the instant; the claimed ones wait.
	claimOut(t, s, t0.Add(m-time.Second), 10, m)
	claimOut(t, s, t0.Add(m), 10, m, "k2")
	claimOut(t, s, t0, 0, m)

	finishOut(t, s, "k1", hub.OutgoingResult{State: hub.OutgoingSent, MsgID: 42,
		At: t0.Add(time.Second)})
	k1 := getOut(t, s, "k1")
	if k1.State != hub.OutgoingSent || k1.MsgID != 42 ||
		!k1.FinishedAt.Equal(t0.Add(time.Second)) || !k1.LeaseUntil.IsZero() {
		t.Errorf("sent message = %+v, want sent as 42 at t0+1s, no lease", k1)
	}
	// The first result stays.
	finishOut(t, s, "k1", hub.OutgoingResult{State: hub.OutgoingFailed, Error: "late",
		At: t0.Add(2 * time.Second)})
	diff(t, "sent message after a second result", getOut(t, s, "k1"), k1)

	// Put back, a message keeps its place and attempts and waits for its
	// NotBefore.
	finishOut(t, s, "k3", hub.OutgoingResult{State: hub.OutgoingPending,
		NotBefore: t0.Add(2 * m), Error: "429"})
	finishOut(t, s, "k4", hub.OutgoingResult{State: hub.OutgoingPending})
	k3 := getOut(t, s, "k3")
	if k3.State != hub.OutgoingPending || k3.Attempts != 1 || k3.Error != "429" ||
		!k3.NotBefore.Equal(t0.Add(2*m)) || !k3.LeaseUntil.IsZero() {
		t.Errorf("put back = %+v, want pending, attempt 1, not before t0+2m", k3)
	}
	claimOut(t, s, t0.Add(m), 10, m, "k4")
	got = claimOut(t, s, t0.Add(2*m), 10, m, "k3")
	if got[0].Attempts != 2 {
		t.Errorf("attempts after a second claim = %d, want 2", got[0].Attempts)
	}

	finishOut(t, s, "k3", hub.OutgoingResult{State: hub.OutgoingFailed, Error: "blocked",
		At: t0.Add(3 * m)})
	if k := getOut(t, s, "k3"); k.State != hub.OutgoingFailed || k.Error != "blocked" {
		t.Errorf("failed message = %+v, want failed: blocked", k)
	}
	// Claims that ran out wait for ExpireOutgoing to settle them.
	claimOut(t, s, t0.Add(time.Hour), 10, m)
}

// testOutgoingExpire settles run-out claims: a send is in doubt, an edit
// pending again.
func testOutgoingExpire(t *testing.T, s hub.Store) {
	ctx := context.Background()
	m := time.Minute
	enqueueOut(t, s, hub.Outgoing{Key: "send", ChatID: 1, Text: "t", CreatedAt: t0})
	enqueueOut(t, s, hub.Outgoing{Key: "edit", ChatID: 1, Text: "t2", EditKey: "send",
		CreatedAt: t0})
	enqueueOut(t, s, hub.Outgoing{Key: "late", ChatID: 2, Text: "t", CreatedAt: t0})
	claimOut(t, s, t0, 2, m, "send", "edit")
	claimOut(t, s, t0.Add(30*time.Second), 2, m, "late")

	doubts, err := s.ExpireOutgoing(ctx, t0.Add(m-time.Second))
	wantErr(t, "expire early", err, nil)
	diff(t, "in doubt before the lease ends", outKeys(doubts), nil)

	doubts, err = s.ExpireOutgoing(ctx, t0.Add(m))
	wantErr(t, "expire", err, nil)
	diff(t, "in doubt", outKeys(doubts), []string{"send"})
	if d := getOut(t, s, "send"); d.State != hub.OutgoingDoubt ||
		!d.FinishedAt.Equal(t0.Add(m)) || !d.LeaseUntil.IsZero() {
		t.Errorf("send after expiry = %+v, want in doubt, finished at t0+1m", d)
	}
	if e := getOut(t, s, "edit"); e.State != hub.OutgoingPending || e.Attempts != 1 {
		t.Errorf("edit after expiry = %+v, want pending, attempt 1", e)
	}
	if l := getOut(t, s, "late"); l.State != hub.OutgoingSending {
		t.Errorf("message with a running lease = %+v, want sending", l)
	}
	got := claimOut(t, s, t0.Add(m), 10, m, "edit")
	if got[0].Attempts != 2 {
		t.Errorf("edit claimed again with %d attempts, want 2", got[0].Attempts)
	}

	// A late result still lands on a message in doubt (it was sent after
	// all); nothing else settles again.
	finishOut(t, s, "send", hub.OutgoingResult{State: hub.OutgoingSent, MsgID: 7,
		At: t0.Add(2 * m)})
	if d := getOut(t, s, "send"); d.State != hub.OutgoingSent || d.MsgID != 7 {
		t.Errorf("doubt after a late result = %+v, want sent as 7", d)
	}
	doubts, err = s.ExpireOutgoing(ctx, t0.Add(m+30*time.Second))
	wantErr(t, "expire late", err, nil)
	diff(t, "in doubt later", outKeys(doubts), []string{"late"})
}

// testOutgoingPrune lists recently sent messages and deletes finished
// ones older than a time.
func testOutgoingPrune(t *testing.T, s hub.Store) {
	ctx := context.Background()
	for _, k := range []string{"sent", "failed", "doubt", "fresh", "pending", "sending"} {
		enqueueOut(t, s, hub.Outgoing{Key: k, ChatID: 1, Text: "t", CreatedAt: t0})
	}
	claimOut(t, s, t0, 5, time.Minute, "sent", "failed", "doubt", "fresh", "pending")
	at := t0.Add(time.Second)
	finishOut(t, s, "sent", hub.OutgoingResult{State: hub.OutgoingSent, MsgID: 1, At: at})
	finishOut(t, s, "failed", hub.OutgoingResult{State: hub.OutgoingFailed, At: at})
	finishOut(t, s, "doubt", hub.OutgoingResult{State: hub.OutgoingDoubt, At: at})
	finishOut(t, s, "fresh", hub.OutgoingResult{State: hub.OutgoingSent, MsgID: 2,
		At: t0.Add(time.Hour)})
	finishOut(t, s, "pending", hub.OutgoingResult{State: hub.OutgoingPending})

	sent, err := s.SentSince(ctx, at)
	wantErr(t, "sent since", err, nil)
	diff(t, "sent since t0+1s", outKeys(sent), []string{"sent", "fresh"})
	sent, err = s.SentSince(ctx, at.Add(time.Microsecond))
	wantErr(t, "sent since", err, nil)
	diff(t, "sent since after t0+1s", outKeys(sent), []string{"fresh"})

	n, err := s.PruneOutgoing(ctx, t0.Add(time.Minute))
	wantErr(t, "prune", err, nil)
	if n != 3 {
		t.Errorf("pruned %d, want 3", n)
	}
	for _, k := range []string{"sent", "failed", "doubt"} {
		_, err := s.Outgoing(ctx, k)
		wantErr(t, "pruned "+k, err, hub.ErrNotFound)
	}
	for _, k := range []string{"fresh", "pending", "sending"} {
		getOut(t, s, k)
	}
	// A pruned key may be used again.
	enqueueOut(t, s, hub.Outgoing{Key: "sent", ChatID: 1, Text: "again", CreatedAt: t0})
}

// testOutgoingConcurrentClaim has 8 claimers take 60 messages: each is
// claimed exactly once.
func testOutgoingConcurrentClaim(t *testing.T, s hub.Store) {
	const msgs, claimers = 60, 8
	for i := range msgs {
		enqueueOut(t, s, hub.Outgoing{Key: fmt.Sprintf("m%02d", i), ChatID: int64(i % 7),
			Text: "t", CreatedAt: t0})
	}
	var (
		mu      sync.Mutex
		claimed []string
	)
	errs := make([]error, claimers)
	together(claimers, func(i int) {
		for range msgs { // bounded: a store handing out twice fails, not hangs
			list, err := s.ClaimOutgoing(context.Background(), t0, 4, time.Hour)
			if err != nil {
				errs[i] = err
				return
			}
			if len(list) == 0 {
				return
			}
			mu.Lock()
			claimed = append(claimed, outKeys(list)...)
			mu.Unlock()
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("claimer %d: %v", i, err)
		}
	}
	slices.Sort(claimed)
	var want []string
	for i := range msgs {
		want = append(want, fmt.Sprintf("m%02d", i))
	}
	if !slices.Equal(claimed, want) {
		t.Errorf("claimed %d messages, want each of %d once: %s", len(claimed), msgs,
			strings.Join(claimed, " "))
	}
}

// testLeases hands a named lease to one holder at a time.
func testLeases(t *testing.T, s hub.Store) {
	ctx := context.Background()
	ttl := 15 * time.Second
	claim := func(holder string, now time.Time, want bool) {
		t.Helper()
		got, err := s.ClaimLease(ctx, "sender", holder, now, ttl)
		wantErr(t, "claim lease for "+holder, err, nil)
		if got != want {
			t.Errorf("ClaimLease(%s, t0+%v) = %v, want %v", holder, now.Sub(t0), got, want)
		}
	}
	claim("a", t0, true)
	claim("b", t0.Add(time.Second), false)
	claim("a", t0.Add(10*time.Second), true) // renewed until t0+25s
	claim("b", t0.Add(24*time.Second), false)
	claim("b", t0.Add(25*time.Second), true) // ran out, to the instant
	claim("a", t0.Add(26*time.Second), false)

	wantErr(t, "release by a non-holder", s.ReleaseLease(ctx, "sender", "a"), nil)
	claim("c", t0.Add(27*time.Second), false)
	wantErr(t, "release", s.ReleaseLease(ctx, "sender", "b"), nil)
	claim("c", t0.Add(27*time.Second), true)
	wantErr(t, "release unknown", s.ReleaseLease(ctx, "other", "c"), nil)

	// Racing claimers of a free lease: one wins.
	var wins atomic.Int32
	together(16, func(i int) {
		ok, err := s.ClaimLease(ctx, "race", fmt.Sprintf("h%d", i), t0, ttl)
		if err != nil {
			t.Errorf("claim race lease: %v", err)
		}
		if ok {
			wins.Add(1)
		}
	})
	if n := wins.Load(); n != 1 {
		t.Errorf("%d of 16 racing claimers got the lease, want 1", n)
	}
	if _, err := s.ClaimLease(ctx, "", "a", t0, ttl); err == nil {
		t.Error("no error claiming a lease without name")
	}
}
