package telegram_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestNoticesWithoutStaffChat: a venue that linked no staff chat still
// hears of a guest running late (once, however often the button is
// pressed) and of a large party's request: both wait in the store as
// staff notices for its dashboard, with the guest's first name only.
func TestNoticesWithoutStaffChat(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	g := e.guest(1301, "Анна", "ru")
	m, _ := g.toSummary("3", "")
	g.press(m, confirmButton("ru"))
	g.wait("Ждём подтверждения ресторана")
	bk := e.bookings()[0]
	_, err := e.desk.StaffConfirm(e.ctx, bk.ID, "staff:dashboard")
	e.must("staff confirm", err)
	g.wait("Бронь подтверждена")

	e.clock.Advance(bk.Start.Add(-telegram.DefaultReminderBefore).Sub(e.clock.Now()) +
		time.Second)
	rem := g.wait("Напоминаем")
	for range 2 {
		if a := e.answered(g.press(rem, "⏰ Опаздываю")); !strings.Contains(a, "опаздываете") {
			t.Errorf("late answered %q", a)
		}
	}
	notices, err := e.store.VenueNotices(e.ctx, venueID)
	e.must("venue notices", err)
	if len(notices) != 1 {
		t.Fatalf("notices after two late presses = %+v, want one", notices)
	}
	late := notices[0]
	if late.ID != "late/"+bk.ID || late.Kind != hub.NoticeLate || late.BookingID != bk.ID ||
		late.GuestName != "Анна" || late.Party != 3 || !late.Wanted.Equal(bk.Start) ||
		!late.Open() {
		t.Errorf("late notice = %+v, want booking %s for Анна, 3 guests at %v", late, bk.ID,
			bk.Start)
	}

	// The venue books parties of up to 4 online; a party of 6 asks staff.
	v, err := e.store.Venue(e.ctx, venueID)
	e.must("read venue", err)
	v.Policy.MaxOnlineParty = 4
	e.must("update venue", e.store.UpdateVenue(e.ctx, v))
	h := e.guest(1302, "Hanna", "en")
	e.fake.SendText(h.chat, h.user, "/start "+venueID)
	h.press(h.wait("How many guests?"), "6")
	m = e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "d:")
	})
	day := e.tomorrow().String()
	h.pressData(m, "d:", day[0:4]+day[5:7]+day[8:10])
	h.wait("What name shall I give the restaurant?")
	e.fake.SendText(h.chat, h.user, "Hanna Schmidt")
	e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
		return len(m.Keyboard) > 0
	})
	e.fake.SendText(h.chat, h.user, "8 900 765-43-21")
	h.wait("Any wishes")
	e.fake.SendText(h.chat, h.user, "a long table please")
	h.press(h.wait("Request for a large party"), "📨 Send the request")
	h.wait("Your request was sent to Пушкин")

	notices, err = e.store.VenueNotices(e.ctx, venueID)
	e.must("venue notices", err)
	if len(notices) != 2 {
		t.Fatalf("notices after the large party's request = %+v, want two", notices)
	}
	large := notices[1]
	wanted := e.tomorrow().Start(e.zone)
	if large.Kind != hub.NoticeLargeParty || large.BookingID != "" ||
		large.GuestName != "Hanna" || large.Party != 6 || !large.Wanted.Equal(wanted) ||
		large.Phone != "+79007654321" || large.Comment != "a long table please" ||
		!strings.HasPrefix(large.ID, "large/") {
		t.Errorf("large party notice = %+v, want Hanna, 6 guests on %v, her phone "+
			"to call back and her wish", large, wanted)
	}
	if n := len(e.bookings()); n != 1 {
		t.Errorf("%d bookings, want 1 (a request is not a booking)", n)
	}
}
