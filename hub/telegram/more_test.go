package telegram_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestGuestLimitAndLargeParty: a guest at the limit of upcoming bookings
// is told so; a party above eight becomes a request in the staff chat.
func TestGuestLimitAndLargeParty(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual,
		tune: func(o *telegram.Options) { o.MaxActive = 1 }})
	chat := e.staffChat()
	g := e.guest(1201, "Gleb", "en")
	m, _ := g.toSummary("2", "")
	g.press(m, confirmButton("en"))
	g.wait("Waiting for the restaurant")
	e.fake.SendText(g.chat, g.user, "/start "+venueID)
	g.wait("Upcoming bookings: 1, the most allowed")
	e.fake.SendText(g.chat, g.user, "/my")
	my := g.wait("Your bookings:")
	if !strings.Contains(my.Text, "waiting for the restaurant") || !hasData(my, "c:") {
		t.Errorf("/my shows %q with buttons %v", my.Text, my.Buttons)
	}

	h := e.guest(1202, "Hanna", "en")
	e.fake.SendText(h.chat, h.user, "/start "+venueID)
	h.press(h.wait("How many guests?"), "More than 8")
	h.press(h.wait("a party of more than 8"), "Hanna")
	e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
		return len(m.Keyboard) > 0
	})
	e.fake.SendText(h.chat, h.user, "call me maybe")
	h.wait("does not look like a phone number")
	e.fake.SendText(h.chat, h.user, "8 900 765-43-21")
	h.wait("Any wishes")
	e.fake.SendText(h.chat, h.user, "12 people on Saturday at 19:00")
	sum := h.wait("Request for a large party")
	h.press(sum, "📨 Send the request")
	h.wait("Your request was sent to Пушкин")
	post := e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "большую компанию")
	})
	if !strings.Contains(post.Text, "+79007654321") || !strings.Contains(post.Text, "Saturday") {
		t.Errorf("staff request %q lacks the phone or the wish", post.Text)
	}
	if n := len(e.bookings()); n != 1 {
		t.Errorf("%d bookings, want 1 (a request is not a booking)", n)
	}
	// The dashboard shows the request too; the party was not given.
	notices, err := e.store.VenueNotices(e.ctx, venueID)
	e.must("venue notices", err)
	if len(notices) != 1 || notices[0].Kind != hub.NoticeLargeParty ||
		notices[0].GuestName != "Hanna" || notices[0].Party != 0 {
		t.Errorf("notices = %+v, want Hanna's large party request", notices)
	}
}

// TestLanguageSwitch: a guest whose Telegram speaks English switches the
// bot to Russian.
func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	g := e.guest(1301, "Ivan", "en-US")
	e.fake.SendText(g.chat, g.user, "/lang")
	if a := e.answered(g.press(g.wait("Choose a language"), "Русский")); a != "Язык: русский." {
		t.Errorf("switch answered %q", a)
	}
	e.fake.SendText(g.chat, g.user, "/start "+venueID)
	g.wait("Сколько будет гостей?")
	if cmds := string(e.fake.Commands()); !strings.Contains(cmds, `"my"`) {
		t.Errorf("bot commands %s, want /start, /my and /lang", cmds)
	}
	e.fake.SendText(g.chat, g.user, "/start nowhere")
	choose := g.wait("ресторан не найден")
	g.press(choose, "Пушкин")
	e.fake.WaitFor(t, g.chat.ID, func(m telegramtest.Message) bool {
		return m.ID == choose.ID && strings.Contains(m.Text, "Сколько будет гостей?")
	})
	// With one venue, a plain /start needs no chooser.
	e.fake.SendText(g.chat, g.user, "/start")
	e.fake.WaitFor(t, g.chat.ID, func(m telegramtest.Message) bool {
		return m.ID > choose.ID && strings.Contains(m.Text, "Сколько будет гостей?")
	})

	// The polling bot holds the poller lease: another replica would not
	// poll.
	have, err := e.store.ClaimLease(e.ctx, telegram.PollerLease, "replica-2", e.clock.Now(),
		time.Minute)
	if err != nil || have {
		t.Errorf("another replica claimed the poller lease: %v, %v", have, err)
	}
}

