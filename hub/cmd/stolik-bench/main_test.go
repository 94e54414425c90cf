package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/stolik/stolik/hub/e2e
cpu: AMD EPYC
BenchmarkDelivery
    peers_bench_test.go:92: stolik: 20000 changes in 1.245s
    peers_bench_test.go:59: PEER MISSING: nats: nats-server not found (set STOLIK_NATS_SERVER)
BenchmarkDelivery-2   	       1	6080263101 ns/op	     12292 mosquitto_changes/s	         1.307 ratio_mosquitto	     6427 mosquitto_durable_changes/s	         2.5 ratio_mosquitto_durable	     16068 stolik_changes/s
BenchmarkAgentIdle-2   	       1	30000000000 ns/op	        41.5 rss_MB	         0.2 cpu_%
--- SKIP: BenchmarkBookingAPI/postgres
    api_bench_test.go:40: no PostgreSQL here
ok  	github.com/stolik/stolik/hub/e2e	11.294s
pkg: github.com/stolik/stolik/hub/booking
BenchmarkAvailability-2   	       1	   1000 ns/op	       120.5 us/query
--- FAIL: BenchmarkIngest/insert
FAIL	github.com/stolik/stolik/hub/postgres	1.0s
`

func TestParseAndReport(t *testing.T) {
	res := parse(strings.NewReader(sample), nil)
	if res.failed != 1 {
		t.Errorf("failed packages = %d, want 1", res.failed)
	}
	d := res.find("", "BenchmarkDelivery")
	if d == nil || d.Metrics["stolik_changes/s"] != 16068 || d.Pkg != "github.com/stolik/stolik/hub/e2e" {
		t.Fatalf("delivery = %+v", d)
	}
	if len(d.Missing) != 1 || !strings.HasPrefix(d.Missing[0], "nats: nats-server not found") {
		t.Errorf("missing = %q", d.Missing)
	}
	if s := res.find("", "BenchmarkBookingAPI/postgres"); s == nil || s.Skipped != "no PostgreSQL here" {
		t.Errorf("skip = %+v", s)
	}
	if f := res.find("", "BenchmarkIngest/insert"); f == nil || !f.Failed {
		t.Errorf("fail = %+v", f)
	}

	tbl := table(res)
	for _, want := range []string{
		"| BenchmarkDelivery | 16,068 stolik_changes/s | no target set (context figure): beside the peers",
		"1.31× Mosquitto, QoS 1 to a persistent subscriber, default autosave; " +
			"2.50× Mosquitto, QoS 1 to a persistent subscriber, autosave on every change (durable); " +
			"missing: nats: nats-server not found",
		"| BenchmarkAgentIdle | 41.50 rss_MB | <= 30 MB RSS; <= 0.5% of one core | **missed** |",
		"| BenchmarkAvailability | 120 us/query | < 1 ms per query (100 tables, 300 reservations) | met |",
		"| BenchmarkBookingAPI/postgres | — | 0 overlaps (32 clients) | skipped: no PostgreSQL here |",
		"| BenchmarkIngest/insert | — | >= 20,000 events/s | FAILED |",
	} {
		if !strings.Contains(tbl, want) {
			t.Errorf("table lacks %q:\n%s", want, tbl)
		}
	}
}

func TestReportFromSavedOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"--from", in, "--out", dir}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "1 benchmark packages failed") {
		t.Errorf("run = %v, want the failed package reported", err)
	}
	if !strings.Contains(out.String(), "total time: ") {
		t.Errorf("output lacks the total time:\n%s", out.String())
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "![delivery.png](delivery.png)") {
		t.Errorf("report lacks the delivery chart:\n%s", md)
	}
	png, err := os.ReadFile(filepath.Join(dir, "delivery.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("delivery.png is not a PNG (%v)", err)
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{1234567: "1,234,567", 999: "999", -12000: "-12,000",
		12.345: "12.35", 0.0123: "0.0123"} {
		if got := number(in); got != want {
			t.Errorf("number(%v) = %q, want %q", in, got, want)
		}
	}
}

// crossSample has ratios taken to another benchmark of the same run.
const crossSample = `pkg: github.com/stolik/stolik/shared/wire
BenchmarkEncodeBatch/encoding-json-2   	       1	   400000 ns/op
BenchmarkEncodeBatch/append-2          	       1	   100000 ns/op
pkg: github.com/stolik/stolik/agent/uplink
BenchmarkThroughput/window=1/rtt=5ms-2 	       1	   1 ns/op	    10000 events/s
BenchmarkThroughput/window=4/rtt=5ms-2 	       1	   1 ns/op	    35000 events/s
pkg: github.com/stolik/stolik/hub/telegram/sendqueue
BenchmarkSendQueueBurst/unpaced/bolt-2 	       1	   1 ns/op	      500 msgs/s
--- SKIP: BenchmarkSendQueueBurst/unpaced/postgres
    bench_test.go:40: no PostgreSQL here
