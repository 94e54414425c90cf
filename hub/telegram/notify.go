package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
)

// Changed is the desk's change hook (desk.Options.OnChange): it tells the
// guest and the staff chat about a booking made in Telegram. Of a booking
// made through the API (another platform, the venue's website) it tells
// the staff chat; of one staff made themselves, nobody.
func (b *Bot) Changed(ctx context.Context, from hub.BookingState, bk hub.Booking) {
	switch bk.Channel {
	case desk.ChannelStaff:
		return
	case ChannelTelegram:
	default:
		if err := b.tellStaffOnly(ctx, from, bk); err != nil {
			b.log.Error("tell the staff chat of a booking change", "booking", bk.ID,
				"state", bk.State, "err", err)
		}
		return
	}
	if err := b.tell(ctx, bk.ID); err != nil {
		b.log.Error("tell the guest of a booking change", "booking", bk.ID, "state", bk.State,
			"err", err)
	}
}

// Sweep tells the guests of the changes they have not heard of: those made
// on another replica, or whose telling failed. Run calls it every
// SweepInterval.
func (b *Bot) Sweep(ctx context.Context) error {
	open, err := b.store.OpenTelegramBookings(ctx)
	if err != nil {
		return err
	}
	// The bookings are read in chunks, not one by one: thousands may be
	// open, and every replica sweeps every SweepInterval.
	const chunk = 500
	var errs []error
	for len(open) > 0 {
		part := open[:min(chunk, len(open))]
		open = open[len(part):]
		ids := make([]string, len(part))
		for i, tb := range part {
			ids[i] = tb.BookingID
		}
		list, err := b.store.BookingsByIDs(ctx, ids)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byID := make(map[string]hub.Booking, len(list))
		for _, bk := range list {
			byID[bk.ID] = bk
		}
		for _, tb := range part {
			bk, ok := byID[tb.BookingID]
			switch {
			case !ok:
				tb.Done = true
				errs = append(errs, b.store.PutTelegramBooking(ctx, tb))
			case bk.State != tb.Told || !bk.Start.Equal(tb.ToldStart):
				errs = append(errs, b.tell(ctx, bk.ID))
			}
		}
	}
	return errors.Join(errs...)
}

// tellLease is how long one replica may take to tell of a booking's change.
const tellLease = 30 * time.Second

// tell shows a booking's state in the guest's booking message and posts
// to the staff chat, once per state and start: the send queue's keys make
// a second telling a no-op. Tellings of one booking are serialised (a lock
// here, a store lease across replicas) and read the booking afresh, so the
// messages are queued in the order of the booking's states and a stale
// state never follows a newer one. A telling another replica holds is
// left to it; the sweep comes back if it fails.
func (b *Bot) tell(ctx context.Context, id string) error {
	h := fnv.New32a()
	h.Write([]byte(id))
	mu := &b.tells[h.Sum32()%uint32(len(b.tells))]
	mu.Lock()
	defer mu.Unlock()
	lease := "telegram-tell/" + id
	have, err := b.store.ClaimLease(ctx, lease, b.opts.Replica, b.now().UTC(), tellLease)
	if err != nil || !have {
		return err
	}
	defer func() {
		if err := b.store.ReleaseLease(context.WithoutCancel(ctx), lease,
			b.opts.Replica); err != nil {
			b.log.Warn("release a booking's telling", "booking", id, "err", err)
		}
	}()

	tb, err := b.store.TelegramBooking(ctx, id)
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	bk, err := b.store.Booking(ctx, id)
	if err != nil {
		return fmt.Errorf("load booking: %w", err)
	}
	if tb.Done || bk.State == tb.Told && bk.Start.Equal(tb.ToldStart) {
		return nil
	}
	v, zone, err := b.venue(ctx, bk.VenueID)
	if err != nil {
		return err
	}
	actor, err := b.lastActor(ctx, bk.ID)
	if err != nil {
		return err
	}
	text, rows, err := b.stateView(ctx, tb, v, zone, bk, actor)
	if err != nil {
		return err
	}
	markup := inline(rows)
	if markup == nil {
		markup = emptyKeyboard
	}
	key := fmt.Sprintf("bk/%s/%s/%d", bk.ID, bk.State, bk.Start.Unix())
	err = b.queue.Enqueue(ctx, sendqueue.Message{Key: key, ChatID: tb.ChatID, Text: text,
		Markup: markup, EditKey: tb.MessageKey})
	if err != nil {
		return err
	}
	if restaurantNews(tb, bk, actor) {
		// Telegram notifies of new messages, not of edits: what the
		// restaurant did the guest did not expect also comes as a message.
		err = b.queue.Enqueue(ctx, sendqueue.Message{Key: key + "/news", ChatID: tb.ChatID,
			Text: text})
		if err != nil {
			return err
		}
	}
	if err := b.tellStaff(ctx, v, zone, tb.Told, bk, actor); err != nil {
		return err
	}
	if bk.State == hub.BookingConfirmed {
		if err := b.scheduleReminder(ctx, bk); err != nil {
			return err
		}
	}
	tb.Told, tb.ToldStart, tb.Done = bk.State, bk.Start, !bk.State.Active()
	tb.UpdatedAt = b.now().UTC()
	return b.store.PutTelegramBooking(ctx, tb)
}

