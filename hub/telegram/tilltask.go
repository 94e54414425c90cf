package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
)

// TillTask records a task the agent could not do: cancel, at the till,
// the RMS reservation of a booking that ended (the desk's OnTillTask;
// Poster's API has no cancel call). The task is a staff notice on the
// venue's dashboard page and, when the venue has a staff chat, a post
// there with a "done at the till" button. Both go out once per booking.
func (b *Bot) TillTask(ctx context.Context, bk hub.Booking, reason string) {
	if err := b.tillTask(ctx, bk, reason); err != nil {
		b.log.Warn("post a till task to the staff", "booking", bk.ID, "err", err)
	}
}

// tillNoticeID is the id of a booking's till task notice.
func tillNoticeID(bookingID string) string { return "till/" + bookingID }

// tillPostKey is the send queue key of a booking's till task post.
func tillPostKey(bookingID string) string { return "st/" + bookingID + "/till-cancel" }

func (b *Bot) tillTask(ctx context.Context, bk hub.Booking, reason string) error {
	v, zone, err := b.venue(ctx, bk.VenueID)
	if err != nil {
		return err
	}
	res, tables, err := b.reservationOf(ctx, bk)
	if err != nil {
		return err
	}
	comment := fmt.Sprintf("reservation %s, table %s", res, tables)
	if reason != "" {
		comment += ": " + reason
	}
	if err := b.notice(ctx, hub.Notice{ID: tillNoticeID(bk.ID), VenueID: v.ID,
		Kind: hub.NoticeTillTask, BookingID: bk.ID, GuestName: firstName(bk.Name),
		Party: bk.Party, Wanted: bk.Start.UTC(), Comment: comment}); err != nil {
		return err
	}
	chat, err := b.staffChat(ctx, v.ID)
	if err != nil || chat == 0 {
		return err
	}
	lang := b.opts.StaffLang
	text := b.cat.T(lang, "staff.till_cancel", "id", bk.ID, "reservation", res,
		"tables", tables, "when", b.cat.When(lang, bk.Start.In(zone)), "party", bk.Party,
		"name", bk.Name, "reason", reason)
	return b.queue.Enqueue(ctx, sendqueue.Message{Key: tillPostKey(bk.ID), ChatID: chat,
		Text: text, Markup: inline([][]button{{{b.cat.T(lang, "staff.till_done"),
			data(cbTillDone, bk.ID)}}})})
}

// reservationOf names a booking's RMS reservation and its tables as staff
// see them at the till: the reservation id, the tables' numbers.
func (b *Bot) reservationOf(ctx context.Context, bk hub.Booking) (string, string, error) {
	res := bk.ReservationID
	if res == "" {
		res = "—"
	}
	all, err := b.store.Tables(ctx, bk.VenueID)
	if err != nil {
		return "", "", fmt.Errorf("load tables: %w", err)
	}
	var names []string
	for _, id := range bk.TableIDs {
		name := id
		if i := slices.IndexFunc(all, func(t hub.Table) bool { return t.ID == id }); i >= 0 &&
			all[i].Number != "" {
			name = all[i].Number
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		names = []string{"—"}
	}
	return res, strings.Join(names, ", "), nil
}

// tillDone is staff pressing "done at the till" on a till task post: the
// task's notice is marked done (it leaves the dashboard) and the post
// says who did it. Only a member of the venue's linked staff chat, in that
// chat, may press it; a booking without an open till task is refused.
func (b *Bot) tillDone(ctx context.Context, c tele.Context, bookingID string) (string, bool,
	error) {
	lang := b.opts.StaffLang
	bk, err := b.store.Booking(ctx, bookingID)
	if errors.Is(err, hub.ErrNotFound) {
		return b.cat.T(lang, "cb.invalid"), true, nil
	}
	if err != nil {
		return "", false, err
	}
	chat, refusal, err := b.staffPress(ctx, c, bk)
	if err != nil || refusal != "" {
		return b.cat.T(lang, refusal), refusal != "", err
	}
	open, err := b.store.VenueNotices(ctx, bk.VenueID)
	if err != nil {
		return "", false, err
	}
	if !slices.ContainsFunc(open, func(n hub.Notice) bool {
		return n.ID == tillNoticeID(bk.ID) && n.Kind == hub.NoticeTillTask
	}) {
		// Done already, or data the bot never posted for this booking.
		return b.cat.T(lang, "cb.stale"), true, nil
	}
	if err := b.store.FinishNotice(ctx, bk.VenueID, tillNoticeID(bk.ID),
		b.now().UTC()); err != nil {
		return "", false, fmt.Errorf("mark the till task of %s done: %w", bk.ID, err)
	}
	who := strings.TrimSpace(c.Sender().FirstName + " " + c.Sender().LastName)
	b.log.Info("till task done", "booking", bk.ID, "venue", bk.VenueID,
		"user", c.Sender().ID)
	_, zone, err := b.venue(ctx, bk.VenueID)
	if err != nil {
		return "", false, err
	}
	res, tables, err := b.reservationOf(ctx, bk)
	if err != nil {
		return "", false, err
	}
	text := b.cat.T(lang, "staff.till_done_post", "id", bk.ID, "reservation", res,
		"tables", tables, "when", b.cat.When(lang, bk.Start.In(zone)), "name", bk.Name,
		"who", who)
	err = b.queue.Enqueue(ctx, sendqueue.Message{Key: tillPostKey(bk.ID) + "/done",
		EditKey: tillPostKey(bk.ID), ChatID: chat, Text: text, Markup: emptyKeyboard})
	if err != nil {
		return "", false, err
	}
	return b.cat.T(lang, "staff.till_done_by", "who", who), false, nil
}
