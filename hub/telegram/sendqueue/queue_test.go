package sendqueue_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

const anna, ivan = int64(501), int64(502)

func TestSendOnceAndSentID(t *testing.T) {
	fake := telegramtest.New(t)
	store := openBolt(t)
	q := newQueue(t, store, fake, sendqueue.Options{})
	ctx := context.Background()

	kb := json.RawMessage(`{"inline_keyboard":[[{"text":"Отменить","callback_data":"cancel:1"}]]}`)
	m := sendqueue.Message{Key: "bk_1/confirmed", ChatID: anna, Text: "Бронь подтверждена",
		Markup: kb}
	enqueue(t, q, m)
	enqueue(t, q, m) // the same key twice is one message
	if _, ok, err := q.SentID(ctx, m.Key); ok || err != nil {
		t.Errorf("SentID before Run = ok %v, err %v; want not sent", ok, err)
	}
	run(t, q)

	got := fake.WaitFor(t, anna, func(tm telegramtest.Message) bool {
		return tm.Text == m.Text
	})
	if len(got.Buttons) != 1 || got.Buttons[0][0].Data != "cancel:1" {
		t.Errorf("buttons = %+v, want the cancel button", got.Buttons)
	}
	waitState(t, store, m.Key, hub.OutgoingSent, 5*time.Second)
	id, ok, err := q.SentID(ctx, m.Key)
	if err != nil || !ok || id != got.ID {
		t.Errorf("SentID = %d, %v, %v; want %d, true, nil", id, ok, err, got.ID)
	}
	if _, ok, err := q.SentID(ctx, "bk_unknown"); ok || err != nil {
		t.Errorf("SentID of an unknown key = ok %v, err %v; want false, nil", ok, err)
	}

	// Enqueued again after it was sent: still once. A message enqueued
	// after it goes out after it would have.
	enqueue(t, q, m)
	enqueue(t, q, sendqueue.Message{Key: "after", ChatID: ivan, Text: "после"})
	waitState(t, store, "after", hub.OutgoingSent, 5*time.Second)
	if n := len(fake.Calls("sendMessage")); n != 2 {
		t.Errorf("sendMessage calls = %d, want 2 (the message once, then the next)", n)
	}
}