// tellStaffOnly posts a change of a booking not made in Telegram. Only
// the desk's hook sees such changes: one made on another replica reaches
// the staff chat through that replica's hook.
func (b *Bot) tellStaffOnly(ctx context.Context, from hub.BookingState, bk hub.Booking) error {
	v, zone, err := b.venue(ctx, bk.VenueID)
	if err != nil {
		return err
	}
	actor, err := b.lastActor(ctx, bk.ID)
	if err != nil {
		return err
	}
	return b.tellStaff(ctx, v, zone, from, bk, actor)
}

// lastActor returns who made the booking's last move.
func (b *Bot) lastActor(ctx context.Context, id string) (string, error) {
	hist, err := b.store.BookingHistory(ctx, id)
	if err != nil {
		return "", fmt.Errorf("load booking history: %w", err)
	}
	if len(hist) == 0 {
		return "", nil
	}
	return hist[len(hist)-1].Actor, nil
}

// restaurantNews reports whether the change is the restaurant's doing and
// news to the guest: it cancelled the booking, or moved it.
func restaurantNews(tb hub.TelegramBooking, bk hub.Booking, actor string) bool {
	switch bk.State {
	case hub.BookingCancelled:
		return !strings.HasPrefix(actor, "guest:")
	case hub.BookingConfirmed:
		return tb.Told == hub.BookingConfirmed && !bk.Start.Equal(tb.ToldStart)
	}
	return false
}

// staffReason reports whether the booking's reason is words the
// restaurant's staff gave (on the dashboard, say), to pass on to the
// guest. The RMS gives none: the reasons of its changes are the hub's own
// English phrases, as is the lifecycle's "cancelled" when staff gave none.
func staffReason(bk hub.Booking, actor string) bool {
	return strings.HasPrefix(actor, "staff:") && bk.Reason != "" && bk.Reason != "cancelled" &&
		bk.Reason != booking.ReasonMoved
}

// guestReason is staff's reason in the guest's language: a reason picked
// from hub.StaffReasons from the catalogue, the staff's own words as
// written.
func (b *Bot) guestReason(lang, reason string) string {
	code, note := hub.SplitStaffReason(reason)
	if code == "" {
		return note
	}
	text := b.cat.T(lang, "staffreason."+code)
	if note != "" {
		text += ": " + note
	}
	return text
}

