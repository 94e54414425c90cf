package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
)

// Steps of a booking flow.
const (
	stepVenue   = "venue"
	stepParty   = "party"
	stepDate    = "date"
	stepTime    = "time"
	stepName    = "name"
	stepPhone   = "phone"
	stepComment = "comment"
	stepSummary = "summary"
	stepDone    = "done"
)

// flow is a booking in the making, kept per chat in hub.TelegramChat.Flow.
type flow struct {
	// Token names this flow in its buttons; a new /start makes a new one,
	// so buttons of an older flow are stale.
	Token   string `json:"token"`
	Step    string `json:"step"`
	VenueID string `json:"venue_id,omitempty"`
	// Chain is the chain whose venues the chooser offers; empty: all.
	Chain   string    `json:"chain,omitempty"`
	Party   int       `json:"party,omitempty"`
	Large   bool      `json:"large,omitempty"`
	Date    string    `json:"date,omitempty"`
	Page    int       `json:"page,omitempty"`
	Start   time.Time `json:"start,omitzero"`
	Name    string    `json:"name,omitempty"`
	Phone   string    `json:"phone,omitempty"`
	Comment string    `json:"comment,omitempty"`
	// MsgKey is the send-queue key of the message the flow edits; empty
	// makes the next step send a new one. Msgs and Edits number the
	// flow's messages and edits, for unique keys.
	MsgKey string `json:"msg_key,omitempty"`
	Msgs   int    `json:"msgs,omitempty"`
	Edits  int    `json:"edits,omitempty"`
}

// session is one chat's state while an update is handled.
type session struct {
	chat hub.TelegramChat
	f    flow
	lang string
	user *tele.User
	// pick is the chooser's question at /start (a catalog key).
	pick string
	// out holds the flow's messages until save has stored the state they
	// show: a save refused as stale (another replica moved the flow on)
	// sends nothing.
	out []sendqueue.Message
}

// Limits of what a guest types.
const (
	maxNameLen    = 64
	maxCommentLen = 300
)

func guestID(userID int64) string { return "tg_" + strconv.FormatInt(userID, 10) }

// load reads the chat's state; a new chat speaks the user's language.
func (b *Bot) load(ctx context.Context, c tele.Context) (*session, error) {
	s := &session{user: c.Sender()}
	chat, err := b.store.TelegramChat(ctx, c.Chat().ID)
	switch {
	case errors.Is(err, hub.ErrNotFound):
		chat = hub.TelegramChat{ChatID: c.Chat().ID}
	case err != nil:
		return nil, err
	}
	s.chat = chat
	if len(chat.Flow) > 0 {
		if err := json.Unmarshal(chat.Flow, &s.f); err != nil {
			b.log.Warn("forget unreadable flow", "chat", chat.ChatID, "err", err)
			s.f = flow{}
		}
	}
	s.lang = chat.Lang
	if s.lang == "" && s.user != nil {
		s.lang = Lang(s.user.LanguageCode)
	}
	if s.lang == "" {
		s.lang = Languages[0]
	}
	return s, nil
}

