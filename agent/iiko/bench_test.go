package iiko_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

// pollInterval is the agent's default poll interval.
const pollInterval = 5 * time.Second

// pollsPerHour is an hour of polls at pollInterval.
const pollsPerHour = int(time.Hour / pollInterval)

// BenchmarkIdleRequestsPerMinute counts the calls an idle venue (three
// reservations, two open orders, nothing changing) costs iiko when the
// agent polls every 5 s with the default settings, on a simulated clock.
func BenchmarkIdleRequestsPerMinute(b *testing.B) {
	clk := newClock()
	f := newFake(b, iikotest.Options{Now: clk.Now})
	cfg := config(f)
	cfg.Now = clk.Now
	cfg.SectionsEvery, cfg.DetailsMaxAge = 0, 0 // the defaults
	c := newConnector(b, cfg)
	tables := f.Tables()
	for i := range 3 {
		f.AddReservation(wire.Reservation{TableIDs: []string{tables[i]},
			Start: clk.Now().Add(time.Duration(i+1) * time.Hour), Duration: wire.Duration(time.Hour),
			Guests: 2, Name: "Гость", Phone: "+79990001122"})
	}
	f.OpenOrder(tables[4], 2)
	f.OpenOrder(tables[5], 2)
	snap(b, c)
	base := f.Requests()
	b.ResetTimer()
	// Each iteration is an hour of polls, so that rare calls (the token,
	// the tables' revision, reserve details) count even at -benchtime 1x.
	for b.Loop() {
		for range pollsPerHour {
			clk.Add(pollInterval)
			if _, err := c.Snapshot(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	polls := float64(b.N * pollsPerHour)
	minutes := polls * pollInterval.Minutes()
	b.ReportMetric(float64(f.Requests()-base)/minutes, "req/min")
}

// BenchmarkChangeToSnapshot measures how long a change in iiko (an order
// opened on a table) takes to show in a Snapshot, over loopback HTTP.
func BenchmarkChangeToSnapshot(b *testing.B) {
	f := newFake(b, iikotest.Options{})
	c := newConnector(b, config(f))
	snap(b, c)
	table := f.Tables()[0]
	snaps := 0
	for b.Loop() {
		id := f.OpenOrder(table, 2)
		for {
			snaps++
			st, err := c.Snapshot(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if slices.ContainsFunc(st.Orders, func(o wire.Order) bool { return o.ID == id }) {
				break
			}
		}
		f.CloseOrder(id)
	}
	b.ReportMetric(float64(snaps)/float64(b.N), "snapshots/change")
}
