package telegram_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestStaffMoveToldToTheGuest: staff moving a confirmed booking on the
// dashboard (desk.Move) reaches the guest through the desk's change hook,
// as a new message with the new time, without the hub's own words passed
// off as the restaurant's.
func TestStaffMoveToldToTheGuest(t *testing.T) {
	e := newEnv(t, envOptions{mode: hub.ModeManual})
	g := e.guest(1402, "Lena", "en")
	m, _ := g.toSummary("2", "19:00")
	g.press(m, confirmButton("en"))
	g.wait("Waiting for the restaurant")
	bk := e.bookings()[0]
	_, err := e.desk.StaffConfirm(e.ctx, bk.ID, "staff:test")
	e.must("staff confirm", err)
	g.wait("Confirmed")

	moved, sent, err := e.desk.Move(e.ctx, bk.ID, "staff:test", bk.Start.Add(90*time.Minute), nil)
	e.must("move", err)
	if sent || !moved.Start.Equal(bk.Start.Add(90*time.Minute)) {
		t.Fatalf("move: sent %v, start %v", sent, moved.Start)
	}
	news := e.fake.WaitFor(t, g.chat.ID, func(msg telegramtest.Message) bool {
		return msg.ID > m.ID && strings.Contains(msg.Text, "moved your booking")
	})
	if !strings.Contains(news.Text, "20:30") {
		t.Errorf("move told as %q, want 20:30", news.Text)
	}
	if strings.Contains(news.Text, "The restaurant says") {
		t.Errorf("move told with the hub's words as the restaurant's: %q", news.Text)
	}
}