func (b *Bot) save(ctx context.Context, s *session) error {
	if s.f.Step == stepDone {
		// The booking (if any) keeps the guest's details; the chat keeps
		// only what tells a stale button from a current one.
		s.f = flow{Token: s.f.Token, Step: stepDone, MsgKey: s.f.MsgKey, Msgs: s.f.Msgs,
			Edits: s.f.Edits}
	}
	raw, err := json.Marshal(s.f)
	if err != nil {
		return fmt.Errorf("encode flow: %w", err)
	}
	s.chat.Flow, s.chat.UpdatedAt = raw, b.now().UTC()
	if b.opts.testBeforeSave != nil {
		b.opts.testBeforeSave(s.chat.ChatID)
	}
	if err := b.store.PutTelegramChat(ctx, s.chat); err != nil {
		return err // hub.ErrStaleChat: the caller handles the update again
	}
	s.chat.Version++
	out := s.out
	s.out = nil
	for _, m := range out {
		if err := b.queue.Enqueue(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// later queues a message of the flow to send once save has stored the
// flow's state.
func (b *Bot) later(s *session, m sendqueue.Message) error {
	s.out = append(s.out, m)
	return nil
}

// show puts text and buttons in the flow's message: edits it, or sends it
// when the flow has none yet.
func (b *Bot) show(ctx context.Context, s *session, text string, rows [][]button) error {
	m := sendqueue.Message{ChatID: s.chat.ChatID, Text: text, Markup: inline(rows)}
	if s.f.MsgKey == "" {
		s.f.Msgs++
		s.f.MsgKey = fmt.Sprintf("f/%d/%s/%d", s.chat.ChatID, s.f.Token, s.f.Msgs)
		m.Key = s.f.MsgKey
	} else {
		s.f.Edits++
		m.Key, m.EditKey = s.f.MsgKey+"/"+strconv.Itoa(s.f.Edits), s.f.MsgKey
		if m.Markup == nil {
			m.Markup = emptyKeyboard
		}
	}
	return b.later(s, m)
}

// reply sends a new message answering an incoming one; key names what it
// answers, so a redelivered update is answered once.
func (b *Bot) reply(ctx context.Context, chatID int64, key, text string,
	markup json.RawMessage) error {
	return b.queue.Enqueue(ctx, sendqueue.Message{Key: key, ChatID: chatID, Text: text,
		Markup: markup})
}

func replyKey(c tele.Context) string {
	return fmt.Sprintf("r/%d/%d", c.Chat().ID, c.Message().ID)
}

func (b *Bot) onStart(c tele.Context) error {
	ctx := context.Background()
	s, err := b.load(ctx, c)
	if err != nil {
		return err
	}
	s.f = flow{Token: hub.NewSecret()[:8], Step: stepVenue}
	if msg, ok, err := b.overLimits(ctx, s); err != nil || !ok {
		if err == nil {
			err = b.reply(ctx, s.chat.ChatID, replyKey(c), msg, nil)
		}
		return err
	}
	payload := strings.TrimSpace(c.Message().Payload)
	v, err := b.startVenue(ctx, s, payload)
	if err != nil {
		return err
	}
	if v.ID != "" {
		s.f.VenueID, s.f.Step = v.ID, stepParty
		err = b.show(ctx, s, b.cat.T(s.lang, "party.ask", "venue", v.Name), b.partyRows(s))
	} else {
		err = b.showVenues(ctx, s, 0)
	}
	if err != nil {
		return err
	}
	return b.save(ctx, s)
}

func (b *Bot) partyRows(s *session) [][]button {
	var buttons []button
	for n := 1; n <= 8; n++ {
		buttons = append(buttons, button{strconv.Itoa(n), data(cbParty, s.f.Token,
			strconv.Itoa(n))})
	}
	rows := rowsOf(buttons, 4)
	return append(rows, []button{{b.cat.T(s.lang, "party.more"), data(cbParty, s.f.Token, "+")},
		{b.cat.T(s.lang, "btn.abort"), data(cbAbort, s.f.Token)}})
}

// venue returns the flow's venue and its zone.
func (b *Bot) venue(ctx context.Context, id string) (hub.Venue, *time.Location, error) {
	v, err := b.store.Venue(ctx, id)
	if err != nil {
		return hub.Venue{}, nil, err
	}
	zone, err := time.LoadLocation(v.TimeZone)
	if err != nil {
		return hub.Venue{}, nil, fmt.Errorf("venue %s time zone: %w", v.ID, err)
	}
	return v, zone, nil
}

// bounds returns the first and last dates of the venue's booking horizon.
func (b *Bot) bounds(v hub.Venue, zone *time.Location) (booking.Date, booking.Date) {
	now := b.now()
	horizon := time.Duration(booking.Effective(v.Policy).Horizon)
	return booking.DateOf(now, zone), booking.DateOf(now.Add(horizon), zone)
}

func (b *Bot) showDates(ctx context.Context, s *session) error {
	v, zone, err := b.venue(ctx, s.f.VenueID)
	if err != nil {
		return err
	}
	s.f.Step = stepDate
	first, last := b.bounds(v, zone)
	return b.show(ctx, s, b.cat.T(s.lang, "date.ask", "venue", v.Name, "party", s.f.Party),
		b.calendar(s.lang, s.f.Token, first, last, s.f.Page))
}

// showTimes shows the free start times of the flow's date; prefix, if
// set, goes before the question (say, that a time was just taken).
func (b *Bot) showTimes(ctx context.Context, s *session, prefix string) error {
	v, zone, err := b.venue(ctx, s.f.VenueID)
	if err != nil {
		return err
	}
	date, err := booking.ParseDate(s.f.Date)
	if err != nil {
		return err
	}
	slots, err := b.desk.Availability(ctx, v.ID, date, s.f.Party, guestID(s.user.ID))
	first, last := b.bounds(v, zone)
	day := b.cat.Date(s.lang, date.Start(zone))
	switch {
	case errors.Is(err, booking.ErrLargeParty):
		return b.startLarge(ctx, s)
	case err != nil && isPaused(err):
		s.f.Step = stepDone
		return b.show(ctx, s, b.cat.T(s.lang, "paused", "venue", v.Name), nil)
	case err != nil && !isRule(err):
		return err
	case err != nil || len(slots) == 0:
		s.f.Step = stepDate
		return b.show(ctx, s, prefix+b.cat.T(s.lang, "time.none", "venue", v.Name,
			"party", s.f.Party, "date", day), b.calendar(s.lang, s.f.Token, first, last, s.f.Page))
	}
	s.f.Step = stepTime
	return b.show(ctx, s, prefix+b.cat.T(s.lang, "time.ask", "venue", v.Name, "party",
		s.f.Party, "date", day), b.times(s.lang, s.f.Token, slots, zone))
}

// staleRetries is how many times an update is handled when its chat's
// state keeps changing under it (hub.ErrStaleChat).
const staleRetries = 3

// flowCallback handles the buttons of the booking flow. It returns the
// callback answer. When another replica saved the chat's flow while this
// press was handled, the press is handled again from the stored flow; if
// that makes it out of date, the guest hears that the other press won.
func (b *Bot) flowCallback(ctx context.Context, c tele.Context, cb callback) (string, error) {
	for attempt := 1; ; attempt++ {
		answer, err := b.flowCallbackOnce(ctx, c, cb)
		if !errors.Is(err, hub.ErrStaleChat) {
			if attempt > 1 && err == nil {
				lang := b.langOf(ctx, c)
				if answer == b.cat.T(lang, "cb.stale") {
					answer = b.cat.T(lang, "cb.twice")
				}
			}
			return answer, err
		}
		b.log.Info("a chat's flow changed while a button was handled; handling it again",
			"chat", c.Chat().ID, "verb", cb.Verb, "attempt", attempt)
		if attempt == staleRetries {
			return b.cat.T(b.langOf(ctx, c), "cb.again"), nil
		}
	}
}

func (b *Bot) flowCallbackOnce(ctx context.Context, c tele.Context, cb callback) (string,
	error) {
	s, err := b.load(ctx, c)
	if err != nil {
		return "", err
	}
	if cb.A != s.f.Token || s.f.Step == stepDone || s.f.Token == "" {
		return b.cat.T(s.lang, "cb.stale"), nil
	}
	// Only the step a button belongs to accepts it.
	want := map[string][]string{
		cbVenue: {stepVenue}, cbVenues: {stepVenue}, cbParty: {stepParty}, cbDate: {stepDate, stepTime},
		cbPage: {stepDate, stepTime}, cbTime: {stepTime}, cbDates: {stepTime, stepDate},
		cbName: {stepName}, cbSkip: {stepComment}, cbConfirm: {stepSummary},
	}
	if steps, ok := want[cb.Verb]; ok && !slices.Contains(steps, s.f.Step) {
		return b.cat.T(s.lang, "cb.stale"), nil
	}
	answer := ""
	switch cb.Verb {
	case cbVenues:
		page, perr := strconv.Atoi(cb.B)
		if perr != nil || page < 0 {
			return b.cat.T(s.lang, "cb.invalid"), nil
		}
		err = b.showVenues(ctx, s, page)
	case cbVenue:
		v, err := b.store.Venue(ctx, cb.B)
		if errors.Is(err, hub.ErrNotFound) {
			return b.cat.T(s.lang, "cb.invalid"), nil
		}
		if err != nil {
			return "", err
		}
		s.f.VenueID, s.f.Step = v.ID, stepParty
		err = b.show(ctx, s, b.cat.T(s.lang, "party.ask", "venue", v.Name), b.partyRows(s))
	case cbParty:
		if cb.B == "+" {
			s.f.Party, s.f.Date = 0, "" // more than the buttons offer: unknown
			err = b.startLarge(ctx, s)
			break
		}
		n, perr := strconv.Atoi(cb.B)
		if perr != nil || n < 1 || n > 8 {
			return b.cat.T(s.lang, "cb.invalid"), nil
		}
		s.f.Party, s.f.Page = n, 0
		err = b.showDates(ctx, s)
	case cbPage:
		page, perr := strconv.Atoi(cb.B)
		if perr != nil || page < 0 || page > 60 {
			return b.cat.T(s.lang, "cb.invalid"), nil
		}
		s.f.Page = page
		err = b.showDates(ctx, s)
	case cbDates:
		err = b.showDates(ctx, s)
	case cbDate:
		answer, err = b.pickDate(ctx, s, cb.B)
	case cbTime:
		answer, err = b.pickTime(ctx, s, cb.B)
	case cbName:
		s.f.Name = cut(strings.TrimSpace(c.Sender().FirstName+" "+c.Sender().LastName),
			maxNameLen)
		err = b.askPhone(ctx, s)
	case cbSkip:
		s.f.Comment = ""
		err = b.showSummary(ctx, s)
	case cbConfirm:
		err = b.book(ctx, s)
	case cbAbort:
		s.f.Step = stepDone
		err = b.show(ctx, s, b.cat.T(s.lang, "aborted"), nil)
	}
	if err != nil {
		return "", err
	}
	return answer, b.save(ctx, s)
}

func (b *Bot) pickDate(ctx context.Context, s *session, arg string) (string, error) {
	date, err := parseCompactDate(arg)
	if err != nil {
		return b.cat.T(s.lang, "cb.invalid"), nil
	}
	v, zone, err := b.venue(ctx, s.f.VenueID)
	if err != nil {
		return "", err
	}
	if first, last := b.bounds(v, zone); date.Compare(first) < 0 || date.Compare(last) > 0 {
		return b.cat.T(s.lang, "cb.stale"), nil
	}
	s.f.Date = date.String()
	return "", b.showTimes(ctx, s, "")
}

// pickTime takes a start time if it is still free.
func (b *Bot) pickTime(ctx context.Context, s *session, arg string) (string, error) {
	sec, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return b.cat.T(s.lang, "cb.invalid"), nil
	}
	start := time.Unix(sec, 0).UTC()
	_, zone, err := b.venue(ctx, s.f.VenueID)
	if err != nil {
		return "", err
	}
	date := booking.DateOf(start, zone)
	slots, err := b.desk.Availability(ctx, s.f.VenueID, date, s.f.Party, guestID(s.user.ID))
	if err != nil && !isRule(err) && !isPaused(err) {
		return "", err
	}
	free := false
	for _, sl := range slots {
		free = free || sl.Start.Equal(start)
	}
	s.f.Date = date.String()
	if !free {
		return b.cat.T(s.lang, "taken"), b.showTimes(ctx, s, b.cat.T(s.lang, "taken")+"\n\n")
	}
	s.f.Start = start
	if s.f.Name != "" && s.f.Phone != "" {
		return "", b.showSummary(ctx, s)
	}
	return "", b.askName(ctx, s)
}

func (b *Bot) askName(ctx context.Context, s *session) error {
	v, zone, err := b.venue(ctx, s.f.VenueID)
	if err != nil {
		return err
	}
	s.f.Step = stepName
	when := ""
	if !s.f.Start.IsZero() {
		when = b.cat.When(s.lang, s.f.Start.In(zone))
	}
	rows := [][]button{{{b.cat.T(s.lang, "btn.abort"), data(cbAbort, s.f.Token)}}}
	if name := strings.TrimSpace(s.user.FirstName + " " + s.user.LastName); name != "" {
		rows = append([][]button{{{name, data(cbName, s.f.Token)}}}, rows...)
	}
	text := b.cat.T(s.lang, "name.ask", "venue", v.Name, "when", when, "party", s.f.Party)
	if s.f.Large {
		text = b.cat.T(s.lang, "name.ask.large", "venue", v.Name)
	}
	return b.show(ctx, s, text, rows)
}

// startLarge turns the flow into a request to staff for a large party.
// The party and the date stay when the guest chose them (the venue
// refused the party online): the staff's notice shows them.
func (b *Bot) startLarge(ctx context.Context, s *session) error {
	s.f.Large, s.f.Start = true, time.Time{}
	return b.askName(ctx, s)
}

// askPhone sends the contact keyboard in a message of its own: a message
// cannot carry it and inline buttons at once.
func (b *Bot) askPhone(ctx context.Context, s *session) error {
	s.f.Step = stepPhone
	return b.later(s, sendqueue.Message{Key: s.f.MsgKey + "/phone", ChatID: s.chat.ChatID,
		Text:   b.cat.T(s.lang, "phone.ask"),
		Markup: contactKeyboard(b.cat.T(s.lang, "phone.button"))})
}

func (b *Bot) onText(c tele.Context) error {
	ctx := context.Background()
	s, err := b.load(ctx, c)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(c.Text())
	step := s.f.Step
	if strings.HasPrefix(text, "/") {
		step = "" // a command the bot does not know: not a name or a comment
	}
	switch step {
	case stepName:
		if text == "" {
			return nil
		}
		s.f.Name = cut(text, maxNameLen)
		err = b.askPhone(ctx, s)
	case stepPhone:
		phone, ok := NormalizePhone(text)
		if !ok {
			return b.reply(ctx, s.chat.ChatID, replyKey(c), b.cat.T(s.lang, "phone.bad"), nil)
		}
		err = b.gotPhone(ctx, c, s, phone)
	case stepComment:
		s.f.Comment = cut(text, maxCommentLen)
		err = b.showSummary(ctx, s)
	default:
		return b.reply(ctx, s.chat.ChatID, replyKey(c), b.cat.T(s.lang, "help"), nil)
	}
	if err != nil {
		return err
	}
	return b.save(ctx, s)
}

func (b *Bot) onContact(c tele.Context) error {
	ctx := context.Background()
	s, err := b.load(ctx, c)
	if err != nil {
		return err
	}
	ct := c.Message().Contact
	if s.f.Step != stepPhone || ct == nil {
		return nil
	}
	phone, ok := NormalizePhone(ct.PhoneNumber)
	// Only the guest's own contact: a forwarded card is someone else's.
	if !ok || ct.UserID != c.Sender().ID {
		return b.reply(ctx, s.chat.ChatID, replyKey(c), b.cat.T(s.lang, "phone.bad"), nil)
	}
	if err := b.gotPhone(ctx, c, s, phone); err != nil {
		return err
	}
	return b.save(ctx, s)
}

// gotPhone removes the contact keyboard and asks for a comment in a new
// flow message, which becomes the summary.
func (b *Bot) gotPhone(ctx context.Context, c tele.Context, s *session, phone string) error {
	s.f.Phone = phone
	err := b.later(s, sendqueue.Message{Key: replyKey(c), ChatID: s.chat.ChatID,
		Text: b.cat.T(s.lang, "phone.saved", "phone", phone), Markup: removeKeyboard})
	if err != nil {
		return err
	}
	s.f.Step, s.f.MsgKey = stepComment, ""
	return b.show(ctx, s, b.cat.T(s.lang, "comment.ask"), [][]button{{
		{b.cat.T(s.lang, "comment.skip"), data(cbSkip, s.f.Token)},
		{b.cat.T(s.lang, "btn.abort"), data(cbAbort, s.f.Token)}}})
}

func (b *Bot) showSummary(ctx context.Context, s *session) error {
	v, zone, err := b.venue(ctx, s.f.VenueID)
	if err != nil {
		return err
	}
	s.f.Step = stepSummary
	comment := ""
	if s.f.Comment != "" {
		comment = b.cat.T(s.lang, "summary.comment", "comment", s.f.Comment)
	}
	ok := "btn.confirm"
	var text string
	if s.f.Large {
		ok = "btn.send_request"
		text = b.cat.T(s.lang, "large.summary", "venue", v.Name, "name", s.f.Name,
			"phone", s.f.Phone, "comment", comment)
	} else {
		text = b.cat.T(s.lang, "summary", "venue", v.Name, "when",
			b.cat.When(s.lang, s.f.Start.In(zone)), "party", s.f.Party, "name", s.f.Name,
			"phone", s.f.Phone, "comment", comment)
	}
	return b.show(ctx, s, text, [][]button{{{b.cat.T(s.lang, ok), data(cbConfirm, s.f.Token)},
		{b.cat.T(s.lang, "btn.abort"), data(cbAbort, s.f.Token)}}})
}

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// NormalizePhone checks a phone number as a guest types or shares it and
// returns it as + and digits. A Russian number written with a leading 8
// becomes +7.
func NormalizePhone(s string) (string, bool) {
	var digits strings.Builder
	plus := false
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", false
		}
	}
	d := digits.String()
	if !plus && len(d) == 11 && d[0] == '8' {
		d = "7" + d[1:]
	}
	if !plus && len(d) == 10 && d[0] == '9' {
		d = "7" + d
	}
	if len(d) < 10 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	return "+" + d, true
}
