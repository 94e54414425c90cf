package sendqueue_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// hangingSend is an API whose first Send reaches Telegram, and whose
// answer then does not come back until release is closed: the replica
// hangs mid-send.
type hangingSend struct {
	sendqueue.API
	once    sync.Once
	started chan struct{} // closed once the first send reached Telegram
	release chan struct{}
}

func (h *hangingSend) Send(ctx context.Context, chatID int64, text string,
	markup json.RawMessage, parseMode string) (int, error) {
	id, err := h.API.Send(ctx, chatID, text, markup, parseMode)
	first := false
	h.once.Do(func() { first = true; close(h.started) })
	if first {
		<-h.release
	}
	return id, err
}

// TestFallbackSendNotRepeated: an edit whose original is unknown falls
// back to a new message; its sender hangs mid-send and loses its sender
// lease, and the message's claim runs out. The sender that takes over
// finds it in doubt, like any send with an unknown outcome, and does not
// send it again.
func TestFallbackSendNotRepeated(t *testing.T) {
	for name, open := range map[string]func(testing.TB) hub.Store{
		"bolt": openBolt, "postgres": openPostgres,
	} {
		t.Run(name, func(t *testing.T) { testFallbackSendNotRepeated(t, open(t)) })
	}
}

func testFallbackSendNotRepeated(t *testing.T, store hub.Store) {
	fake := telegramtest.New(t)
	hang := &hangingSend{API: &sendqueue.BotAPI{URL: fake.URL(), Token: "1:t"},
		started: make(chan struct{}), release: make(chan struct{})}
	released := sync.OnceFunc(func() { close(hang.release) })
	dying := &flakyLease{Store: store}
	first := sendqueue.New(dying, hang, sendqueue.Options{Holder: "first",
		Logger: testLogger(t), SenderLease: 600 * time.Millisecond, Lease: time.Second,
		CallTimeout: time.Minute})
	run(t, first)
	t.Cleanup(released) // before run's cleanup, which waits for the send

	enqueue(t, first, sendqueue.Message{Key: "bk_1/confirmed", ChatID: ivan,
		Text: "Подтверждено", EditKey: "bk_1/unknown"})
	select {
	case <-hang.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the first sender did not send within 5s")
	}
	dying.broken.Store(true) // it cannot renew its sender lease from now on

	second := newQueue(t, store, fake, sendqueue.Options{Holder: "second",
		SenderLease: 600 * time.Millisecond, Lease: time.Second})
	run(t, second)
	waitState(t, store, "bk_1/confirmed", hub.OutgoingDoubt, 10*time.Second)
	if msgs := fake.Messages(ivan); len(msgs) != 1 || msgs[0].Text != "Подтверждено" {
		t.Errorf("ivan's messages = %+v, want the new message once", msgs)
	}
	released()
}
