package telegram_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// addVenues creates n venues named prefix 1…n in chain.
func (e *env) addVenues(prefix, chain string, n int) {
	e.t.Helper()
	for i := 1; i <= n; i++ {
		e.must("create venue", e.store.CreateVenue(e.ctx, hub.Venue{
			ID: fmt.Sprintf("ven_%s_%02d", strings.ToLower(prefix), i), Chain: chain,
			Name: fmt.Sprintf("%s %d", prefix, i), TimeZone: "Europe/Moscow",
			Mode: hub.ModeManual, Policy: policy(), CreatedAt: time.Now()}))
	}
}

// venueButtons are the labels of a chooser's venue buttons, and whether
// it has the next and previous page buttons.
func venueButtons(m telegramtest.Message) (names []string, next, prev bool) {
	for _, row := range m.Buttons {
		for _, b := range row {
			switch {
			case strings.HasPrefix(b.Data, "v:"):
				names = append(names, b.Text)
			case strings.HasPrefix(b.Data, "vp:") && b.Text == "More »":
				next = true
			case strings.HasPrefix(b.Data, "vp:"):
				prev = true
			}
		}
	}
	return names, next, prev
}

// chooser reads every page of the chooser in m, pressing More, and returns
// the venues it offered.
func (g *guest) chooser(m telegramtest.Message) []string {
	g.e.t.Helper()
	var all []string
	for page := 1; ; page++ {
		names, next, prev := venueButtons(m)
		if len(names) == 0 || len(names) > 8 {
			g.e.t.Fatalf("chooser page %d lists %d venues, want 1 to 8: %q", page, len(names),
				m.Text)
		}
		if prev != (page > 1) {
			g.e.t.Errorf("chooser page %d: back button %v", page, prev)
		}
		all = append(all, names...)
		if !next {
			return all
		}
		g.press(m, "More »")
		want := fmt.Sprintf("Page %d of", page+1)
		m = g.e.fake.WaitFor(g.e.t, g.chat.ID, func(m telegramtest.Message) bool {
			return strings.Contains(m.Text, want)
		})
	}
}

// TestChainChooser: a chain's link offers its venues, 8 to a page and
// every one of them; plain /start asks for a restaurant's link and lists
// every venue; a chain of one venue needs no chooser.
func TestChainChooser(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.addVenues("Grill", "grill", 11)
	e.addVenues("Solo", "solo", 1)
	e.addVenues("Other", "", 2)
	g := e.guest(1801, "Ivan", "en")

	e.fake.SendText(g.chat, g.user, "/start "+telegram.ChainLink("grill"))
	m := g.wait("Which of our restaurants")
	if !strings.Contains(m.Text, "Page 1 of 2") {
		t.Errorf("chain chooser %q, want page 1 of 2", m.Text)
	}
	got := g.chooser(m)
	var want []string
	for i := 1; i <= 11; i++ {
		want = append(want, fmt.Sprintf("Grill %d", i))
	}
	if !slices.Equal(got, want) {
		t.Errorf("chain chooser offered %q, want %q", got, want)
	}
	m = e.fake.Last(g.chat.ID)
	g.press(m, "Grill 10")
	g.wait("Grill 10\nHow many guests?")

	// Plain /start: every venue of the hub (15), paged, after asking
	// for the restaurant's link.
	e.fake.SendText(g.chat, g.user, "/start")
	m = g.wait("Open the link of the restaurant")
	if got := g.chooser(m); len(got) != 15 || !slices.Contains(got, "Пушкин") ||
		!slices.Contains(got, "Other 2") {
		t.Errorf("plain /start offered %d venues %q, want all 15", len(got), got)
	}
	// A stale page button of the older chooser is refused.
	e.fake.SendText(g.chat, g.user, "/start "+telegram.ChainLink("solo"))
	g.wait("Solo 1\nHow many guests?")
	more := m.Buttons[len(m.Buttons)-1][0].Data // page 1's More, now stale
	if a := e.answered(e.fake.PressRaw(g.chat, g.user, m.ID, more)); !strings.Contains(a,
		"out of date") {
		t.Errorf("a stale page button answered %q, want out of date", a)
	}

	e.fake.SendText(g.chat, g.user, "/start c_nosuch")
	m = g.wait("does not name a restaurant chain")
	if names, _, _ := venueButtons(m); len(names) != 8 {
		t.Errorf("unknown chain's chooser lists %d venues, want a first page of 8", len(names))
	}
}
