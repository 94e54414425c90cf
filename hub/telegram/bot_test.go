package telegram_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestBookConfirmedAndCancel books through the whole flow against a real
// agent on the sim connector: the summary message turns into "waiting for
// the restaurant", then "confirmed" once the RMS wrote the reservation;
// then the guest cancels.
func TestBookConfirmedAndCancel(t *testing.T) {
	e := newEnv(t, envOptions{sim: true})
	chat := e.staffChat()
	g := e.guest(501, "Анна", "ru")
	m, _ := g.toSummary("2", "")
	if !strings.Contains(m.Text, "+79001234567") || !strings.Contains(m.Text, "Анна") {
		t.Errorf("summary %q lacks the name or phone", m.Text)
	}
	g.press(m, confirmButton("ru"))
	got := g.wait("Бронь подтверждена")
	if got.ID != m.ID {
		t.Errorf("confirmed in message %d, want the summary's %d", got.ID, m.ID)
	}
	waited := false
	for _, c := range e.fake.Calls("editMessageText") {
		waited = waited || strings.Contains(c.Param("text"), "Ждём подтверждения ресторана")
	}
	if !waited {
		t.Error("the guest was never shown that the booking waits for the restaurant")
	}
	list := e.bookings()
	if len(list) != 1 || list[0].State != hub.BookingConfirmed || list[0].ReservationID == "" {
		t.Fatalf("bookings %+v, want one confirmed with a reservation", list)
	}
	if list[0].Phone != "+79001234567" || list[0].Channel != telegram.ChannelTelegram {
		t.Errorf("booking phone %q channel %q", list[0].Phone, list[0].Channel)
	}

	cb := g.press(got, "Отменить бронь")
	if a := e.answered(cb); a != "Отменено." {
		t.Errorf("cancel answered %q, want Отменено.", a)
	}
	got = g.wait("Бронь отменена.")
	if got.ID != m.ID || len(got.Buttons) != 0 {
		t.Errorf("cancelled message %d with buttons %v, want %d without", got.ID, got.Buttons,
			m.ID)
	}
	b, err := e.store.Booking(e.ctx, list[0].ID)
	e.must("load booking", err)
	if b.State != hub.BookingCancelled {
		t.Errorf("booking %s, want cancelled", b.State)
	}
	e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "Гость отменил бронь "+b.ID)
	})
}

// TestRefusedPicksAlternative has the RMS refuse a booking (the sim
// refuses every second request): the guest sees the refusal with other
// times in the same message, picks one, and it is confirmed.
func TestRefusedPicksAlternative(t *testing.T) {
	e := newEnv(t, envOptions{sim: true, refuseEvery: 2})
	chat := e.staffChat()
	first := e.guest(601, "Boris", "en")
	m, _ := first.toSummary("2", "")
	first.press(m, confirmButton("en"))
	first.wait("Confirmed")

	g := e.guest(602, "Vera", "en")
	m, _ = g.toSummary("2", "")
	g.press(m, confirmButton("en"))
	refused := g.wait("could not confirm")
	if refused.ID != m.ID || !hasData(refused, "a:") {
		t.Fatalf("refusal in message %d with buttons %v, want %d with alternatives",
			refused.ID, refused.Buttons, m.ID)
	}
	_, cb := g.pressWhere(refused, "a:")
	e.answered(cb)
	got := g.wait("Confirmed")
	if got.ID != m.ID {
		t.Errorf("alternative confirmed in message %d, want %d", got.ID, m.ID)
	}
	states := map[hub.BookingState]int{}
	for _, b := range e.bookings() {
		states[b.State]++
	}
	if states[hub.BookingDeclined] != 1 || states[hub.BookingConfirmed] != 2 {
		t.Errorf("booking states %v, want 1 declined and 2 confirmed", states)
	}
	// The staff chat hears of the refusal; the RMS writes bookings itself,
	// so posts carry no confirm buttons.
	alert := e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "не удалось записать") && strings.Contains(m.Text, "Vera")
	})
	// It says what the RMS said, not the state's name.
	for _, b := range e.bookings() {
		if b.State == hub.BookingDeclined && (b.Reason == "" ||
			!strings.Contains(alert.Text, b.Reason) || strings.Contains(alert.Text, "отклонена")) {
			t.Errorf("staff alert %q, want the RMS's reason %q", alert.Text, b.Reason)
		}
	}
	for _, m := range e.fake.Messages(chat.ID) {
		if hasData(m, "sc:") {
			t.Errorf("staff post %q has confirm buttons in api mode", m.Text)
		}
	}
}

