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
// instead, on this machine in the same run. Each figure is changes per
// second from the first send until the far side holds the last one:
//
//   - stolik: a producer appends the changes to the agent's outbox (bbolt,
//     fsynced group commits) in batches of 100, as the poller does, while
//     the uplink streams them to a gateway applying them to the hub's
//     embedded store (fsynced) and acking; done when the hub has applied
//     the last one. Every acknowledged change is on disk at both ends.
//   - nats: NATS JetStream on a stream with file storage; each publish
//     waits for its acknowledgement, and the stream must hold them all.
//     Default settings (nats_changes/s) fsync only every sync_interval
//     (2 minutes): an acknowledged message can be lost to a power cut.
//     With sync_interval: always (nats_durable_changes/s) the server
//     fsyncs each write before acknowledging; it needs nats-server 2.10
//     or later (make bench-peers builds one), else that figure is missing.
//   - mosquitto: Mosquitto with persistence; a subscriber with a
//     persistent session (clean session off) takes every message at QoS 1,
//     and done is when it has received and acked the last one. Each
//     publish waits for its PUBACK. Default settings (mosquitto_changes/s)
//     save the database to disk every 30 minutes. Mosquitto has no
//     per-message log; the most durable it offers (mosquitto_durable_changes/s)
//     is autosave_on_changes with autosave_interval 1, which rewrites its
//     whole database after every change it counts (subscriptions, retained
//     and queued messages); autosave_interval 0 would turn autosaving off.
//
// It reports each one's changes/s and Stolik's ratio to each (ratio_nats,
// ratio_nats_durable, ratio_mosquitto, ratio_mosquitto_durable).
// STOLIK_BENCH_DELIVERY sets the number of changes (default 1,000,000);
// STOLIK_BENCH_DELIVERY_DURABLE the number for the peers' durable settings,
// which fsync or rewrite per message (default 20,000).
func BenchmarkDelivery(b *testing.B) {
	n := envInt("STOLIK_BENCH_DELIVERY", 1_000_000)
	nDurable := envInt("STOLIK_BENCH_DELIVERY_DURABLE", 20_000)
	for i := 0; i < b.N; i++ {
		ours := deliverStolik(b, n)
		b.ReportMetric(ours, "stolik_changes/s")
		peer := func(name, metric, ratio string, deliver func() (float64, error)) {
			rate, err := deliver()
			if err != nil {
				missing(b, name, err)
				return
			}
			b.ReportMetric(rate, metric)
			b.ReportMetric(ours/rate, ratio)
		}
		peer("nats", "nats_changes/s", "ratio_nats",
			func() (float64, error) { return deliverNATS(b, n, false) })
		peer("nats durable", "nats_durable_changes/s", "ratio_nats_durable",
			func() (float64, error) { return deliverNATS(b, nDurable, true) })
		peer("mosquitto", "mosquitto_changes/s", "ratio_mosquitto",
			func() (float64, error) { return deliverMosquitto(b, n, false) })
		peer("mosquitto durable", "mosquitto_durable_changes/s", "ratio_mosquitto_durable",
			func() (float64, error) { return deliverMosquitto(b, nDurable, true) })
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

// deliverNATS publishes n changes to a JetStream file stream; durable
// sets sync_interval: always.
func deliverNATS(b *testing.B, n int, durable bool) (float64, error) {
	b.Helper()
	bin, err := peerBinary("nats-server", "STOLIK_NATS_SERVER")
	if err != nil {
		return 0, err
	}
	addr := freeAddr(b)
	host, port, _ := strings.Cut(addr, ":")
	dir := b.TempDir()
	sync := ""
	if durable {
		sync = "  sync_interval: always\n"
	}
	conf := filepath.Join(dir, "nats.conf")
	body := fmt.Sprintf("host: %q\nport: %s\njetstream {\n  store_dir: %q\n%s}\n",
		host, port, filepath.Join(dir, "js"), sync)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return 0, err
	}
	if out, err := exec.Command(bin, "-c", conf, "-t").CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(out))
		if strings.Contains(msg, "sync_interval") {
			v, _ := exec.Command(bin, "--version").Output()
			return 0, fmt.Errorf("%s has no sync_interval setting (2.10 or later has; "+
				"make bench-peers builds one into bin/peers, or set STOLIK_NATS_SERVER)",
				strings.TrimSpace(string(v)))
		}
		return 0, fmt.Errorf("nats-server refused its config: %s", msg)
	}
	startPeer(b, "nats", bin, "-c", conf)

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
	b.Logf("nats (durable %v): %d changes in %v", durable, n, elapsed.Round(time.Millisecond))
	return float64(n) / elapsed.Seconds(), nil
}

// deliverMosquitto publishes n changes at QoS 1 to a subscriber with a
// persistent session and returns the rate at which it received them;
// durable makes the broker save its database after every change.
func deliverMosquitto(b *testing.B, n int, durable bool) (float64, error) {
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
	if durable {
		body += "autosave_on_changes true\nautosave_interval 1\n"
	}
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return 0, err
	}
	startPeer(b, "mosquitto", bin, "-c", conf)

	connect := func(id string) (mqtt.Client, error) {
		c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker("tcp://" + addr).
			SetClientID(id).SetCleanSession(false).SetAutoReconnect(false))
		var err error
		waitFor(b, 20*time.Second, "mosquitto to accept connections", func() bool {
			tok := c.Connect()
			if !tok.WaitTimeout(2 * time.Second) {
				err = errors.New("no CONNACK in 2 s")
				return false
			}
			err = tok.Error()
			return err == nil
		})
		return c, err
	}
	sub, err := connect("stolik-bench-sub")
	if err != nil {
		return 0, err
	}
	defer sub.Disconnect(250)
	var received atomic.Int64
	all := make(chan struct{})
	tok := sub.Subscribe("changes/#", 1, func(mqtt.Client, mqtt.Message) {
		if received.Add(1) == int64(n) {
			close(all)
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return 0, fmt.Errorf("subscribe: %v", tok.Error())
	}
	pub, err := connect("stolik-bench-pub")
	if err != nil {
		return 0, err
	}
	defer pub.Disconnect(250)

	var failed atomic.Int64
	start := time.Now()
	for i := 0; i < n; i++ {
		tok := pub.Publish("changes/ven_1", 1, false, smallChange(i))
		if !tok.WaitTimeout(30 * time.Second) {
			return 0, errors.New("a publish waited 30 s for its PUBACK")
		}
		if tok.Error() != nil {
			failed.Add(1)
		}
	}
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("%d of %d publishes failed", f, n)
	}
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		return 0, fmt.Errorf("the subscriber received %d of %d messages within a minute "+
			"of the last PUBACK", received.Load(), n)
	}
	elapsed := time.Since(start)
	b.Logf("mosquitto (durable %v): %d changes received in %v", durable, n,
		elapsed.Round(time.Millisecond))
	return float64(n) / elapsed.Seconds(), nil
}
