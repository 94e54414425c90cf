package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/stolik/stolik/hub"
)

// DefaultLinkTTL is how long a staff link code works.
const DefaultLinkTTL = 24 * time.Hour

// NewStaffLink makes a one-time code that links a venue's staff chat: the
// code to print, and the record to store (hub.Store.CreateStaffLink).
func NewStaffLink(venueID string, now time.Time, ttl time.Duration) (string, hub.StaffLink) {
	code := strings.ToUpper(hub.NewSecret()[:12])
	return code, hub.StaffLink{CodeHash: hub.HashSecret(code), VenueID: venueID,
		Expires: now.Add(ttl), CreatedAt: now}
}

// onLink links the group it is sent in as a venue's staff chat: /link CODE.
func (b *Bot) onLink(c tele.Context) error {
	ctx := context.Background()
	lang := b.opts.StaffLang
	if c.Chat().Type == tele.ChatPrivate {
		return b.reply(ctx, c.Chat().ID, replyKey(c), b.cat.T(lang, "staff.link_usage"), nil)
	}
	code := strings.ToUpper(strings.TrimSpace(c.Message().Payload))
	venueID, err := b.store.RedeemStaffLink(ctx, hub.HashSecret(code), c.Chat().ID,
		b.now().UTC())
	if errors.Is(err, hub.ErrStaffLink) || code == "" {
		return b.reply(ctx, c.Chat().ID, replyKey(c), b.cat.T(lang, "staff.link_bad"), nil)
	}
	if err != nil {
		return err
	}
	v, err := b.store.Venue(ctx, venueID)
	if err != nil {
		return err
	}
	b.log.Info("staff chat linked", "venue", venueID, "chat", c.Chat().ID)
	return b.reply(ctx, c.Chat().ID, replyKey(c), b.cat.T(lang, "staff.linked",
		"venue", v.Name), nil)
}

// onMigration follows a staff group that Telegram upgraded to a
// supergroup, which has a new chat id.
func (b *Bot) onMigration(c tele.Context) error {
	m := c.Message()
	if m == nil || m.MigrateTo == 0 {
		return nil
	}
	n, err := b.store.MoveStaffChat(context.Background(), m.MigrateFrom, m.MigrateTo)
	if err != nil {
		return err
	}
	if n > 0 {
		b.log.Info("staff chat moved to its supergroup", "from", m.MigrateFrom,
			"to", m.MigrateTo, "venues", n)
	}
	return nil
}

// groupAnonymousBot is the user Telegram shows for a group admin who
// remains anonymous (@GroupAnonymousBot).
const groupAnonymousBot = 1087968824

// staffPress checks that a button about booking bk was pressed in its
// venue's linked staff chat, by a member of that chat who is not an
// anonymous admin; it returns the chat, or the catalogue key of the
// refusal (logged here).
func (b *Bot) staffPress(ctx context.Context, c tele.Context, bk hub.Booking) (
	chat int64, refusal string, err error) {
	chat, err = b.staffChat(ctx, bk.VenueID)
	if err != nil {
		return 0, "", err
	}
	msg := c.Callback().Message
	if chat == 0 || msg == nil || msg.Chat == nil || msg.Chat.ID != chat {
		b.log.Warn("refused a staff button outside the venue's staff chat", "booking", bk.ID,
			"chat", c.Chat().ID, "user", c.Sender().ID)
		return 0, "cb.staff_only", nil
	}
	if c.Sender().ID == groupAnonymousBot {
		// Telegram names this account for a group admin who remains
		// anonymous: who pressed cannot be told, nor checked.
		b.log.Warn("refused a staff button from an anonymous group admin", "booking", bk.ID,
			"chat", chat)
		return 0, "cb.staff_anonymous", nil
	}
	m, err := b.tb.ChatMemberOf(&tele.Chat{ID: chat}, c.Sender())
	if err != nil {
		return 0, "", fmt.Errorf("check staff membership: %w", b.redact(err))
	}
	switch {
	case m.Role == tele.Creator, m.Role == tele.Administrator, m.Role == tele.Member,
		m.Role == tele.Restricted && m.Member:
		return chat, "", nil
	}
	b.log.Warn("refused a staff button from a non-member", "booking", bk.ID,
		"user", c.Sender().ID)
	return 0, "cb.staff_only", nil
}

// staffCallback is staff confirming or declining a booking. The button
// must be pressed in the venue's linked staff chat, by a member of it.
func (b *Bot) staffCallback(ctx context.Context, c tele.Context, cb callback) (string, bool,
	error) {
	lang := b.opts.StaffLang
	bk, err := b.store.Booking(ctx, cb.A)
	if errors.Is(err, hub.ErrNotFound) {
		return b.cat.T(lang, "cb.invalid"), true, nil
	}
	if err != nil {
		return "", false, err
	}
	if _, refusal, err := b.staffPress(ctx, c, bk); err != nil || refusal != "" {
		return b.cat.T(lang, refusal), refusal != "", err
	}
	who := strings.TrimSpace(c.Sender().FirstName + " " + c.Sender().LastName)
	actor := fmt.Sprintf("staff:tg%d", c.Sender().ID)
	key := "staff.confirmed_by"
	if cb.Verb == cbStaffOK {
		_, err = b.desk.StaffConfirm(ctx, bk.ID, actor)
	} else {
		_, err = b.desk.Decline(ctx, bk.ID, actor, "declined by the restaurant's staff")
		key = "staff.declined_by"
	}
	if errors.Is(err, hub.ErrBadTransition) {
		return b.cat.T(lang, "cb.stale"), false, nil
	}
	if err != nil {
		return "", false, err
	}
	return b.cat.T(lang, key, "who", who), false, nil
}
