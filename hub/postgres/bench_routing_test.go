package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// BenchmarkIngestRouting measures agent event ingest (the "update"
// workload of BenchmarkIngest) alone, and again while commands are routed
// across two replicas on the same database: replica B enqueues commands for
// an agent held by replica A at 100 a second (each with its NOTIFY), and A
// listens, polls for missed ones as the hub does, fetches the pending
// commands and records their results; three rounds of each, medians.
// Target: ingest with routing at least 0.9× ingest without.
func BenchmarkIngestRouting(b *testing.B) {
	// Three rounds, alone and with routing in turn, and the median of each:
	// one short round of each swings by ±15% on two cores.
	var alones, withs []float64
	var routed atomic.Int64
	for range 3 {
		alone, _ := ingest(b, 2000, true, nil)
		with, _ := ingest(b, 2000, true, func(url string) func() {
			return routeCommands(b, url, &routed)
		})
		alones, withs = append(alones, alone), append(withs, with)
	}
	slices.Sort(alones)
	slices.Sort(withs)
	alone, with := alones[1], withs[1]
	b.ReportMetric(alone, "events/s")
	b.ReportMetric(with, "routed_events/s")
	b.ReportMetric(with/alone, "ratio")
	b.ReportMetric(float64(routed.Load()), "commands_routed")
}

// routeCommands runs replicas A and B on url until the returned func is
// called; done counts the commands A finished.
func routeCommands(b *testing.B, url string, done *atomic.Int64) func() {
	ctx, cancel := context.WithCancel(context.Background())
	replicaA, replicaB := open(b, url), open(b, url)
	var wg sync.WaitGroup

	wake := make(chan struct{}, 1)
	poke := func(string) {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	wg.Go(func() { _ = replicaA.ListenCommands(ctx, poke) })
	// A: what the gateway does when poked, and the hub's short poll.
	wg.Go(func() {
		poll := time.NewTicker(2 * time.Second)
		defer poll.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-poll.C:
				if _, err := replicaA.PendingAgentsSince(ctx, time.Now().Add(-30*time.Second)); err != nil && ctx.Err() == nil {
					b.Error(err)
				}
			}
			cmds, err := replicaA.PendingCommands(ctx, "agt_2")
			if err != nil {
				if ctx.Err() == nil {
					b.Error(err)
				}
				return
			}
			for _, c := range cmds {
				if err := replicaA.FinishCommand(ctx, "agt_2",
					wire.Result{CommandID: c.ID, OK: true}); err == nil {
					done.Add(1)
				}
			}
		}
	})
	// B: an API request creating a command every 10 ms.
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			c := hub.Command{ID: fmt.Sprintf("cmd_%d", i), AgentID: "agt_2",
				Kind: wire.CommandResync, CreatedAt: time.Now().UTC(), State: hub.CommandPending}
			if err := replicaB.EnqueueCommand(ctx, c); err != nil && ctx.Err() == nil {
				b.Error(err)
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
		replicaA.Close()
		replicaB.Close()
	}
}
