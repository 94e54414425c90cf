package telegram_test

import (
	"strings"
	"testing"

	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestHandlerPanicKeepsBotRunning: a handler that panics is answered with
// the error text, logged without the phone it held, and the bot (and the
// chat's lock) go on serving.
func TestHandlerPanicKeepsBotRunning(t *testing.T) {
	logged, log := newLogs(t)
	e := newEnv(t, envOptions{tune: func(o *telegram.Options) {
		o.Logger = log
		telegram.PanicOn(o, "/boom", "my:boom")
	}})
	g := e.guest(1701, "Olga", "en")

	e.fake.SendText(g.chat, g.user, "/boom")
	g.wait("Something went wrong on our side")

	e.fake.SendText(g.chat, g.user, "/start "+venueID)
	m := g.wait("How many guests?")
	cb := e.fake.PressRaw(g.chat, g.user, m.ID, "my:boom")
	if got := e.answered(cb); !strings.Contains(got, "Something went wrong") {
		t.Errorf("a panicking button was answered %q, want the error text", got)
	}
	// The same chat still books: the lock was released, the bot runs.
	g.press(m, "2")
	e.fake.WaitFor(t, g.chat.ID, func(m telegramtest.Message) bool { return hasData(m, "d:") })
	if !strings.Contains(logged.String(), "panicked") {
		t.Error("the panic was not logged")
	}
	logged.secrets()
}
