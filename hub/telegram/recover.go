package telegram

import (
	"context"
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"

	tele "gopkg.in/telebot.v3"
)

// recovered keeps a panic in one handler from stopping the hub: telebot
// runs each update's handler in a goroutine of its own and does not
// recover, so a panic there would end the process. It logs the panic
// (with anything like a phone number masked), answers the update with the
// catalog's error text and lets the bot carry on. It wraps every handler
// (Bot.routes installs it first), outside the chat lock, which the
// unwinding releases.
func (b *Bot) recovered(next tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			var chat int64
			if c.Chat() != nil {
				chat = c.Chat().ID
			}
			b.log.Error("telegram handler panicked; the bot carries on",
				"update", c.Update().ID, "chat", chat,
				"panic", maskDigits(b.redact(fmt.Errorf("%v", r)).Error()),
				"stack", string(debug.Stack()))
			b.answerPanic(c)
			err = nil
		}()
		return next(c)
	}
}

// answerPanic tells whoever sent the update that it went wrong: a button
// press gets an alert, a private message (or a command in a group) a
// reply.
func (b *Bot) answerPanic(c tele.Context) {
	lang := b.opts.StaffLang
	if c.Chat() != nil && c.Chat().Type == tele.ChatPrivate {
		lang = b.langOf(context.Background(), c)
	}
	text := b.cat.T(lang, "error")
	if c.Callback() != nil {
		if err := c.Respond(&tele.CallbackResponse{Text: text, ShowAlert: true}); err != nil {
			b.log.Warn("answer callback query", "err", b.redact(err))
		}
		return
	}
	m := c.Message()
	if m == nil || c.Chat() == nil {
		return
	}
	if c.Chat().Type != tele.ChatPrivate && !strings.HasPrefix(m.Text, "/") {
		return // a group's chatter is not the bot's to answer
	}
	key := replyKey(c) + "/failed"
	if err := b.reply(context.Background(), c.Chat().ID, key, text, nil); err != nil {
		b.log.Warn("answer an update that failed", "chat", c.Chat().ID, "err", err)
	}
}

// phoneLike matches runs of digits long enough to be a phone number.
var phoneLike = regexp.MustCompile(`\+?\d[\d ()-]{7,}\d`)

// maskDigits hides anything like a phone number in s, for the log.
func maskDigits(s string) string { return phoneLike.ReplaceAllString(s, "<digits>") }
