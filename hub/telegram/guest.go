package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
)

// onCallback answers every button press, whatever happens: Telegram shows
// a spinner on the button until the bot answers.
func (b *Bot) onCallback(c tele.Context) error {
	ctx := context.Background()
	cb, err := parseCallback(c.Callback().Data)
	var answer string
	alert := false
	switch {
	case err != nil:
		b.log.Warn("refused a forged or garbled callback", "chat", c.Chat().ID,
			"user", c.Sender().ID)
		answer, alert = b.cat.T(b.langOf(ctx, c), "cb.invalid"), true
	default:
		answer, alert, err = b.dispatch(ctx, c, cb)
		if err != nil {
			b.log.Error("handle callback", "verb", cb.Verb, "chat", c.Chat().ID,
				"err", b.redact(err))
			answer, alert = b.cat.T(b.langOf(ctx, c), "error"), true
		}
	}
	if rerr := c.Respond(&tele.CallbackResponse{Text: answer, ShowAlert: alert}); rerr != nil {
		b.log.Warn("answer callback query", "err", b.redact(rerr))
	}
	return nil
}

// langOf is the language of the chat an update came from.
func (b *Bot) langOf(ctx context.Context, c tele.Context) string {
	if chat, err := b.store.TelegramChat(ctx, c.Chat().ID); err == nil && chat.Lang != "" {
		return chat.Lang
	}
	if c.Sender() != nil {
		return Lang(c.Sender().LanguageCode)
	}
	return Languages[0]
}

func (b *Bot) dispatch(ctx context.Context, c tele.Context, cb callback) (string, bool,
	error) {
	switch cb.Verb {
	case cbNoop:
		return "", false, nil
	case cbStaffOK, cbStaffDecl:
		return b.staffCallback(ctx, c, cb)
	case cbTillDone:
		return b.tillDone(ctx, c, cb.A)
	}
	if c.Chat().Type != tele.ChatPrivate {
		return b.cat.T(b.langOf(ctx, c), "cb.invalid"), true, nil
	}
	switch cb.Verb {
	case cbMy:
		return "", false, b.showMy(ctx, c, fmt.Sprintf("my/%d/%s", c.Chat().ID,
			c.Callback().ID))
	case cbLang:
		return b.setLang(ctx, c, cb.A)
	case cbCancel, cbComing, cbLate, cbAlt:
		return b.bookingCallback(ctx, c, cb)
	}
	answer, err := b.flowCallback(ctx, c, cb)
	return answer, false, err
}

// ownBooking returns the booking a guest's button names, if it was made in
// this chat; another chat's booking is refused as invalid.
func (b *Bot) ownBooking(ctx context.Context, c tele.Context, id string) (hub.Booking,
	hub.TelegramBooking, bool, error) {
	tb, err := b.store.TelegramBooking(ctx, id)
	if errors.Is(err, hub.ErrNotFound) {
		return hub.Booking{}, tb, false, nil
	}
	if err != nil {
		return hub.Booking{}, tb, false, err
	}
	if tb.ChatID != c.Chat().ID {
		b.log.Warn("refused a button for another chat's booking", "booking", id,
			"chat", c.Chat().ID)
		return hub.Booking{}, tb, false, nil
	}
	bk, err := b.store.Booking(ctx, id)
	if errors.Is(err, hub.ErrNotFound) {
		return hub.Booking{}, tb, false, nil
	}
	return bk, tb, err == nil, err
}