// TestRestaurantMovesAndCutoff: the restaurant moves a confirmed booking
// (on another replica: the sweep tells the guest), and a guest cannot
// cancel online after the venue's cut-off. What the restaurant does comes
// as a new message (Telegram notifies of those, not of edits) and updates
// the booking's own message.
func TestRestaurantMovesAndCutoff(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	g := e.guest(1401, "Kira", "en")
	m, _ := g.toSummary("2", "19:00")
	g.press(m, confirmButton("en"))
	g.wait("Waiting for the restaurant")
	bk := e.bookings()[0]
	_, err := e.desk.StaffConfirm(e.ctx, bk.ID, "staff:test")
	e.must("staff confirm", err)
	g.wait("Confirmed")

	later := bk.Start.Add(time.Hour)
	_, err = e.store.TransitionBooking(e.ctx, bk.ID, hub.Transition{To: hub.BookingConfirmed,
		Actor: "rms", At: e.clock.Now(), Start: later, End: later.Add(bk.End.Sub(bk.Start))})
	e.must("move", err)
	news := e.fake.WaitFor(t, g.chat.ID, func(msg telegramtest.Message) bool {
		return msg.ID > m.ID && strings.Contains(msg.Text, "moved your booking")
	})
	if !strings.Contains(news.Text, "20:00") {
		t.Errorf("move told in a new message as %q, want 20:00", news.Text)
	}
	edited := e.fake.WaitFor(t, g.chat.ID, func(msg telegramtest.Message) bool {
		return msg.ID == m.ID && strings.Contains(msg.Text, "moved your booking")
	})
	if !strings.Contains(edited.Text, "20:00") || !hasData(edited, "c:") {
		t.Errorf("booking message after the move %q, buttons %v", edited.Text, edited.Buttons)
	}

	e.clock.Advance(later.Add(-time.Hour).Sub(e.clock.Now()))
	cb := g.press(edited, "Cancel booking")
	if a := e.answered(cb); !strings.Contains(a, "too late to cancel") {
		t.Errorf("late cancel answered %q", a)
	}
	b, err := e.store.Booking(e.ctx, bk.ID)
	e.must("load booking", err)
	if b.State != hub.BookingConfirmed {
		t.Errorf("booking %s after a late cancel, want confirmed", b.State)
	}

	// The restaurant may still cancel; the guest is told who did, and why.
	_, err = e.desk.Cancel(e.ctx, bk.ID, "staff:test", "Closed at that time: kitchen closed")
	e.must("cancel on the dashboard", err)
	cancelled := e.fake.WaitFor(t, g.chat.ID, func(msg telegramtest.Message) bool {
		return msg.ID > news.ID &&
			strings.Contains(msg.Text, "The restaurant cancelled this booking")
	})
	if !strings.Contains(cancelled.Text, "Closed at that time: kitchen closed") {
		t.Errorf("cancel told as %q, want the restaurant's reason", cancelled.Text)
	}
	e.fake.WaitFor(t, g.chat.ID, func(msg telegramtest.Message) bool {
		return msg.ID == m.ID && strings.Contains(msg.Text, "cancelled this booking") &&
			strings.Contains(msg.Text, "kitchen closed") && len(msg.Buttons) == 0
	})
	// Once each, sweeps notwithstanding.
	time.Sleep(300 * time.Millisecond) // a quiet period, not a wait for an event
	n := 0
	for _, c := range e.fake.Calls("sendMessage") {
		if text := c.Param("text"); c.Int("chat_id") == g.chat.ID &&
			(strings.Contains(text, "moved your") || strings.Contains(text, "cancelled this")) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d new messages of the restaurant's doing, want 2 (moved, cancelled)", n)
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestTwoReplicasPostgres runs two hub replicas on one PostgreSQL store:
// one long-polls (the poller lease), both send through their queues, and
// staff confirming on the replica without a bot hook reaches the guest
// through a sweep, once.
func TestTwoReplicasPostgres(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual, postgres: true})
	r2 := e.addReplica("r2", false, false, nil)
	g := e.guest(1501, "Lena", "en")
	m, _ := g.toSummary("2", "")
	g.press(m, confirmButton("en"))
	g.wait("Waiting for the restaurant")
	bk := e.bookings()[0]
	if _, err := r2.desk.StaffConfirm(e.ctx, bk.ID, "staff:test"); err != nil {
		t.Fatalf("staff confirm on replica 2: %v", err)
	}
	if got := g.wait("Confirmed"); got.ID != m.ID {
		t.Errorf("confirmed in message %d, want %d", got.ID, m.ID)
	}
	// Let both sweeps run a few times, then count what the guest saw.
	time.Sleep(500 * time.Millisecond) // a quiet period, not a wait for an event
	told := 0
	for _, c := range e.fake.Calls("editMessageText") {
		if c.Int("chat_id") == g.chat.ID && strings.Contains(c.Param("text"), "Confirmed") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("the guest was told %d times that the booking is confirmed, want once", told)
	}
}

