package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
)

// reasons gives the catalogue key that explains each rule of the engine.
var reasons = []struct {
	err error
	key string
}{
	{booking.ErrTooSoon, "reason.too_soon"}, {booking.ErrPast, "reason.past"},
	{booking.ErrTooFar, "reason.too_far"}, {booking.ErrClosed, "reason.closed"},
	{booking.ErrOutsideHours, "reason.hours"}, {booking.ErrGuestOverlap, "reason.guest_overlap"},
	{booking.ErrGuestLimit, "reason.guest_limit"}, {booking.ErrParty, "reason.party"},
	{booking.ErrTable, "reason.party"}, {booking.ErrPacing, "reason.pacing"},
	{booking.ErrLargeParty, "reason.party"},
}

// isRule reports whether err is a venue rule refusing a request (which the
// guest is told), rather than a failure.
func isRule(err error) bool {
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return true
		}
	}
	return false
}

func isPaused(err error) bool { return errors.Is(err, desk.ErrPaused) }

func (b *Bot) reason(lang string, err error) string {
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return b.cat.T(lang, r.key)
		}
	}
	return b.cat.T(lang, "reason.other")
}

// overLimits checks the guest's bookings against the bot's limits: made in
// the last 24 hours, and upcoming. It returns the text to show when one is
// reached.
func (b *Bot) overLimits(ctx context.Context, s *session) (string, bool, error) {
	return b.guestLimits(ctx, guestID(s.user.ID), s.lang)
}

// guestLimits is overLimits for a guest id, in lang.
func (b *Bot) guestLimits(ctx context.Context, guest, lang string) (string, bool, error) {
	list, err := b.store.Bookings(ctx, hub.BookingQuery{GuestID: guest})
	if err != nil {
		return "", false, fmt.Errorf("load guest bookings: %w", err)
	}
	now := b.now()
	day, active := 0, 0
	for _, bk := range list {
		if bk.CreatedAt.After(now.Add(-24 * time.Hour)) {
			day++
		}
		if bk.State.Active() && bk.End.After(now) {
			active++
		}
	}
	switch {
	case day >= b.opts.MaxBookingsPerDay:
		return b.cat.T(lang, "limit.day", "n", day), false, nil
	case active >= b.opts.MaxActive:
		return b.cat.T(lang, "limit.active", "n", active), false, nil
	}
	return "", true, nil
}

// book makes the booking the summary shows: it holds the tables, links
// the booking to this chat and confirms it. What happens next (waiting
// for the restaurant, confirmed, refused) is told by Changed in the same
// message.
func (b *Bot) book(ctx context.Context, s *session) error {
	v, zone, err := b.venue(ctx, s.f.VenueID)
	if err != nil {
		return err
	}
	if s.f.Large {
		return b.sendLarge(ctx, s, v, zone)
	}
	if msg, ok, err := b.overLimits(ctx, s); err != nil || !ok {
		if err == nil {
			s.f.Step = stepDone
			err = b.show(ctx, s, msg, nil)
		}
		return err
	}
	g, err := b.store.PutGuest(ctx, hub.Guest{ID: guestID(s.user.ID), TelegramID: s.user.ID,
		Name: s.f.Name, Phone: s.f.Phone, Lang: s.lang, CreatedAt: b.now().UTC()})
	if err != nil {
		return fmt.Errorf("store guest: %w", err)
	}
	bk, err := b.desk.Hold(ctx, desk.Request{VenueID: v.ID, Start: s.f.Start, Party: s.f.Party,
		GuestID: g.ID, Name: s.f.Name, Phone: s.f.Phone, Comment: s.f.Comment,
		Channel:        ChannelTelegram,
		IdempotencyKey: "tg-" + s.f.Token + "-" + strconv.FormatInt(s.f.Start.Unix(), 10)})
	var taken *desk.TakenError
	switch {
	case errors.As(err, &taken):
		return b.showTaken(ctx, s, zone, taken.Alternatives)
	case isPaused(err):
		s.f.Step = stepDone
		return b.show(ctx, s, b.cat.T(s.lang, "paused", "venue", v.Name), nil)
	case isRule(err):
		s.f.Step = stepDone
		return b.show(ctx, s, b.cat.T(s.lang, "rules", "reason", b.reason(s.lang, err)), nil)
	case err != nil:
		return err
	}
	s.f.Step = stepDone
	return b.confirm(ctx, bk, s.chat.ChatID, s.lang, s.f.MsgKey)
}

