package telegram

import tele "gopkg.in/telebot.v3"

// PanicOn makes the handler of command, and of the button with callback
// data data, of the bot made with o panic: a stand-in for a programming
// error.
func PanicOn(o *Options, command, data string) {
	o.testRoutes = func(b *Bot) { panicOn(b, command, data) }
}

func panicOn(b *Bot, command, data string) {
	b.tb.Handle(command, b.private(func(tele.Context) error {
		panic("test panic, guest phone +7 900 123-45-67")
	}))
	b.tb.Handle(tele.OnCallback, b.locked(func(c tele.Context) error {
		if c.Callback().Data == data {
			panic("test panic in a button")
		}
		return b.onCallback(c)
	}))
}

// BeforeSave makes the bot made with o call f before it saves a chat's
// state.
func BeforeSave(o *Options, f func(chatID int64)) { o.testBeforeSave = f }
