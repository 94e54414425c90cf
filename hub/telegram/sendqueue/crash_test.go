package sendqueue_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestReplicaDiesMidSend claims messages the way a sender does and drops
// them, as a replica killed between claiming and recording does: once the
// claims run out, the plain send is in doubt and never sent, and the edit
// is done (once).
func TestReplicaDiesMidSend(t *testing.T) {
	for name, open := range map[string]func(testing.TB) hub.Store{
		"bolt": openBolt, "postgres": openPostgres,
	} {
		t.Run(name, func(t *testing.T) { testReplicaDiesMidSend(t, open(t)) })
	}
}

func testReplicaDiesMidSend(t *testing.T, store hub.Store) {
	fake := telegramtest.New(t)
	ctx := context.Background()

	first := newQueue(t, store, fake, sendqueue.Options{})
	stop := run(t, first)
	enqueue(t, first, sendqueue.Message{Key: "bk_1/state", ChatID: ivan, Text: "Ждём"})
	orig := waitState(t, store, "bk_1/state", hub.OutgoingSent, 5*time.Second)
	stop()

	enqueue(t, first, sendqueue.Message{Key: "bk_1/confirmed", ChatID: ivan,
		Text: "Подтверждено", EditKey: "bk_1/state"})
	enqueue(t, first, sendqueue.Message{Key: "bk_2/reminder", ChatID: anna, Text: "Ждём вас"})
	dead, err := store.ClaimOutgoing(ctx, time.Now().UTC(), 10, 500*time.Millisecond)
	if err != nil || len(dead) != 2 {
		t.Fatalf("claim as the dying replica: %d messages, %v; want 2", len(dead), err)
	}

	second := newQueue(t, store, fake, sendqueue.Options{Lease: time.Second})
	run(t, second)
	waitState(t, store, "bk_2/reminder", hub.OutgoingDoubt, 10*time.Second)
	edit := waitState(t, store, "bk_1/confirmed", hub.OutgoingSent, 10*time.Second)

	if msgs := fake.Messages(anna); len(msgs) != 0 {
		t.Errorf("anna got %+v, want nothing: the send is in doubt", msgs)
	}
	msgs := fake.Messages(ivan)
	if len(msgs) != 1 || msgs[0].Text != "Подтверждено" || msgs[0].Edits != 1 ||
		edit.MsgID != orig.MsgID {
		t.Errorf("ivan's messages = %+v, want the original edited once", msgs)
	}
	if _, ok, _ := second.SentID(ctx, "bk_2/reminder"); ok {
		t.Error("SentID of a message in doubt says sent")
	}
}

// TestLostReplyInDoubt loses Telegram's answer to a send that went out: the
// queue cannot know, so it does not send again.
func TestLostReplyInDoubt(t *testing.T) {
	fake := telegramtest.New(t)
	store := openBolt(t)
	q := newQueue(t, store, fake, sendqueue.Options{})
	fake.LoseReply("sendMessage", 1)
	run(t, q)

	enqueue(t, q, sendqueue.Message{Key: "lost", ChatID: anna, Text: "дошло?"})
	waitState(t, store, "lost", hub.OutgoingDoubt, 5*time.Second)
	enqueue(t, q, sendqueue.Message{Key: "after", ChatID: anna, Text: "дальше"})
	waitState(t, store, "after", hub.OutgoingSent, 5*time.Second)
	msgs := fake.Messages(anna)
	if len(msgs) != 2 || msgs[0].Text != "дошло?" || msgs[1].Text != "дальше" {
		t.Errorf("messages = %+v, want дошло? once, then дальше", msgs)
	}
}