// TestAPIBookingPostedToStaff: a booking made through the HTTP API (not in
// Telegram) is posted to the staff chat, with the buttons of a manual
// venue, and staff confirm it there.
func TestAPIBookingPostedToStaff(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	staff := telegramtest.User{ID: 1601, FirstName: "Пётр"}
	chat := e.staffChat(staff)
	d := e.tomorrow()
	bk, err := e.desk.Hold(e.ctx, desk.Request{VenueID: venueID, Party: 2, Channel: "api",
		Start: time.Date(d.Year, d.Month, d.Day, 13, 0, 0, 0, e.zone), Name: "Website guest",
		Phone: "+79001234567"})
	e.must("hold", err)
	_, err = e.desk.Confirm(e.ctx, bk.ID, "channel:api")
	e.must("confirm", err)
	post := e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "Website guest") && hasData(m, "sc:")
	})
	e.answered(e.fake.Press(chat, staff, post.ID, hasButton(post, "sc:")))
	e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return m.ID == post.ID && strings.Contains(m.Text, "подтверждена")
	})
	b, err := e.store.Booking(e.ctx, bk.ID)
	e.must("load booking", err)
	if b.State != hub.BookingConfirmed {
		t.Errorf("booking %s, want confirmed by staff", b.State)
	}
}

// TestFlowWithinFloodLimits books under Telegram's flood limits (the
// fake's) with the send queue's real pacing: every step arrives, none is
// refused with 429.
func TestFlowWithinFloodLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("paced like Telegram: about ten seconds")
	}
	e := newEnv(t, envOptions{mode: hub.ModeManual, floodLimits: true})
	g := e.guest(1701, "Olga", "en")
	begin := time.Now()
	m, _ := g.toSummary("2", "")
	g.press(m, confirmButton("en"))
	g.wait("Waiting for the restaurant")
	t.Logf("booking flow under flood limits took %v", time.Since(begin).Round(time.Millisecond))
	for _, c := range e.fake.Calls("") {
		if c.ErrorCode == 429 {
			t.Errorf("%s refused with 429 at %v", c.Method, c.At)
		}
	}
}

// TestDailyLimit: a guest who made as many bookings today as allowed is
// told to come back tomorrow, even after cancelling them.
func TestDailyLimit(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual,
		tune: func(o *telegram.Options) { o.MaxBookingsPerDay = 1 }})
	g := e.guest(1801, "Pavel", "ru")
	m, _ := g.toSummary("2", "")
	g.press(m, confirmButton("ru"))
	e.answered(g.press(g.wait("Ждём подтверждения"), "Отменить бронь"))
	g.wait("Бронь отменена.")
	e.fake.SendText(g.chat, g.user, "/start "+venueID)
	g.wait("Броней за сегодня: 1")
}

// TestPausedVenue: a venue whose agent never connected takes no online
// bookings; the guest is told to call instead of being shown a calendar
// of nothing.
func TestPausedVenue(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeAPI})
	g := e.guest(1901, "Rita", "en")
	e.fake.SendText(g.chat, g.user, "/start "+venueID)
	g.press(g.wait("How many guests?"), "2")
	cal := e.fake.WaitFor(t, g.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "d:")
	})
	d := e.tomorrow().String()
	g.pressData(cal, "d:", d[0:4]+d[5:7]+d[8:10])
	got := g.wait("not available right now")
	if got.ID != cal.ID || len(got.Buttons) != 0 {
		t.Errorf("paused shown in message %d with buttons %v, want %d without", got.ID,
			got.Buttons, cal.ID)
	}
}

// TestStaffGroupMigrates: Telegram upgrades the staff group to a
// supergroup (a new chat id); the venue's posts follow it.
func TestStaffGroupMigrates(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual, webhook: true})
	e.eventually("the webhook to be set", func() bool {
		return len(e.fake.Calls("setWebhook")) > 0
	})
	chat := e.staffChat()
	// The fake cannot migrate a group: deliver Telegram's service message
	// to the webhook as Telegram would.
	update := fmt.Sprintf(`{"update_id":900001,"message":{"message_id":77,"date":%d,`+
		`"chat":{"id":%d,"type":"group","title":"staff"},"migrate_to_chat_id":-1009001}}`,
		time.Now().Unix(), chat.ID)
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.url+"/telegram/webhook",
		strings.NewReader(update))
	e.must("request", err)
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "hook-secret")
	resp, err := http.DefaultClient.Do(req)
	e.must("post", err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("migration update: status %d", resp.StatusCode)
	}
	e.eventually("the staff chat to move", func() bool {
		id, err := e.store.StaffChat(e.ctx, venueID)
		return err == nil && id == -1009001
	})
}