func (b *Bot) bookingCallback(ctx context.Context, c tele.Context, cb callback) (string, bool,
	error) {
	lang := b.langOf(ctx, c)
	bk, tb, ok, err := b.ownBooking(ctx, c, cb.A)
	if err != nil || !ok {
		return b.cat.T(lang, "cb.invalid"), true, err
	}
	switch cb.Verb {
	case cbCancel:
		_, err := b.desk.Cancel(ctx, bk.ID, "guest:"+bk.GuestID, "cancelled by the guest")
		switch {
		case errors.Is(err, booking.ErrCancelCutoff):
			return b.cat.T(lang, "cancel.cutoff"), true, nil
		case errors.Is(err, hub.ErrBadTransition):
			return b.cat.T(lang, "cb.stale"), false, nil
		case err != nil:
			return "", false, err
		}
		return b.cat.T(lang, "cancel.done"), false, nil
	case cbComing:
		if bk.State != hub.BookingConfirmed {
			return b.cat.T(lang, "cb.stale"), false, nil
		}
		text, rows, err := b.reminderView(ctx, bk, tb.Lang, true)
		if err != nil {
			return "", false, err
		}
		key := reminderKey(bk.ID, bk.Start)
		err = b.queue.Enqueue(ctx, sendqueue.Message{Key: key + "/coming", EditKey: key,
			ChatID: tb.ChatID, Text: text, Markup: inline(rows)})
		return b.cat.T(lang, "coming.ok"), false, err
	case cbLate:
		if bk.State != hub.BookingConfirmed {
			return b.cat.T(lang, "cb.stale"), false, nil
		}
		if err := b.postLate(ctx, bk); err != nil {
			return "", false, err
		}
		return b.cat.T(lang, "late.ok"), false, nil
	case cbAlt:
		return b.pickAlternative(ctx, bk, tb, lang, cb.B)
	}
	return b.cat.T(lang, "cb.invalid"), true, nil
}

// pickAlternative books another time for a refused (declined or expired)
// booking, with its details, in the same message. The time must be one of
// the alternatives the hub offers now, the guest's limits hold as for a
// new booking, and a refused booking gets one alternative at most: its key
// names the refused booking only, so another press (or forged data with
// another time) finds the booking the first press made.
func (b *Bot) pickAlternative(ctx context.Context, old hub.Booking, tb hub.TelegramBooking,
	lang, arg string) (string, bool, error) {
	sec, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return b.cat.T(lang, "cb.invalid"), true, nil
	}
	if old.State != hub.BookingDeclined && old.State != hub.BookingExpired {
		return b.cat.T(lang, "cb.stale"), false, nil
	}
	key := "tg-alt-" + old.ID
	if _, err := b.store.BookingByKey(ctx, old.VenueID, key); err == nil {
		return b.cat.T(lang, "cb.stale"), false, nil
	} else if !errors.Is(err, hub.ErrNotFound) {
		return "", false, fmt.Errorf("find the alternative to %s: %w", old.ID, err)
	}
	start := time.Unix(sec, 0).UTC()
	alts, err := b.desk.Alternatives(ctx, old.ID)
	if err != nil {
		return "", false, fmt.Errorf("alternatives to %s: %w", old.ID, err)
	}
	if !slices.ContainsFunc(alts, func(a booking.Slot) bool { return a.Start.Equal(start) }) {
		b.log.Warn("refused an alternative time the hub does not offer", "booking", old.ID,
			"chat", tb.ChatID)
		return b.cat.T(lang, "taken"), true, nil
	}
	if msg, ok, err := b.guestLimits(ctx, old.GuestID, lang); err != nil || !ok {
		return msg, true, err
	}
	bk, err := b.desk.Hold(ctx, desk.Request{VenueID: old.VenueID, Start: start,
		Party: old.Party, GuestID: old.GuestID, Name: old.Name, Phone: old.Phone,
		Comment: old.Comment, Channel: ChannelTelegram, IdempotencyKey: key})
	var taken *desk.TakenError
	switch {
	case errors.As(err, &taken):
		return b.cat.T(lang, "taken"), true, nil
	case isPaused(err):
		return b.cat.T(lang, "cb.stale"), true, nil
	case isRule(err):
		return b.cat.T(lang, "rules", "reason", b.reason(lang, err)), true, nil
	case err != nil:
		return "", false, err
	}
	if bk.State != hub.BookingHeld {
		return "", false, nil // pressed twice: the first press confirmed it
	}
	return "", false, b.confirm(ctx, bk, tb.ChatID, lang, tb.MessageKey)
}

