package e2e_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/agent/uplink"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/shared/wire"
)

// envInt reads a size from the environment, for quick runs of a benchmark.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkDrain fills an agent's outbox with a backlog of distinct 300-byte
// changes (as after a long outage with new reservations every minute), then
// connects it to a hub on its embedded store and measures how fast the
// backlog drains. Targets: at least 20,000 changes/s, and a backlog of
// 1,000,000 in under 2 minutes. STOLIK_BENCH_BACKLOG sets the size.
func BenchmarkDrain(b *testing.B) {
	backlog := envInt("STOLIK_BENCH_BACKLOG", 1_000_000)
	for i := 0; i < b.N; i++ {
		changesPerSec, elapsed := drainOnce(b, backlog)
		b.ReportMetric(changesPerSec, "changes/s")
		b.ReportMetric(elapsed.Seconds(), "drain_s")
		b.ReportMetric(float64(backlog), "backlog")
	}
}

func drainOnce(b *testing.B, backlog int) (float64, time.Duration) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := b.TempDir()

	store, err := bolt.Open(filepath.Join(dir, "hub.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC()
	if err := store.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Bench", TimeZone: "Europe/Moscow", CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	secret := hub.NewSecret()
	if err := store.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: "ven_1", SecretHash: hub.HashSecret(secret), CreatedAt: now}); err != nil {
		b.Fatal(err)
	}

	ob, err := outbox.Open(filepath.Join(dir, "outbox.db"), outbox.Options{MaxPending: backlog + 1})
	if err != nil {
		b.Fatal(err)
	}
	defer ob.Close()
	pad := strings.Repeat("x", 200)
	const chunk = 10_000
	for n := 0; n < backlog; n += chunk {
		evs := make([]wire.Event, 0, chunk)
		for j := n; j < n+chunk && j < backlog; j++ {
			id := fmt.Sprintf("r-%08d", j)
			data := fmt.Sprintf(`{"id":%q,"table_ids":["t-01"],"start":"2026-03-01T18:00:00Z",`+
				`"duration":"2h0m0s","guests":4,"status":"new","comment":%q}`, id, pad)
			evs = append(evs, wire.Event{Entity: wire.EntityReservation, ID: id, Op: wire.OpUpsert,
				Data: []byte(data), At: now})
		}
		if _, err := ob.Append(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	last := ob.Stats().LastSeq

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gw := gateway.New(store, gateway.Options{Logger: quiet})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	defer gw.Close()

	up, err := uplink.New(uplink.Config{
		URLs: []string{srv.URL}, AgentID: "agt_1", Secret: secret,
		Hello:   wire.Hello{Version: "bench", OS: "linux", Connector: "bench"},
		LastSeq: func() uint64 { return ob.Stats().LastSeq }, Logger: quiet,
	}, ob, service.Inbox(ob), func(context.Context, wire.Command) wire.Result { return wire.Result{} })
	if err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	for {
		a, err := store.Agent(ctx, "agt_1")
		if err != nil {
			b.Fatal(err)
		}
		if a.AppliedSeq == last {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	return float64(backlog) / elapsed.Seconds(), elapsed
}

// BenchmarkAgentIdle runs the real agent binary with the sim connector
// polling every 5 s, connected to a real hub, and samples its resident
// memory and CPU time. Targets: at most 30 MB RSS and 0.5% of one core.
// STOLIK_BENCH_IDLE_SECONDS sets the measured span (default 30).
func BenchmarkAgentIdle(b *testing.B) {
	span := time.Duration(envInt("STOLIK_BENCH_IDLE_SECONDS", 30)) * time.Second
	for i := 0; i < b.N; i++ {
		h := newHub(b, "")
		cred := h.addAgent("Idle")
		hubProc := h.start()
		dir := b.TempDir()
		cfg := agentConfig(b, dir, cred, []string{"ws://" + h.addr},
			"poll_interval: 5s\nconnector:\n  kind: sim\n"+
				"  sim: {seed: 1, halls: 2, tables: 30, step: 5s, changes_per_step: 2}\n")
		a := startAgent(b, cfg)
		waitFor(b, 20*time.Second, "the agent to connect", func() bool {
			if a.exited() {
				b.Fatalf("agent exited:\n%s", tail(filepath.Join(dir, "agent.log"), 20))
			}
			v, err := h.agent(cred.AgentID)
			return err == nil && v.Connected && v.AppliedEvents > 0
		})
		time.Sleep(5 * time.Second) // warm up: first full sync done
		pid := a.cmd.Process.Pid
		cpu0 := cpuTime(b, pid)
		t0 := time.Now()
		var maxRSS float64
		for time.Since(t0) < span {
			time.Sleep(time.Second)
			if r := rssMB(b, pid); r > maxRSS {
				maxRSS = r
			}
		}
		cpu := (cpuTime(b, pid) - cpu0).Seconds() / time.Since(t0).Seconds() * 100
		a.stop()
		hubProc.stop()
		b.ReportMetric(maxRSS, "rss_MB")
		b.ReportMetric(cpu, "cpu_%")
	}
}

// rssMB reads VmRSS of a process.
func rssMB(tb testing.TB, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// cpuTime reads user+system CPU time of a process.
func cpuTime(tb testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck
}
