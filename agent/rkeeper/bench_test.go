package rkeeper_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/shared/wire"
)

// pollInterval is the agent's default poll_interval.
const pollInterval = 5 * time.Second

// BenchmarkIdleRequestsPerMinute counts what polling an idle venue costs
// the till: each iteration is one poll, 5 s of the connector's clock, and
// req/min is the fake's request count over that clock time.
func BenchmarkIdleRequestsPerMinute(b *testing.B) {
	f := startFake(b, rkeepertest.Options{})
	clk := newClock()
	cfg := configFor(f)
	cfg.Now = clk.Now
	c := connect(b, cfg)
	ctx := context.Background()
	if _, err := c.Snapshot(ctx); err != nil {
		b.Fatal(err)
	}
	before, polls := f.Requests(""), 0
	// Each iteration is an hour of polls, so that the reference checks
	// count even at -benchtime 1x.
	for b.Loop() {
		for range int(time.Hour / pollInterval) {
			polls++
			clk.Advance(pollInterval)
			if _, err := c.Snapshot(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	perPoll := float64(f.Requests("")-before) / float64(max(polls, 1))
	b.ReportMetric(perPoll*float64(time.Minute/pollInterval), "req/min")
}

// BenchmarkChangeToSnapshot measures from a walk-in order opened at the
// till until a snapshot shows it.
func BenchmarkChangeToSnapshot(b *testing.B) {
	f := startFake(b, rkeepertest.Options{})
	c := connect(b, configFor(f))
	ctx := context.Background()
	if _, err := c.Snapshot(ctx); err != nil {
		b.Fatal(err)
	}
	table := f.Tables()[0].ID
	before, changes := f.Requests(""), 0
	for b.Loop() {
		changes++
		id, err := f.OpenOrder(table, 2)
		if err != nil {
			b.Fatal(err)
		}
		for {
			st, err := c.Snapshot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if slices.ContainsFunc(st.Orders, func(o wire.Order) bool { return o.ID == id }) {
				break
			}
		}
		b.StopTimer()
		if err := f.CloseOrder(id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(f.Requests("")-before)/float64(max(changes, 1)), "req/change")
}