// stateView is the text and buttons of a booking's message in state bk.
func (b *Bot) stateView(ctx context.Context, tb hub.TelegramBooking, v hub.Venue,
	zone *time.Location, bk hub.Booking, actor string) (string, [][]button, error) {
	lang := tb.Lang
	line := b.cat.T(lang, "booking.line", "venue", v.Name, "when",
		b.cat.When(lang, bk.Start.In(zone)), "party", bk.Party, "name", bk.Name)
	var state string
	var rows [][]button
	cancel := []button{{b.cat.T(lang, "btn.cancel_booking"), data(cbCancel, bk.ID)}}
	switch bk.State {
	case hub.BookingRequested:
		state, rows = b.cat.T(lang, "state.requested"), [][]button{cancel}
	case hub.BookingConfirmed:
		state, rows = b.cat.T(lang, "state.confirmed", "venue", v.Name), [][]button{cancel}
		if tb.Told == hub.BookingConfirmed && !bk.Start.Equal(tb.ToldStart) {
			state = b.cat.T(lang, "state.moved", "when", b.cat.When(lang, bk.Start.In(zone)))
		}
	case hub.BookingDeclined, hub.BookingExpired:
		// Refused, or not answered in time: either way the guest may pick
		// another time (pickAlternative).
		alts, err := b.desk.Alternatives(ctx, bk.ID)
		if err != nil {
			return "", nil, fmt.Errorf("alternatives to %s: %w", bk.ID, err)
		}
		state = b.cat.T(lang, "state."+string(bk.State))
		if len(alts) > 0 {
			state = b.cat.T(lang, "state."+string(bk.State)+".alternatives")
		}
		var buttons []button
		for _, a := range alts {
			buttons = append(buttons, button{b.cat.When(lang, a.Start.In(zone)),
				data(cbAlt, bk.ID, strconv.FormatInt(a.Start.Unix(), 10))})
		}
		rows = rowsOf(buttons, 2)
	case hub.BookingCancelled:
		state = b.cat.T(lang, "state.cancelled.restaurant")
		if strings.HasPrefix(actor, "guest:") {
			state = b.cat.T(lang, "state.cancelled")
		}
	default:
		state = b.cat.T(lang, "state."+string(bk.State))
	}
	if restaurantNews(tb, bk, actor) && staffReason(bk, actor) {
		state += "\n" + b.cat.T(lang, "state.reason", "reason", b.guestReason(lang, bk.Reason))
	}
	return line + "\n\n" + state, rows, nil
}

// staffChat returns the venue's staff chat, or 0 when none is linked.
func (b *Bot) staffChat(ctx context.Context, venueID string) (int64, error) {
	chat, err := b.store.StaffChat(ctx, venueID)
	if errors.Is(err, hub.ErrNotFound) {
		return 0, nil
	}
	return chat, err
}

// tellStaff keeps the staff chat's post of a booking up to date, and posts
// what staff must act on: a guest's cancellation, a booking the RMS did
// not take.
func (b *Bot) tellStaff(ctx context.Context, v hub.Venue, zone *time.Location,
	from hub.BookingState, bk hub.Booking, actor string) error {
	chat, err := b.staffChat(ctx, v.ID)
	if err != nil || chat == 0 {
		return err
	}
	lang := b.opts.StaffLang
	when := b.cat.When(lang, bk.Start.In(zone))
	comment := ""
	if bk.Comment != "" {
		comment = b.cat.T(lang, "summary.comment", "comment", bk.Comment)
	}
	text := b.cat.T(lang, "staff.new", "id", bk.ID, "when", when, "party", bk.Party,
		"name", bk.Name, "phone", bk.Phone, "comment", comment) + "\n" +
		b.cat.T(lang, "staff.state", "state", b.cat.T(lang, "st."+string(bk.State)))
	var rows [][]button
	if bk.State == hub.BookingRequested {
		staff, err := b.needsStaff(ctx, v)
		if err != nil {
			return err
		}
		if staff {
			rows = [][]button{{{b.cat.T(lang, "staff.confirm"), data(cbStaffOK, bk.ID)},
				{b.cat.T(lang, "staff.decline"), data(cbStaffDecl, bk.ID)}}}
		}
	}
	post := sendqueue.Message{Key: "st/" + bk.ID, ChatID: chat, Text: text,
		Markup: inline(rows)}
	if from != hub.BookingHeld && from != "" {
		post.Key = fmt.Sprintf("st/%s/%s/%d", bk.ID, bk.State, bk.Start.Unix())
		post.EditKey = "st/" + bk.ID
		if post.Markup == nil {
			post.Markup = emptyKeyboard
		}
	}
	if err := b.queue.Enqueue(ctx, post); err != nil {
		return err
	}

	var alert string
	switch {
	case bk.State == hub.BookingCancelled && strings.HasPrefix(actor, "guest:"):
		alert = b.cat.T(lang, "staff.cancelled", "id", bk.ID, "when", when, "party", bk.Party,
			"name", bk.Name)
	case (bk.State == hub.BookingDeclined || bk.State == hub.BookingExpired) &&
		from == hub.BookingRequested && !strings.HasPrefix(actor, "staff:"):
		// The reason is the RMS's words (or the hub's, for a request that
		// ran out of time); the state's name is all there is without one.
		reason := bk.Reason
		if reason == "" {
			reason = b.cat.T(lang, "st."+string(bk.State))
		}
		alert = b.cat.T(lang, "staff.rms_failed", "id", bk.ID, "when", when, "party", bk.Party,
			"name", bk.Name, "phone", bk.Phone, "reason", reason)
	default:
		return nil
	}
	return b.queue.Enqueue(ctx, sendqueue.Message{Key: fmt.Sprintf("st/%s/%s/alert", bk.ID,
		bk.State), ChatID: chat, Text: alert})
}

