package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/agent/uplink"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/shared/wire"
)

// peerBinary finds a peer's server binary: the environment variable names
// it, else bin/peers/<name> in the repository (where make bench-peers puts
// what it builds), else the PATH and /usr/sbin (Debian puts nats-server and
// mosquitto there). A peer that cannot be found is reported missing by the
// caller, never faked.
func peerBinary(name, env string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	if p, err := filepath.Abs(filepath.Join("..", "..", "bin", "peers", name)); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if p := filepath.Join("/usr/sbin", name); fileExists(p) {
		return p, nil
	}
	return "", fmt.Errorf("%s not found (set %s, or run make bench-peers)", name, env)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// missing logs a peer that could not be measured in the form the bench
// report reads: "PEER MISSING: name: why".
func missing(b *testing.B, name string, err error) {
	b.Helper()
	b.Logf("PEER MISSING: %s: %v", name, err)
}

// smallChange is the payload every system delivers: a table's state, about
// 110 bytes of JSON, as the agent sends when a table changes.
func smallChange(i int) []byte {
	return fmt.Appendf(nil, `{"id":"t-%07d","hall_id":"h-01","number":"%d","seats":4,`+
		`"position":{"x":%d,"y":%d,"w":60,"h":60}}`, i, i%500, i%40*70, i/40%40*70)
}

// BenchmarkDelivery measures durable edge-to-cloud delivery of small
// changes with acknowledgement, for Stolik and the peers a user would pick
// instead, on this machine in the same run:
//
//   - stolik: a producer appends the changes to the agent's outbox (bbolt,
//     fsynced group commits) in batches of 100, as the poller does, while
//     the uplink streams them to a gateway applying them to the hub's
//     embedded store (fsynced) and acking; done when the hub has applied
//     the last one.
//   - nats: NATS JetStream (nats-server from Debian) on a stream with file
//     storage; each publish waits for its acknowledgement.
//   - mosquitto: Mosquitto (from Debian) with persistence; each QoS 1
//     publish waits for its PUBACK.
//
// It reports each one's changes/s and Stolik's ratio to each peer.
// STOLIK_BENCH_DELIVERY sets the number of changes (default 1,000,000).
func BenchmarkDelivery(b *testing.B) {
	n := envInt("STOLIK_BENCH_DELIVERY", 1_000_000)
	for i := 0; i < b.N; i++ {
		ours := deliverStolik(b, n)
		b.ReportMetric(ours, "stolik_changes/s")
		if rate, err := deliverNATS(b, n); err != nil {
			missing(b, "nats", err)
		} else {
			b.ReportMetric(rate, "nats_changes/s")
			b.ReportMetric(ours/rate, "ratio_nats")
		}
		if rate, err := deliverMosquitto(b, n); err != nil {
			missing(b, "mosquitto", err)
		} else {
			b.ReportMetric(rate, "mosquitto_changes/s")
			b.ReportMetric(ours/rate, "ratio_mosquitto")
		}
	}
}

func deliverStolik(b *testing.B, n int) float64 {
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
	if err := store.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Bench",
		TimeZone: "Europe/Moscow", CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	secret := hub.NewSecret()
	if err := store.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: "ven_1",
		SecretHash: hub.HashSecret(secret), CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	ob, err := outbox.Open(filepath.Join(dir, "outbox.db"), outbox.Options{MaxPending: n + 1})
	if err != nil {
		b.Fatal(err)
	}
	defer ob.Close()

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

	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	// Distinct ids: no compaction helps Stolik here.
	const batch = 100
	for j := 0; j < n; j += batch {
		evs := make([]wire.Event, 0, batch)
		for k := j; k < j+batch && k < n; k++ {
			evs = append(evs, wire.Event{Entity: wire.EntityTable, ID: fmt.Sprintf("t-%07d", k),
				Op: wire.OpUpsert, Data: smallChange(k), At: now})
		}
		if _, err := ob.Append(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	last := ob.Stats().LastSeq
	for {
		a, err := store.Agent(ctx, "agt_1")
		if err != nil {
			b.Fatal(err)
		}
		if a.AppliedSeq == last {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	b.Logf("stolik: %d changes in %v", n, elapsed.Round(time.Millisecond))
	return float64(n) / elapsed.Seconds()
}

// startPeer runs a peer's server until the benchmark ends, its output in a
// log file whose tail is shown if it fails.
func startPeer(b *testing.B, name, bin string, args ...string) {
	b.Helper()
	logPath := filepath.Join(b.TempDir(), name+".log")
	p := startProc(b, name, logPath, nil, bin, args...)
	b.Cleanup(p.stop)
}

func deliverNATS(b *testing.B, n int) (float64, error) {
	b.Helper()
	bin, err := peerBinary("nats-server", "STOLIK_NATS_SERVER")
	if err != nil {
		return 0, err
	}
	addr := freeAddr(b)
	host, port, _ := strings.Cut(addr, ":")
	startPeer(b, "nats", bin, "-js", "-sd", b.TempDir(), "-a", host, "-p", port)

	var nc *nats.Conn
	waitFor(b, 20*time.Second, "nats-server to accept connections", func() bool {
		nc, err = nats.Connect("nats://" + addr)
		return err == nil
	})
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "CHANGES", Subjects: []string{"changes.>"}, Storage: jetstream.FileStorage,
	}); err != nil {
		return 0, fmt.Errorf("create stream: %w", err)
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := js.Publish(ctx, "changes.ven_1", smallChange(i)); err != nil {
			return 0, fmt.Errorf("publish %d: %w", i, err)
		}
	}
	elapsed := time.Since(start)
	info, err := js.Stream(ctx, "CHANGES")
	if err != nil {
		return 0, err
	}
	if got := info.CachedInfo().State.Msgs; got != uint64(n) {
		return 0, fmt.Errorf("the stream holds %d messages, want %d", got, n)
	}
	b.Logf("nats: %d changes in %v", n, elapsed.Round(time.Millisecond))
	return float64(n) / elapsed.Seconds(), nil
}

func deliverMosquitto(b *testing.B, n int) (float64, error) {
	b.Helper()
	bin, err := peerBinary("mosquitto", "STOLIK_MOSQUITTO")
	if err != nil {
		return 0, err
	}
	addr := freeAddr(b)
	host, port, _ := strings.Cut(addr, ":")
	dir := b.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	body := fmt.Sprintf("listener %s %s\nallow_anonymous true\npersistence true\n"+
		"persistence_location %s/\nmax_queued_messages 0\n", port, host, dir)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return 0, err
	}
	startPeer(b, "mosquitto", bin, "-c", conf)

	opts := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("stolik-bench").
		SetCleanSession(false).SetAutoReconnect(false)
	c := mqtt.NewClient(opts)
	waitFor(b, 20*time.Second, "mosquitto to accept connections", func() bool {
		tok := c.Connect()
		return tok.WaitTimeout(2*time.Second) && tok.Error() == nil
	})
	defer c.Disconnect(250)
	var failed atomic.Int64
	start := time.Now()
	for i := 0; i < n; i++ {
		tok := c.Publish("changes/ven_1", 1, false, smallChange(i))
		if !tok.WaitTimeout(30 * time.Second) {
			return 0, errors.New("a publish waited 30 s for its PUBACK")
		}
		if tok.Error() != nil {
			failed.Add(1)
		}
	}
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("%d of %d publishes failed", f, n)
	}
	b.Logf("mosquitto: %d changes in %v", n, elapsed.Round(time.Millisecond))
	return float64(n) / elapsed.Seconds(), nil
}