// confirm links a held booking to its chat message and asks the
// restaurant. The desk's change hook (or the sweep) tells the guest.
func (b *Bot) confirm(ctx context.Context, bk hub.Booking, chatID int64, lang,
	msgKey string) error {
	tb := hub.TelegramBooking{BookingID: bk.ID, VenueID: bk.VenueID, ChatID: chatID,
		Lang: lang, MessageKey: msgKey, Told: hub.BookingHeld, ToldStart: bk.Start,
		UpdatedAt: b.now().UTC()}
	if err := b.store.PutTelegramBooking(ctx, tb); err != nil {
		return err
	}
	got, err := b.desk.Confirm(ctx, bk.ID, "guest:"+bk.GuestID)
	if err != nil && got.State != hub.BookingRequested {
		return fmt.Errorf("confirm booking %s: %w", bk.ID, err)
	}
	if err != nil {
		// The booking waits for the restaurant; the desk's timeout settles it.
		b.log.Warn("booking requested, but the agent was not asked", "booking", bk.ID,
			"err", err)
	}
	// The desk may run without the hook (or on another replica's code):
	// tell now, idempotently, rather than wait for the sweep.
	return b.tell(ctx, got.ID)
}

// showTaken says the time was just taken and offers the alternatives as
// time buttons of the same flow.
func (b *Bot) showTaken(ctx context.Context, s *session, zone *time.Location,
	alts []booking.Slot) error {
	s.f.Step = stepTime
	rows := [][]button{}
	var buttons []button
	for _, a := range alts {
		buttons = append(buttons, button{b.cat.When(s.lang, a.Start.In(zone)),
			data(cbTime, s.f.Token, strconv.FormatInt(a.Start.Unix(), 10))})
	}
	rows = append(rows, rowsOf(buttons, 2)...)
	rows = append(rows, []button{{b.cat.T(s.lang, "time.other_date"), data(cbDates, s.f.Token)},
		{b.cat.T(s.lang, "btn.abort"), data(cbAbort, s.f.Token)}})
	key := "taken.alternatives"
	if len(alts) == 0 {
		key = "taken"
	}
	return b.show(ctx, s, b.cat.T(s.lang, key), rows)
}

// sendLarge gives a large party's request to the venue's staff: on its
// dashboard page (a staff notice) and, when the venue has one, in its
// staff chat with the guest's phone.
func (b *Bot) sendLarge(ctx context.Context, s *session, v hub.Venue,
	zone *time.Location) error {
	ok, err := b.claimLarge(ctx, guestID(s.user.ID), s.f.Token)
	if err != nil {
		return err
	}
	s.f.Step = stepDone
	if !ok {
		return b.show(ctx, s, b.cat.T(s.lang, "limit.large", "n", maxLargePerDay), nil)
	}
	if err := b.notice(ctx, largeNotice(s.f, zone)); err != nil {
		return err
	}
	chat, err := b.staffChat(ctx, v.ID)
	switch {
	case err != nil:
		return err
	case chat == 0:
		b.log.Info("large party request; the venue has no staff chat, so only its "+
			"dashboard shows it", "venue", v.ID)
	default:
		lang := b.opts.StaffLang
		comment := ""
		if s.f.Comment != "" {
			comment = b.cat.T(lang, "summary.comment", "comment", s.f.Comment)
		}
		err := b.queue.Enqueue(ctx, sendqueue.Message{Key: s.f.MsgKey + "/large", ChatID: chat,
			Text: b.cat.T(lang, "staff.large", "venue", v.Name, "name", s.f.Name,
				"phone", s.f.Phone, "comment", comment)})
		if err != nil {
			return err
		}
	}
	return b.show(ctx, s, b.cat.T(s.lang, "request.sent", "venue", v.Name), nil)
}

// maxLargePerDay bounds a guest's large-party requests in 24 hours: each
// reaches the staff as a notice and a post, and is not a booking, so the
// booking limits do not count it.
const maxLargePerDay = 2

// claimLarge takes one of the guest's large-request slots for the flow
// token: a lease per slot held for 24 hours. The same flow sent again
// renews its own slot.
func (b *Bot) claimLarge(ctx context.Context, guest, token string) (bool, error) {
	now := b.now().UTC()
	for i := range maxLargePerDay {
		have, err := b.store.ClaimLease(ctx, fmt.Sprintf("telegram-large/%s/%d", guest, i),
			token, now, 24*time.Hour)
		if err != nil {
			return false, fmt.Errorf("count the guest's large-party requests: %w", err)
		}
		if have {
			return true, nil
		}
	}
	return false, nil
}