// capabilityWrite is the capability an agent reports when its connector
// writes reservations into the RMS (agent.CapabilityReservations).
const capabilityWrite = "reservations.write"

// needsStaff reports whether staff confirm the venue's bookings: in manual
// mode, or when the venue's agent cannot write into its RMS.
func (b *Bot) needsStaff(ctx context.Context, v hub.Venue) (bool, error) {
	if v.Mode == hub.ModeManual {
		return true, nil
	}
	agents, err := b.store.Agents(ctx)
	if err != nil {
		return false, err
	}
	for _, a := range agents {
		if a.VenueID == v.ID && a.RevokedAt == nil {
			for _, c := range a.Status.Capabilities {
				if c == capabilityWrite {
					return false, nil
				}
			}
		}
	}
	return true, nil
}

// reminderJob is the payload of a JobReminder.
type reminderJob struct {
	BookingID string    `json:"booking_id"`
	Start     time.Time `json:"start"`
}

// scheduleReminder schedules the reminder of a confirmed booking, unless
// its time has passed. The job's id names the start, so a moved booking
// gets a reminder for its new time and the old one does nothing.
func (b *Bot) scheduleReminder(ctx context.Context, bk hub.Booking) error {
	at := bk.Start.Add(-b.opts.ReminderBefore)
	if !at.After(b.now()) {
		return nil
	}
	body, err := json.Marshal(reminderJob{BookingID: bk.ID, Start: bk.Start})
	if err != nil {
		return err
	}
	return b.store.ScheduleJob(ctx, hub.Job{
		ID:   fmt.Sprintf("%s-%s-%d", JobReminder, bk.ID, bk.Start.Unix()),
		Kind: JobReminder, RunAt: at, Payload: body})
}

func reminderKey(id string, start time.Time) string {
	return fmt.Sprintf("rm/%s/%d", id, start.Unix())
}

// runReminder reminds the guest of a booking that is still confirmed for
// the time the job was made for.
func (b *Bot) runReminder(ctx context.Context, j hub.Job) error {
	var p reminderJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.BookingID == "" {
		b.log.Error("bad reminder job; dropping it", "job", j.ID, "err", err)
		return nil
	}
	bk, err := b.store.Booking(ctx, p.BookingID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if bk.State != hub.BookingConfirmed || !bk.Start.Equal(p.Start) {
		return nil
	}
	tb, err := b.store.TelegramBooking(ctx, bk.ID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	text, rows, err := b.reminderView(ctx, bk, tb.Lang, false)
	if err != nil {
		return err
	}
	return b.queue.Enqueue(ctx, sendqueue.Message{Key: reminderKey(bk.ID, bk.Start),
		ChatID: tb.ChatID, Markup: inline(rows), Text: text})
}

// reminderView is the reminder's text and buttons; once the guest said
// they are coming, it says so and keeps "running late" and "cancel".
func (b *Bot) reminderView(ctx context.Context, bk hub.Booking, lang string,
	coming bool) (string, [][]button, error) {
	v, zone, err := b.venue(ctx, bk.VenueID)
	if err != nil {
		return "", nil, err
	}
	text := b.cat.T(lang, "reminder", "venue", v.Name, "time",
		bk.Start.In(zone).Format("15:04"), "party", bk.Party)
	first := []button{{b.cat.T(lang, "btn.coming"), data(cbComing, bk.ID)},
		{b.cat.T(lang, "btn.late"), data(cbLate, bk.ID)}}
	if coming {
		text += "\n\n" + b.cat.T(lang, "coming.ok")
		first = first[1:]
	}
	return text, [][]button{first,
		{{b.cat.T(lang, "btn.cancel_booking"), data(cbCancel, bk.ID)}}}, nil
}