// staffChat links a staff group to the venue with a one-time code.
func (e *env) staffChat(members ...telegramtest.User) telegramtest.Chat {
	e.t.Helper()
	code, link := telegram.NewStaffLink(venueID, e.clock.Now(), time.Hour)
	e.must("create staff link", e.store.CreateStaffLink(e.ctx, link))
	chat := telegramtest.GroupChat(-1001, "Пушкин staff")
	admin := telegramtest.User{ID: 900, FirstName: "Ольга"}
	for _, u := range append(members, admin) {
		e.fake.SetMember(chat, u, telegramtest.MemberAdministrator)
	}
	e.fake.SendText(chat, admin, "/link "+code)
	e.fake.WaitFor(e.t, chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "получает брони Пушкин")
	})
	return chat
}

// TestStaffConfirmAndReminder is a manual venue: the booking waits for
// staff, whose post has confirm and decline buttons that only members of
// the linked chat may press; the guest is then reminded before the visit
// and says they are running late.
func TestStaffConfirmAndReminder(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	staff := telegramtest.User{ID: 901, FirstName: "Игорь"}
	chat := e.staffChat(staff)
	g := e.guest(701, "Анна", "ru")
	m, at := g.toSummary("3", "20:00")
	g.press(m, confirmButton("ru"))
	g.wait("Ждём подтверждения ресторана")

	post := e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "Новая бронь") && hasData(m, "sc:")
	})
	if !strings.Contains(post.Text, "+79001234567") || !strings.Contains(post.Text, at) {
		t.Errorf("staff post %q lacks the phone or time %s", post.Text, at)
	}
	stranger := telegramtest.User{ID: 902, FirstName: "Чужой"}
	data := post.Buttons[0][0].Data
	cb := e.fake.Press(chat, stranger, post.ID, data)
	if a := e.answered(cb); !strings.Contains(a, "только сотрудники") {
		t.Errorf("a non-member's press answered %q, want a refusal", a)
	}
	// The same button data pressed from the guest's own chat.
	cb = e.fake.PressRaw(g.chat, g.user, m.ID, data)
	if a := e.answered(cb); !strings.Contains(a, "только сотрудники") {
		t.Errorf("a staff button outside the staff chat answered %q, want a refusal", a)
	}
	if b := e.bookings()[0]; b.State != hub.BookingRequested {
		t.Fatalf("booking %s after refused presses, want requested", b.State)
	}

	cb = e.fake.Press(chat, staff, post.ID, data)
	if a := e.answered(cb); !strings.Contains(a, "Игорь") {
		t.Errorf("staff confirm answered %q", a)
	}
	got := g.wait("Бронь подтверждена")
	if got.ID != m.ID {
		t.Errorf("confirmed in message %d, want %d", got.ID, m.ID)
	}
	e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return m.ID == post.ID && strings.Contains(m.Text, "подтверждена") && !hasData(m, "sc:")
	})

	// Three hours before the start the guest is reminded.
	b := e.bookings()[0]
	e.clock.Advance(b.Start.Add(-telegram.DefaultReminderBefore).Sub(e.clock.Now()) +
		time.Second)
	rem := g.wait("Напоминаем")
	if !strings.Contains(rem.Text, at) {
		t.Errorf("reminder %q lacks the time %s", rem.Text, at)
	}
	if a := e.answered(g.press(rem, "👍 Приду")); a != "Спасибо! Ресторан вас ждёт." {
		t.Errorf("coming answered %q", a)
	}
	rem = g.wait("Ресторан вас ждёт")
	if hasData(rem, "m:") || !hasData(rem, "l:") {
		t.Errorf("reminder after 'coming' has buttons %v, want late and cancel", rem.Buttons)
	}
	if a := e.answered(g.press(rem, "⏰ Опаздываю")); !strings.Contains(a, "опаздываете") {
		t.Errorf("late answered %q", a)
	}
	e.fake.WaitFor(t, chat.ID, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, "опаздывает")
	})
	// The dashboard shows it too.
	notices, err := e.store.VenueNotices(e.ctx, venueID)
	e.must("venue notices", err)
	if len(notices) != 1 || notices[0].Kind != hub.NoticeLate || notices[0].BookingID != b.ID {
		t.Errorf("notices = %+v, want the late guest of %s", notices, b.ID)
	}
}

