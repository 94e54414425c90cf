package telegram_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestCommandMenu: the menu lists /start, /my, /lang and /help in each
// language, and /lang's entry says what it does.
func TestCommandMenu(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.eventually("the command menu in both languages", func() bool {
		return len(e.fake.Calls("setMyCommands")) >= 2
	})
	want := map[string]string{"en": "Change the language", "ru": "Сменить язык"}
	for _, c := range e.fake.Calls("setMyCommands") {
		lang, cmds := c.Param("language_code"), c.Param("commands")
		for _, name := range []string{`"start"`, `"my"`, `"lang"`, `"help"`} {
			if !strings.Contains(cmds, name) {
				t.Errorf("%s menu %s lacks %s", lang, cmds, name)
			}
		}
		if !strings.Contains(cmds, want[lang]) {
			t.Errorf("%s menu %s: /lang does not say %q", lang, cmds, want[lang])
		}
	}
}

// TestAnonymousAdminConfirm: a staff button pressed as the group's
// anonymous admin account is refused with what to change, and the booking
// waits for a named member.
func TestAnonymousAdminConfirm(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	chat := e.staffChat()
	d := e.tomorrow()
	bk, err := e.desk.Hold(e.ctx, desk.Request{VenueID: venueID, Party: 2, Channel: "api",
		Start: time.Date(d.Year, d.Month, d.Day, 13, 0, 0, 0, e.zone), Name: "Гость"})
	e.must("hold", err)
	_, err = e.desk.Confirm(e.ctx, bk.ID, "channel:api")
	e.must("confirm", err)
	post := e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "sc:")
	})
	anon := telegramtest.User{ID: 1087968824, FirstName: "Group",
		Username: "GroupAnonymousBot"}
	a := e.answered(e.fake.Press(chat, anon, post.ID, hasButton(post, "sc:")))
	if !strings.Contains(a, "Анонимность") {
		t.Errorf("an anonymous admin's press answered %q, want how to stop being anonymous", a)
	}
	if b, err := e.store.Booking(e.ctx, bk.ID); err != nil || b.State != hub.BookingRequested {
		t.Errorf("booking %s, %v after an anonymous press; want requested", b.State, err)
	}
}
