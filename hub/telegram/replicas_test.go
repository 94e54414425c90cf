package telegram_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestTwoPressesOnTwoReplicas: two replicas on one PostgreSQL store take
// webhook updates. A guest presses "2" (handled by replica 1, held just
// before it saves the flow) and "3" (handled by replica 2 meanwhile). The
// held save is refused as stale, the press handled again from the stored
// flow, and answered that the other press won: the flow and the message
// show 3 guests, and no message ever showed 2.
func TestTwoPressesOnTwoReplicas(t *testing.T) {
	var hold atomic.Bool
	held, release := make(chan struct{}), make(chan struct{})
	e := newEnv(t, envOptions{mode: hub.ModeManual, postgres: true, webhook: true, tune: func(o *telegram.Options) {
		telegram.BeforeSave(o, func(int64) {
			if hold.CompareAndSwap(true, false) {
				close(held)
				<-release
			}
		})
	}})
	r2 := e.addReplica("r2", true, true, nil)
	e.eventually("both replicas to register the webhook", func() bool {
		return len(e.fake.Calls("setWebhook")) == 2
	})
	g := e.guest(1901, "Pavel", "en")
	e.fake.SetWebhookTarget(e.url+"/telegram/webhook", "hook-secret")
	e.fake.SendText(g.chat, g.user, "/start "+venueID)
	m := g.wait("How many guests?")

	hold.Store(true)
	first := g.press(m, "2")
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("replica 1 never reached the save of the first press")
	}
	e.fake.SetWebhookTarget(r2.url+"/telegram/webhook", "hook-secret")
	second := g.press(m, "3")
	if a := e.answered(second); a != "" {
		t.Errorf("the second press was answered %q, want a silent answer", a)
	}
	e.fake.WaitFor(t, g.chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "guests: 3")
	})
	close(release)
	if a := e.answered(first); !strings.Contains(a, "Another press") {
		t.Errorf("the first press was answered %q, want that the other press won", a)
	}
	time.Sleep(300 * time.Millisecond) // let the queues send anything left
	for _, c := range e.fake.Calls("editMessageText") {
		if strings.Contains(c.Param("text"), "guests: 2") {
			t.Errorf("a message showed the refused press: %q", c.Param("text"))
		}
	}
	if last := e.fake.Last(g.chat.ID); !strings.Contains(last.Text, "guests: 3") {
		t.Errorf("the flow's message shows %q, want 3 guests", last.Text)
	}
	// The flow goes on from the stored state, on either replica.
	d := e.tomorrow().String()
	g.pressData(e.fake.Last(g.chat.ID), "d:", d[0:4]+d[5:7]+d[8:10])
	e.fake.WaitFor(t, g.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "t:") && strings.Contains(m.Text, "guests: 3")
	})
}