// TestForgedAndStaleCallbacks sends buttons the bot never made, another
// guest's booking button and an old flow's button: each gets a polite
// refusal and changes nothing.
func TestForgedAndStaleCallbacks(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	g := e.guest(801, "Denis", "en")
	m, _ := g.toSummary("2", "")
	g.press(m, confirmButton("en"))
	state := g.wait("Waiting for the restaurant")
	bk := e.bookings()[0]

	for _, data := range []string{"zz:1:2", "c", "p:x:1:2:3", strings.Repeat("c:", 40),
		"c:bkg_unknown"} {
		cb := e.fake.PressRaw(g.chat, g.user, state.ID, data)
		if a := e.answered(cb); a != "This button is not valid." {
			t.Errorf("forged %q answered %q", data, a)
		}
	}
	other := e.guest(802, "Eve", "en")
	cb := e.fake.PressRaw(other.chat, other.user, 1, "c:"+bk.ID)
	if a := e.answered(cb); a != "This button is not valid." {
		t.Errorf("another guest's cancel answered %q", a)
	}
	// The finished flow's confirm button, pressed again, is stale.
	cb = e.fake.PressRaw(g.chat, g.user, m.ID, "ok:"+strings.Split(hasButton(m, "ok:"), ":")[1])
	if a := e.answered(cb); !strings.Contains(a, "out of date") {
		t.Errorf("a stale confirm answered %q", a)
	}
	if n := len(e.bookings()); n != 1 {
		t.Errorf("%d bookings after forged presses, want 1", n)
	}
	b, err := e.store.Booking(e.ctx, bk.ID)
	e.must("load booking", err)
	if b.State != hub.BookingRequested {
		t.Errorf("booking %s after forged presses, want requested", b.State)
	}

	// A change another replica makes (no hook here) reaches the guest
	// through the sweep.
	_, err = e.store.TransitionBooking(e.ctx, bk.ID, hub.Transition{To: hub.BookingDeclined,
		Actor: "staff:phone", Reason: "no tables", At: e.clock.Now()})
	e.must("decline", err)
	if got := g.wait("could not confirm"); got.ID != m.ID {
		t.Errorf("decline told in message %d, want %d", got.ID, m.ID)
	}
}

// hasButton returns the data of the first button whose data starts with
// prefix.
func hasButton(m telegramtest.Message, prefix string) string {
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, prefix) {
				return b.Data
			}
		}
	}
	return ""
}