// TestTillTaskPostedToStaff: a cancellation the RMS did not take (Poster
// has no cancel call) reaches the staff as a task, once: a notice on the
// dashboard and a post naming the RMS's reservation and table, with a
// button only the staff chat's members may press. Pressing it marks the
// task done; a forged press does nothing.
func TestTillTaskPostedToStaff(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	staff := telegramtest.User{ID: 1701, FirstName: "Пётр"}
	outsider := telegramtest.User{ID: 1702, FirstName: "Чужой"}
	chat := e.staffChat(staff)
	d := e.tomorrow()
	hold := func(name string, hour int) hub.Booking {
		bk, err := e.desk.Hold(e.ctx, desk.Request{VenueID: venueID, Party: 2, Channel: "api",
			Start: time.Date(d.Year, d.Month, d.Day, hour, 0, 0, 0, e.zone), Name: name,
			Phone: "+79001234567"})
		e.must("hold", err)
		return bk
	}
	bk, other := hold("Poster guest", 13), hold("Other guest", 15)
	bk, err := e.store.TransitionBooking(e.ctx, bk.ID, hub.Transition{To: hub.BookingCancelled,
		Actor: "guest:test", At: e.clock.Now(), ReservationID: "P-4411"})
	e.must("cancel", err)
	tables, err := e.store.Tables(e.ctx, venueID)
	e.must("tables", err)
	number := ""
	for _, tb := range tables {
		if len(bk.TableIDs) > 0 && tb.ID == bk.TableIDs[0] {
			number = tb.Number
		}
	}
	for range 2 {
		e.bot.TillTask(e.ctx, bk, "cancel it on the Poster terminal")
	}
	post := e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "отмените на кассе резерв P-4411 (стол "+number+")") &&
			strings.Contains(m.Text, bk.ID) && strings.Contains(m.Text, "Poster terminal")
	})
	if number == "" || !hasData(post, "tt:"+bk.ID) {
		t.Fatalf("till task %q with buttons %v, want table %q and a done button", post.Text,
			post.Buttons, number)
	}
	n := 0
	for _, m := range e.fake.Messages(chat.ID) {
		if strings.Contains(m.Text, "отмените на кассе") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d till tasks posted, want 1", n)
	}
	open := func() []hub.Notice {
		list, err := e.store.VenueNotices(e.ctx, venueID)
		e.must("venue notices", err)
		return list
	}
	if list := open(); len(list) != 1 || list[0].Kind != hub.NoticeTillTask ||
		list[0].BookingID != bk.ID || !strings.Contains(list[0].Comment, "P-4411") {
		t.Fatalf("notices %+v, want the till task of %s", list, bk.ID)
	}

	cat, err := telegram.LoadCatalog()
	e.must("catalogue", err)
	// Someone outside the staff chat; then a member pressing data the bot
	// never posted (another booking, which has no till task).
	if a := e.answered(e.fake.Press(chat, outsider, post.ID, "tt:"+bk.ID)); a !=
		cat.T("ru", "cb.staff_only") {
		t.Errorf("an outsider's press answered %q", a)
	}
	if a := e.answered(e.fake.PressRaw(chat, staff, post.ID, "tt:"+other.ID)); a !=
		cat.T("ru", "cb.stale") {
		t.Errorf("a forged press answered %q", a)
	}
	if list := open(); len(list) != 1 {
		t.Fatalf("notices after refused presses %+v, want the till task still open", list)
	}

	if a := e.answered(e.fake.Press(chat, staff, post.ID, "tt:"+bk.ID)); !strings.Contains(a,
		"Пётр") {
		t.Errorf("the staff's press answered %q", a)
	}
	if list := open(); len(list) != 0 {
		t.Errorf("notices after the task was done %+v, want none", list)
	}
	e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return m.ID == post.ID && strings.Contains(m.Text, "отменён на кассе") &&
			strings.Contains(m.Text, "Пётр") && len(m.Buttons) == 0
	})
	if a := e.answered(e.fake.PressRaw(chat, staff, post.ID, "tt:"+bk.ID)); a !=
		cat.T("ru", "cb.stale") {
		t.Errorf("a second press answered %q", a)
	}
}