func TestEnqueueRefusesBadMessages(t *testing.T) {
	q := newQueue(t, openBolt(t), telegramtest.New(t), sendqueue.Options{})
	for _, tc := range []struct {
		name string
		m    sendqueue.Message
		want string
	}{
		{"no key", sendqueue.Message{ChatID: 1, Text: "x"}, "empty key"},
		{"no chat", sendqueue.Message{Key: "k", Text: "x"}, "no chat id"},
		{"no text", sendqueue.Message{Key: "k", ChatID: 1}, "empty text"},
		{"edits itself", sendqueue.Message{Key: "k", ChatID: 1, Text: "x", EditKey: "k"},
			"edits itself"},
		{"long text", sendqueue.Message{Key: "k", ChatID: 1,
			Text: strings.Repeat("я", sendqueue.MaxText+1)}, "at most 4096"},
		{"bad markup", sendqueue.Message{Key: "k", ChatID: 1, Text: "x",
			Markup: json.RawMessage(`{"inline_keyboard":`)}, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := q.Enqueue(context.Background(), tc.m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Enqueue = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestEdits(t *testing.T) {
	fake := telegramtest.New(t)
	store := openBolt(t)
	q := newQueue(t, store, fake, sendqueue.Options{})
	run(t, q)

	// Enqueued together: the edit waits for the original.
	enqueue(t, q, sendqueue.Message{Key: "bk_1/state", ChatID: anna, Text: "Ждём ресторан"})
	enqueue(t, q, sendqueue.Message{Key: "bk_1/confirmed", ChatID: anna,
		Text: "Подтверждено", EditKey: "bk_1/state"})
	edited := waitState(t, store, "bk_1/confirmed", hub.OutgoingSent, 10*time.Second)
	msgs := fake.Messages(anna)
	if len(msgs) != 1 || msgs[0].Text != "Подтверждено" || msgs[0].Edits != 1 ||
		msgs[0].ID != edited.MsgID {
		t.Fatalf("messages after the edit = %+v, want one, edited once, id %d", msgs,
			edited.MsgID)
	}

	// The same content again is "not modified": done, nothing new.
	enqueue(t, q, sendqueue.Message{Key: "bk_1/confirmed-again", ChatID: anna,
		Text: "Подтверждено", EditKey: "bk_1/confirmed"})
	waitState(t, store, "bk_1/confirmed-again", hub.OutgoingSent, 10*time.Second)

	// An unknown original, or one too old to edit: a new message.
	enqueue(t, q, sendqueue.Message{Key: "bk_2/confirmed", ChatID: ivan, Text: "Новое",
		EditKey: "bk_2/never"})
	waitState(t, store, "bk_2/confirmed", hub.OutgoingSent, 10*time.Second)
	fake.SetUneditable(anna, edited.MsgID)
	enqueue(t, q, sendqueue.Message{Key: "bk_1/cancelled", ChatID: anna, Text: "Отменено",
		EditKey: "bk_1/state"})
	cancelled := waitState(t, store, "bk_1/cancelled", hub.OutgoingSent, 10*time.Second)

	if msgs := fake.Messages(ivan); len(msgs) != 1 || msgs[0].Text != "Новое" {
		t.Errorf("ivan's messages = %+v, want one new message", msgs)
	}
	msgs = fake.Messages(anna)
	if len(msgs) != 2 || msgs[1].Text != "Отменено" || msgs[1].ID != cancelled.MsgID {
		t.Errorf("anna's messages = %+v, want the old one and a new Отменено", msgs)
	}
}

func TestRateLimitedRetry(t *testing.T) {
	fake := telegramtest.New(t)
	store := openBolt(t)
	// One chat at a time, so that the second send cannot be on its way
	// already when the 429 comes back.
	var sent, flood atomic.Int32
	q := newQueue(t, store, fake, sendqueue.Options{Workers: 1,
		OnSent: func() { sent.Add(1) }, OnFlood: func() { flood.Add(1) }})
	fake.RateLimit("sendMessage", 1, 2)
	run(t, q)

	enqueue(t, q, sendqueue.Message{Key: "r1", ChatID: anna, Text: "один"})
	enqueue(t, q, sendqueue.Message{Key: "r2", ChatID: ivan, Text: "два"})
	waitState(t, store, "r1", hub.OutgoingSent, 10*time.Second)
	waitState(t, store, "r2", hub.OutgoingSent, 10*time.Second)

	calls := fake.Calls("sendMessage")
	if len(calls) != 3 || calls[0].ErrorCode != 429 {
		t.Fatalf("calls = %+v, want a 429, then two sends", calls)
	}
	if sent.Load() != 2 || flood.Load() != 1 {
		t.Errorf("OnSent called %d times, OnFlood %d; want 2 and 1", sent.Load(), flood.Load())
	}
	// Every send waited retry_after after the 429, the other chat's too.
	for _, c := range calls[1:] {
		if d := c.At.Sub(calls[0].At); d < 2*time.Second {
			t.Errorf("send to %d came %v after the 429, want at least retry_after 2s",
				c.Int("chat_id"), d)
		}
	}
}

func TestRefusedMessageFails(t *testing.T) {
	fake := telegramtest.New(t)
	store := openBolt(t)
	q := newQueue(t, store, fake, sendqueue.Options{})
	fake.Block(anna)
	run(t, q)

	enqueue(t, q, sendqueue.Message{Key: "b1", ChatID: anna, Text: "вы нас заблокировали"})
	m := waitState(t, store, "b1", hub.OutgoingFailed, 5*time.Second)
	if !strings.Contains(m.Error, "blocked") {
		t.Errorf("error = %q, want it to say the bot was blocked", m.Error)
	}
	if n := len(fake.Calls("sendMessage")); n != 1 {
		t.Errorf("sendMessage calls = %d, want 1 (a refusal is not retried)", n)
	}
}

// TestServerErrorRetried retries a 5xx answer, which Telegram gives for
// requests it did not carry out.
func TestServerErrorRetried(t *testing.T) {
	fake := telegramtest.New(t)
	store := openBolt(t)
	q := newQueue(t, store, fake, sendqueue.Options{})
	fake.Fail("sendMessage", 2, 502, "Bad Gateway")
	run(t, q)

	enqueue(t, q, sendqueue.Message{Key: "s1", ChatID: anna, Text: "со второго раза"})
	m := waitState(t, store, "s1", hub.OutgoingSent, 10*time.Second)
	if m.Attempts != 3 || len(fake.Messages(anna)) != 1 {
		t.Errorf("attempts %d, messages %d; want 3 attempts, 1 message", m.Attempts,
			len(fake.Messages(anna)))
	}
}
