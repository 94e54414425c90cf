package iiko_test

import (
	"testing"
	"time"

	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

// A reserve as far ahead as the hub lets guests book (30 days) is read
// with the default window.
func TestDefaultWindowCoversHubHorizon(t *testing.T) {
	clk := newClock()
	f := newFake(t, iikotest.Options{Now: clk.Now})
	cfg := config(f)
	cfg.Now = clk.Now
	c := newConnector(t, cfg)
	table := f.Tables()[0]
	far := f.AddReservation(wire.Reservation{TableIDs: []string{table},
		Start: clk.Now().Add(30*24*time.Hour - time.Minute), Duration: wire.Duration(2 * time.Hour),
		Guests: 2, Name: "Гость", Phone: "+79990001122"})
	st := snap(t, c)
	for _, r := range st.Reservations {
		if r.ID == far {
			return
		}
	}
	t.Errorf("a reserve 30 days ahead is missing from %d reservations read", len(st.Reservations))
}

// A disabled terminal group is never auto-picked: with one enabled group,
// that one is used even when the organization has disabled ones.
func TestAutoPickSkipsDisabledGroups(t *testing.T) {
	f := newFake(t, iikotest.Options{DisabledGroup: true})
	c := newConnector(t, config(f))
	snap(t, c)
	if got := f.LastRequest("reserve/restaurant_sections_workload"); got == nil {
		t.Fatal("no workload read")
	}
	tgs, _ := f.LastRequest("reserve/available_restaurant_sections")["terminalGroupIds"].([]any)
	if len(tgs) != 1 || tgs[0] != iikotest.TerminalGroupID {
		t.Errorf("tables read for terminal groups %v, want only %s", tgs,
			iikotest.TerminalGroupID)
	}
}