// TestStopPutsBack stops Run while messages wait for their chat's turn:
// they were not sent, so they stay pending (not in doubt) and the next
// sender sends them.
func TestStopPutsBack(t *testing.T) {
	fake := telegramtest.New(t)
	store := openBolt(t)
	q := newQueue(t, store, fake, sendqueue.Options{})
	stop := run(t, q)
	for i := range 3 {
		enqueue(t, q, sendqueue.Message{Key: key("s", i), ChatID: anna, Text: key("s", i)})
	}
	waitState(t, store, key("s", 0), hub.OutgoingSent, 5*time.Second)
	stop()

	for i := 1; i < 3; i++ {
		m, err := store.Outgoing(context.Background(), key("s", i))
		if err != nil || (m.State != hub.OutgoingPending && m.State != hub.OutgoingSent) {
			t.Errorf("%s after stop = %+v (%v), want pending or sent", key("s", i), m, err)
		}
	}
	run(t, newQueue(t, store, fake, sendqueue.Options{}))
	waitState(t, store, key("s", 2), hub.OutgoingSent, 10*time.Second)
	if n := len(fake.Messages(anna)); n != 3 {
		t.Errorf("messages = %d, want 3", n)
	}
}

// flakyLease is a store whose ClaimLease fails while broken is set, as
// when the database is out of reach.
type flakyLease struct {
	hub.Store
	broken atomic.Bool
	tries  atomic.Int32 // failed claims
}

func (s *flakyLease) ClaimLease(ctx context.Context, name, holder string, now time.Time,
	ttl time.Duration) (bool, error) {
	if s.broken.Load() {
		s.tries.Add(1)
		return false, errors.New("database out of reach")
	}
	return s.Store.ClaimLease(ctx, name, holder, now, ttl)
}

// TestLeaseLostStopsSending: a sender that cannot renew its lease stops
// before the lease runs out (another replica may take over), and starts
// again once it gets the lease back.
func TestLeaseLostStopsSending(t *testing.T) {
	fake := telegramtest.New(t)
	store := &flakyLease{Store: openBolt(t)}
	q := sendqueue.New(store, &sendqueue.BotAPI{URL: fake.URL(), Token: "1:t"},
		sendqueue.Options{Logger: testLogger(t), SenderLease: 600 * time.Millisecond})
	run(t, q)
	enqueue(t, q, sendqueue.Message{Key: "before", ChatID: anna, Text: "до"})
	waitState(t, store, "before", hub.OutgoingSent, 5*time.Second)

	store.broken.Store(true)
	// Once the lease ran out, another replica could take it: by then this
	// one must have stopped.
	ctx := context.Background()
	waitFor(t, "lease free for another replica", 5*time.Second, func() bool {
		ok, err := store.Store.ClaimLease(ctx, sendqueue.LeaseName, "probe", time.Now(),
			time.Millisecond)
		return ok && err == nil
	})
	enqueue(t, q, sendqueue.Message{Key: "during", ChatID: ivan, Text: "во время"})
	tries := store.tries.Load()
	waitFor(t, "two more tries for the lease", 5*time.Second, func() bool {
		return store.tries.Load() >= tries+2
	})
	if m, _ := store.Outgoing(ctx, "during"); m.State != hub.OutgoingPending {
		t.Errorf("message enqueued without the lease = %s, want pending", m.State)
	}

	store.broken.Store(false)
	waitState(t, store, "during", hub.OutgoingSent, 5*time.Second)
}

// TestHandoverKeepsTurns hands the sending over from one queue to another
// right after a message: the new sender learns from the store when the
// chat may have its next one, so Telegram's strict limits are not hit.
func TestHandoverKeepsTurns(t *testing.T) {
	fake := telegramtest.New(t)
	fake.SetLimits(telegramtest.StrictLimits)
	store := openBolt(t)

	first := newQueue(t, store, fake, sendqueue.Options{Holder: "first"})
	stop := run(t, first)
	enqueue(t, first, sendqueue.Message{Key: "one", ChatID: anna, Text: "раз"})
	waitState(t, store, "one", hub.OutgoingSent, 5*time.Second)
	stop()

	second := newQueue(t, store, fake, sendqueue.Options{Holder: "second"})
	enqueue(t, second, sendqueue.Message{Key: "two", ChatID: anna, Text: "два"})
	run(t, second)
	waitState(t, store, "two", hub.OutgoingSent, 5*time.Second)

	calls := fake.Calls("sendMessage")
	if len(calls) != 2 || calls[1].ErrorCode != 0 {
		t.Fatalf("calls = %+v, want two sends, neither refused", calls)
	}
	if d := calls[1].At.Sub(calls[0].At); d < time.Second {
		t.Errorf("second sender wrote %v after the first, want at least 1s", d)
	}
}
