package telegramtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	tele "gopkg.in/telebot.v3"

	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

var (
	anna = telegramtest.User{ID: 501, FirstName: "Анна", LanguageCode: "ru"}
	ivan = telegramtest.User{ID: 502, FirstName: "Иван"}
)

// startBot runs a telebot bot against the fake with long polling.
func startBot(t testing.TB, s *telegramtest.Server) *tele.Bot {
	t.Helper()
	b, err := tele.NewBot(tele.Settings{
		URL:    s.URL(),
		Token:  "123:test",
		Poller: &tele.LongPoller{Timeout: 100 * time.Millisecond},
		OnError: func(err error, _ tele.Context) {
			t.Errorf("bot error: %v", err)
		},
	})
	if err != nil {
		t.Fatalf("new bot: %v", err)
	}
	go b.Start()
	t.Cleanup(b.Stop)
	return b
}

func TestTelebotConversation(t *testing.T) {
	s := telegramtest.New(t)
	b := startBot(t, s)
	if b.Me.Username != telegramtest.BotUsername {
		t.Errorf("getMe username = %q, want %q", b.Me.Username, telegramtest.BotUsername)
	}

	menu := &tele.ReplyMarkup{}
	book := menu.Data("Забронировать", "book", "v1")
	menu.Inline(menu.Row(book))
	b.Handle("/start", func(c tele.Context) error {
		return c.Send("Здравствуйте, "+c.Sender().FirstName, menu)
	})
	b.Handle(&book, func(c tele.Context) error {
		if err := c.Respond(&tele.CallbackResponse{Text: "ок " + c.Data()}); err != nil {
			return err
		}
		return c.Edit("Выберите время")
	})
	b.Handle(tele.OnContact, func(c tele.Context) error {
		return c.Send("телефон " + c.Message().Contact.PhoneNumber)
	})

	chat := telegramtest.PrivateChat(anna)
	s.SendText(chat, anna, "/start")
	m := s.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "Здравствуйте")
	})
	want := [][]telegramtest.Button{{{Text: "Забронировать", Data: "\fbook|v1"}}}
	if diff := cmp.Diff(m.Buttons, want); diff != "" {
		t.Errorf("buttons (-got +want):\n%s", diff)
	}

	cb := s.Press(chat, anna, m.ID, "\fbook|v1")
	edited := s.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return m.Text == "Выберите время"
	})
	if edited.ID != m.ID || edited.Edits != 1 || edited.Buttons != nil {
		t.Errorf("after edit: id %d edits %d buttons %v, want id %d, 1 edit, no buttons",
			edited.ID, edited.Edits, edited.Buttons, m.ID)
	}
	if text, ok := s.Answered(cb); !ok || text != "ок v1" {
		t.Errorf("Answered(%s) = %q, %v, want %q, true", cb, text, ok, "ок v1")
	}

	s.SendContact(chat, anna, "+79990001122")
	s.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return m.Text == "телефон +79990001122"
	})
	if n := len(s.Messages(chat.ID)); n != 2 {
		t.Errorf("bot messages = %d, want 2", n)
	}
}

func TestTelebotFloodError(t *testing.T) {
	s := telegramtest.New(t)
	b, err := tele.NewBot(tele.Settings{URL: s.URL(), Token: "1:x", Offline: true})
	if err != nil {
		t.Fatalf("new bot: %v", err)
	}
	s.RateLimit("sendMessage", 1, 7)

	_, err = b.Send(&tele.Chat{ID: ivan.ID}, "привет")
	var flood tele.FloodError
	if !asFlood(err, &flood) || flood.RetryAfter != 7 {
		t.Fatalf("send under RateLimit: err = %v, want FloodError with RetryAfter 7", err)
	}
	if _, err := b.Send(&tele.Chat{ID: ivan.ID}, "привет"); err != nil {
		t.Fatalf("send after the limit: %v", err)
	}

	// Editing a message the bot never sent is Telegram's "not found".
	_, err = b.Edit(&tele.Message{ID: 99, Chat: &tele.Chat{ID: ivan.ID}}, "x")
	if err == nil || !strings.Contains(err.Error(), "message to edit not found") {
		t.Errorf("edit of unknown message: err = %v, want message to edit not found", err)
	}
}

func asFlood(err error, f *tele.FloodError) bool {
	fe, ok := err.(tele.FloodError)
	if ok {
		*f = fe
	}
	return ok
}
