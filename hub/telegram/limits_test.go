package telegram_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// alternatives returns the callback data of a message's alternative-time
// buttons.
func alternatives(m telegramtest.Message) []string {
	var out []string
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, "a:") {
				out = append(out, b.Data)
			}
		}
	}
	return out
}

// TestAlternativeChecked: picking another time for a declined booking
// takes only a time the hub offers, makes one booking per declined one
// however often (or with whatever time) it is pressed, and keeps the
// guest's daily limit.
func TestAlternativeChecked(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual,
		tune: func(o *telegram.Options) { o.MaxBookingsPerDay = 2 }})
	g := e.guest(2101, "Zoya", "en")
	m, _ := g.toSummary("2", "")
	g.press(m, confirmButton("en"))
	g.wait("Waiting for the restaurant")
	first := e.bookings()[0]
	_, err := e.desk.Decline(e.ctx, first.ID, "staff:test", "no tables")
	e.must("decline", err)
	refused := g.wait("could not confirm")
	alts := alternatives(refused)
	if len(alts) < 2 {
		t.Fatalf("refusal offers %v, want at least two other times", alts)
	}

	// A time the hub does not offer (seven minutes past the hour).
	forged := "a:" + first.ID + ":" + strconv.FormatInt(first.Start.Unix()+7*60, 10)
	if a := e.answered(e.fake.PressRaw(g.chat, g.user, refused.ID, forged)); !strings.Contains(a,
		"just taken") {
		t.Errorf("a time not offered answered %q", a)
	}
	if n := len(e.bookings()); n != 1 {
		t.Fatalf("%d bookings after a forged time, want 1", n)
	}

	e.answered(e.fake.Press(g.chat, g.user, refused.ID, alts[0]))
	g.wait("Waiting for the restaurant")
	if n := len(e.bookings()); n != 2 {
		t.Fatalf("%d bookings after picking an alternative, want 2", n)
	}
	// Another offered time of the same declined booking: no third booking.
	if a := e.answered(e.fake.PressRaw(g.chat, g.user, refused.ID, alts[1])); !strings.Contains(a,
		"out of date") {
		t.Errorf("a second alternative answered %q, want out of date", a)
	}
	if n := len(e.bookings()); n != 2 {
		t.Fatalf("%d bookings after a second alternative, want 2", n)
	}

	// The alternative is declined too: its own alternatives are offered,
	// but the guest made two bookings today, the most allowed.
	var second hub.Booking
	for _, b := range e.bookings() {
		if b.ID != first.ID {
			second = b
		}
	}
	_, err = e.desk.Decline(e.ctx, second.ID, "staff:test", "no tables")
	e.must("decline the alternative", err)
	again := e.fake.WaitFor(t, g.chat.ID, func(m telegramtest.Message) bool {
		return hasData(m, "a:"+second.ID+":")
	})
	_, cb := g.pressWhere(again, "a:"+second.ID+":")
	if a := e.answered(cb); !strings.Contains(a, "Bookings made today: 2") {
		t.Errorf("an alternative over the daily limit answered %q", a)
	}
	if n := len(e.bookings()); n != 2 {
		t.Errorf("%d bookings after the daily limit, want 2", n)
	}
}

// TestLargeRequestsLimited: a guest's third large-party request in a day
// is refused; two reach the staff.
func TestLargeRequestsLimited(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	h := e.guest(2201, "Yana", "en")
	for i := range 3 {
		e.fake.SendText(h.chat, h.user, "/start "+venueID)
		start := e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
			return strings.Contains(m.Text, "How many guests?") && hasData(m, "p:")
		})
		h.press(start, "More than 8")
		h.press(e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
			return m.ID >= start.ID && strings.Contains(m.Text, "a party of more than 8")
		}), "Yana")
		e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
			return m.ID > start.ID && len(m.Keyboard) > 0
		})
		e.fake.SendText(h.chat, h.user, "8 900 765-43-21")
		wish := e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
			return m.ID >= start.ID && strings.Contains(m.Text, "Any wishes")
		})
		e.fake.SendText(h.chat, h.user, "request "+strconv.Itoa(i))
		sum := e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
			return m.ID >= wish.ID && strings.Contains(m.Text, "Request for a large party")
		})
		h.press(sum, "📨 Send the request")
		want := "Your request was sent"
		if i == 2 {
			want = "Large-party requests made today: 2"
		}
		e.fake.WaitFor(t, h.chat.ID, func(m telegramtest.Message) bool {
			return m.ID == sum.ID && strings.Contains(m.Text, want)
		})
	}
	notices, err := e.store.VenueNotices(e.ctx, venueID)
	e.must("venue notices", err)
	if len(notices) != 2 {
		t.Errorf("%d large-party notices, want 2", len(notices))
	}
}

// TestExpiredOffersAlternatives: a booking the restaurant left unanswered
// expires; the guest is offered other times, as after a refusal, and
// picks one. The staff chat hears why it expired.
func TestExpiredOffersAlternatives(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	chat := e.staffChat()
	g := e.guest(2301, "Xenia", "en")
	m, _ := g.toSummary("2", "")
	g.press(m, confirmButton("en"))
	g.wait("Waiting for the restaurant")
	e.clock.Advance(11 * time.Minute)
	expired := e.fake.WaitFor(t, g.chat.ID, func(msg telegramtest.Message) bool {
		return msg.ID == m.ID && strings.Contains(msg.Text, "did not answer in time")
	})
	if !hasData(expired, "a:") || !strings.Contains(expired.Text, "Free times nearby") {
		t.Fatalf("expired booking shown as %q with buttons %v, want other times",
			expired.Text, expired.Buttons)
	}
	e.answered(g.pressData(expired, "a:", alternatives(expired)[0][strings.LastIndex(
		alternatives(expired)[0], ":")+1:]))
	e.fake.WaitFor(t, g.chat.ID, func(msg telegramtest.Message) bool {
		return msg.ID == m.ID && strings.Contains(msg.Text, "Waiting for the restaurant")
	})
	states := map[hub.BookingState]int{}
	var old hub.Booking
	for _, b := range e.bookings() {
		states[b.State]++
		if b.State == hub.BookingExpired {
			old = b
		}
	}
	if states[hub.BookingExpired] != 1 || states[hub.BookingRequested] != 1 {
		t.Fatalf("booking states %v, want 1 expired and 1 requested", states)
	}
	alert := e.fake.WaitFor(t, chat.ID, func(msg telegramtest.Message) bool {
		return strings.Contains(msg.Text, "не удалось записать") &&
			strings.Contains(msg.Text, old.ID)
	})
	if old.Reason == "" || !strings.Contains(alert.Text, old.Reason) ||
		strings.Contains(alert.Text, ": истекла") {
		t.Errorf("staff alert %q, want the booking's reason %q", alert.Text, old.Reason)
	}
}

// TestPhoneLike: the log check finds the phone numbers the tests use,
// however written, and not the other numbers a log holds.
func TestPhoneLike(t *testing.T) {
	for _, s := range []string{"phone=+79001234567", "8 900 765-43-21", "+7 900 123-45-67",
		"msg=\"79161234567\"", "89007654321"} {
		if !phoneLike.MatchString(s) {
			t.Errorf("%q not seen as a phone number", s)
		}
	}
	for _, s := range []string{"at=1796454000", "chat=2101 user=-1001", "update=900001",
		"booking=bkg_8w4bcqxqk87ng9n3", "retry_after=250ms"} {
		if phoneLike.MatchString(s) {
			t.Errorf("%q seen as a phone number", s)
		}
	}
}