pkg: github.com/stolik/stolik/hub/bolt
BenchmarkCreateBooking/mirror=3000-2   	       1	   1 ns/op	     2000 attempts/s
pkg: github.com/stolik/stolik/agent/iiko
BenchmarkChangeToSnapshot-2            	       1	  3000000 ns/op
pkg: github.com/stolik/stolik/agent/sim
BenchmarkSnapshot-2                    	       1	  3000000 ns/op	  3000000 ns/snapshot
`

func TestCrossBenchmarkRatios(t *testing.T) {
	res := parse(strings.NewReader(crossSample), nil)
	tbl := table(res)
	for _, want := range []string{
		"| BenchmarkEncodeBatch/append | 100,000 ns/op | no target set (context figure) | — | " +
			"0.25× the time of encoding/json on the same batch |",
		"| agent/uplink BenchmarkThroughput/window=4/rtt=5ms | 35,000 events/s | no target set (context figure) | — | " +
			"3.50× a window of 1 at the same round trip |",
		// Skipped: no ratio, and no complaint about it.
		"| BenchmarkSendQueueBurst/unpaced/postgres | — | no target set (context figure) | " +
			"skipped: no PostgreSQL here | — (no baseline for this one) |",
		// The baseline did not run in this run.
		"| BenchmarkCreateBooking/mirror=3000 | 2,000 attempts/s | no target set (context figure) | — | " +
			"no ratio: BenchmarkCreateBooking/mirror=0:attempts/s was not measured |",
		"| agent/iiko BenchmarkChangeToSnapshot | 3,000,000 ns/op | < 200 ms a change",
		"| met |",
		"| agent/sim BenchmarkSnapshot | 3,000,000 ns/snapshot | no target set (context figure) |",
	} {
		if !strings.Contains(tbl, want) {
			t.Errorf("table lacks %q:\n%s", want, tbl)
		}
	}
	// A ratio to another benchmark prefers the one in the same package.
	res.Benches = append(res.Benches, &result{Pkg: "elsewhere", Name: "BenchmarkEncodeBatch/encoding-json",
		Metrics: map[string]float64{"ns/op": 1}})
	if v, ok := res.metric(res.find("", "BenchmarkEncodeBatch/append"),
		"BenchmarkEncodeBatch/encoding-json:ns/op"); !ok || v != 400000 {
		t.Errorf("metric = %v, %v; want 400000 from the same package", v, ok)
	}
}

func TestElapsedNote(t *testing.T) {
	if got := elapsedNote(14*time.Minute + 400*time.Millisecond); got != "total time: 14m0s\n" {
		t.Errorf("14 min: %q", got)
	}
	got := elapsedNote(16 * time.Minute)
	if !strings.HasPrefix(got, "total time: 16m0s\nwarning: the run took longer than 15m0s") {
		t.Errorf("16 min: %q", got)
	}
}