// TestRaceForTheLastTable has two guests confirm the same time while one
// table is left: one waits for the restaurant, the other is told the time
// was just taken and offered others, one of which they book.
func TestRaceForTheLastTable(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	a, b := e.guest(1001, "Alice", "en"), e.guest(1002, "Bob", "en")
	ma, at := a.toSummary("4", "20:00")
	mb, _ := b.toSummary("4", "20:00")

	// Staff take one of the two tables meanwhile.
	d := e.tomorrow()
	start := time.Date(d.Year, d.Month, d.Day, 20, 0, 0, 0, e.zone)
	_, err := e.desk.Hold(e.ctx, desk.Request{VenueID: venueID, Start: start, Party: 4,
		Channel: desk.ChannelStaff, Name: "phone", TableIDs: []string{"t2"}})
	e.must("staff hold", err)

	var wg sync.WaitGroup
	for _, p := range []struct {
		g *guest
		m telegramtest.Message
	}{{a, ma}, {b, mb}} {
		wg.Add(1)
		cb := p.g.press(p.m, confirmButton("en"))
		go func() { defer wg.Done(); e.answered(cb) }()
	}
	wg.Wait()
	won, lost := 0, (*guest)(nil)
	for _, g := range []*guest{a, b} {
		m := e.fake.WaitFor(t, g.chat.ID, func(m telegramtest.Message) bool {
			return strings.Contains(m.Text, "Waiting for the restaurant") ||
				strings.Contains(m.Text, "just taken")
		})
		if strings.Contains(m.Text, "Waiting") {
			won++
		} else {
			lost = g
		}
	}
	if won != 1 || lost == nil {
		t.Fatalf("%d guests won the last table at %s, want exactly 1", won, at)
	}
	m := lost.wait("just taken")
	text, _ := lost.pressWhere(m, "t:")
	sum := lost.e.fake.WaitFor(t, lost.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "ok:")
	})
	if !strings.Contains(sum.Text, text) {
		t.Errorf("summary %q does not show the alternative %s", sum.Text, text)
	}
	lost.press(sum, confirmButton("en"))
	lost.wait("Waiting for the restaurant")
	active := 0
	for _, bk := range e.bookings() {
		if bk.Channel == telegram.ChannelTelegram && bk.State.Active() {
			active++
		}
	}
	if active != 2 {
		t.Errorf("%d active guest bookings, want 2", active)
	}
}

// TestWebhook books with updates delivered to the hub's own webhook
// handler, which refuses a request without the secret.
func TestWebhook(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual, webhook: true})
	e.eventually("the webhook to be set", func() bool {
		return len(e.fake.Calls("setWebhook")) > 0
	})
	g := e.guest(1101, "Fiona", "en")
	m, _ := g.toSummary("2", "")
	g.press(m, confirmButton("en"))
	g.wait("Waiting for the restaurant")

	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost,
		e.url+"/telegram/webhook", strings.NewReader(`{"update_id":1}`))
	e.must("request", err)
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "wrong")
	resp, err := http.DefaultClient.Do(req)
	e.must("post", err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d, want 401", resp.StatusCode)
	}
	if n := len(e.fake.Calls("getUpdates")); n != 0 {
		t.Errorf("%d getUpdates calls with a webhook, want 0", n)
	}
}

// TestUnreachableAPI keeps trying a Bot API that does not answer, both
// the bot (getMe) and the send queue (a queued message retried), without
// the token in the log or in the message's stored error.
func TestUnreachableAPI(t *testing.T) {
	logged, log := newLogs(t)
	store, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	d := desk.New(store, nil, desk.Options{})
	queue := sendqueue.New(store, &sendqueue.BotAPI{URL: "http://127.0.0.1:1", Token: token},
		sendqueue.Options{Logger: log, Holder: "r1", Poll: 20 * time.Millisecond})
	b, err := telegram.New(telegram.Options{Token: token, APIURL: "http://127.0.0.1:1",
		Store: store, Desk: d, Queue: queue, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := queue.Enqueue(ctx, sendqueue.Message{Key: "unreachable", ChatID: 42,
		Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := queue.Run(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("queue Run = %v", err)
		}
	})
	if err := b.Run(ctx); err != nil {
		t.Errorf("Run = %v, want nil when stopped while retrying", err)
	}
	wg.Wait()
	text := logged.String()
	if !strings.Contains(text, "unreachable; retrying") || !strings.Contains(text, "<token>") {
		t.Errorf("log %q, want the bot's retries with the token redacted", text)
	}
	if strings.Count(text, "telegram call failed; will retry") < 2 ||
		!strings.Contains(text, "connection refused") {
		t.Errorf("log %q, want the send queue's retries, saying why", text)
	}
	m, err := store.Outgoing(context.Background(), "unreachable")
	if err != nil {
		t.Fatal(err)
	}
	if m.State != hub.OutgoingPending || m.Error == "" || strings.Contains(m.Error, token) {
		t.Errorf("queued message %s with error %q, want pending, its error without the token",
			m.State, m.Error)
	}
	logged.secrets()
}