// postLate tells the venue's staff that the guest is running late, once:
// on the venue's dashboard page (a staff notice) and, when the venue has
// one, in its staff chat.
func (b *Bot) postLate(ctx context.Context, bk hub.Booking) error {
	if err := b.notice(ctx, lateNotice(bk)); err != nil {
		return err
	}
	chat, err := b.staffChat(ctx, bk.VenueID)
	if err != nil || chat == 0 {
		if err == nil {
			b.log.Info("guest running late; the venue has no staff chat, so only its "+
				"dashboard shows it", "booking", bk.ID, "venue", bk.VenueID)
		}
		return err
	}
	_, zone, err := b.venue(ctx, bk.VenueID)
	if err != nil {
		return err
	}
	lang := b.opts.StaffLang
	return b.queue.Enqueue(ctx, sendqueue.Message{Key: "st/" + bk.ID + "/late", ChatID: chat,
		Text: b.cat.T(lang, "staff.late", "id", bk.ID, "when",
			b.cat.When(lang, bk.Start.In(zone)), "name", bk.Name)})
}

func (b *Bot) onMy(c tele.Context) error {
	return b.showMy(context.Background(), c, replyKey(c))
}

// showMy lists the guest's upcoming bookings, each with a cancel button.
func (b *Bot) showMy(ctx context.Context, c tele.Context, key string) error {
	lang := b.langOf(ctx, c)
	list, err := b.store.Bookings(ctx, hub.BookingQuery{GuestID: guestID(c.Sender().ID),
		From: b.now()})
	if err != nil {
		return err
	}
	list = slices.DeleteFunc(list, func(bk hub.Booking) bool { return !bk.State.Active() })
	if len(list) == 0 {
		return b.reply(ctx, c.Chat().ID, key, b.cat.T(lang, "my.none"), nil)
	}
	lines := []string{b.cat.T(lang, "my.title")}
	var rows [][]button
	for _, bk := range list {
		v, zone, err := b.venue(ctx, bk.VenueID)
		if err != nil {
			return err
		}
		when := b.cat.When(lang, bk.Start.In(zone))
		lines = append(lines, b.cat.T(lang, "my.item", "when", when, "venue", v.Name,
			"party", bk.Party, "state", b.cat.T(lang, "st."+string(bk.State))))
		rows = append(rows, []button{{"✖ " + when, data(cbCancel, bk.ID)}})
	}
	return b.reply(ctx, c.Chat().ID, key, strings.Join(lines, "\n"), inline(rows))
}

func (b *Bot) onLang(c tele.Context) error {
	ctx := context.Background()
	var buttons []button
	for _, lang := range Languages {
		buttons = append(buttons, button{b.cat.T(lang, "lang.name"), data(cbLang, lang)})
	}
	return b.reply(ctx, c.Chat().ID, replyKey(c), b.cat.T(b.langOf(ctx, c), "lang.choose"),
		inline([][]button{buttons}))
}

func (b *Bot) setLang(ctx context.Context, c tele.Context, lang string) (string, bool, error) {
	if !slices.Contains(Languages, lang) {
		return b.cat.T(b.langOf(ctx, c), "cb.invalid"), true, nil
	}
	s, err := b.load(ctx, c)
	if err != nil {
		return "", false, err
	}
	s.chat.Lang = lang
	if err := b.save(ctx, s); err != nil {
		return "", false, err
	}
	return b.cat.T(lang, "lang.switched"), false, nil
}

func (b *Bot) onHelp(c tele.Context) error {
	ctx := context.Background()
	return b.reply(ctx, c.Chat().ID, replyKey(c), b.cat.T(b.langOf(ctx, c), "help"), nil)
}
