package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/shared/wire"
)

// BenchmarkIdleConnections measures the hub memory one idle agent connection
// costs, for this gateway (ours: hello and welcome done, then idle) and for
// two plain gorilla servers (see plainServer).
//
// Each server runs in a child process (this test binary, re-executed with
// benchServerEnv set), so that the dialing side's memory does not count.
// Two figures per connection, each the growth from startup to the
// connections established and idle:
//
//   - rss_per_conn: the process's VmRSS, read by this process from
//     /proc/<pid>/status settleBefore after the server listens and
//     settleAfter after the last connection, with no collection forced:
//     exactly as Centrifugo's is read (measureCentrifugo), so the two
//     compare like for like.
//   - bytes_per_conn: Go runtime memory in use, from runtime/metrics, read
//     by the child right after (so after the RSS) runtime.GC() and
//     debug.FreeOSMemory(): /memory/classes/total minus heap/free and
//     heap/released. It covers heap objects, span fragmentation, goroutine
//     stacks and runtime metadata: live memory, a figure Centrifugo cannot
//     be asked for from outside.
//
// Kernel socket buffers are not counted: they are the same for any server.
//
// STOLIK_BENCH_CONNS sets the number of connections (default 10,000). With
// STOLIK_BENCH_TRAFFIC=1 each agent of ours sends a batch and a status after
// its hello, and the hub pings every second for three seconds before the
// measurement: connections that were busy, then idle.
func BenchmarkIdleConnections(b *testing.B) {
	n := 10000
	if v := os.Getenv("STOLIK_BENCH_CONNS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("STOLIK_BENCH_CONNS=%q: want a positive number", v)
		}
	}
	if err := raiseFileLimit(); err != nil {
		b.Fatal(err)
	}

	ours := measureServer(b, "ours", n)
	plain := measureServer(b, "plain", n)
	returning := measureServer(b, "plain-returning", n)
	b.ReportMetric(ours.perConn(), "ours_bytes_per_conn")
	b.ReportMetric(plain.perConn(), "plain_bytes_per_conn")
	b.ReportMetric(ours.perConn()/plain.perConn(), "ratio")
	b.ReportMetric(returning.perConn(), "plain_returning_bytes_per_conn")
	b.ReportMetric(ours.perConn()/returning.perConn(), "ratio_returning")
	b.ReportMetric(ours.rssPerConn(), "ours_rss_per_conn")
	b.ReportMetric(plain.rssPerConn(), "plain_rss_per_conn")
	b.ReportMetric(returning.rssPerConn(), "plain_returning_rss_per_conn")
	if c, err := measureCentrifugo(b, n); err != nil {
		b.Logf("PEER MISSING: centrifugo: %v", err)
	} else {
		b.ReportMetric(c, "centrifugo_rss_per_conn")
		b.ReportMetric(ours.rssPerConn()/c, "ratio_centrifugo")
	}
}

// The settle times before each RSS reading, the same for every server
// measured, Centrifugo included.
const (
	settleBefore = 2 * time.Second
	settleAfter  = 5 * time.Second
)

// benchServerEnv makes the test binary run a benchmark server ("ours",
// "plain" or "plain-returning") instead of the tests.
const benchServerEnv = "STOLIK_GATEWAY_BENCH_SERVER"

func TestMain(m *testing.M) {
	if kind := os.Getenv(benchServerEnv); kind != "" {
		if err := runBenchServer(kind, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// memSample is one memory measurement of a benchmark server.
type memSample struct {
	Conns      int    `json:"conns"`
	Goroutines int    `json:"goroutines"`
	GoBytes    uint64 `json:"go_bytes"`
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	RSS        uint64 `json:"rss"`
}

// serverMemory is a server's memory before and after the connections.
type serverMemory struct {
	kind          string
	before, after memSample
}

func (m serverMemory) perConn() float64 {
	return float64(int64(m.after.GoBytes)-int64(m.before.GoBytes)) / float64(m.after.Conns)
}

func (m serverMemory) rssPerConn() float64 {
	return float64(int64(m.after.RSS)-int64(m.before.RSS)) / float64(m.after.Conns)
}

// measureServer starts a child server of the kind, connects n idle agents
// and returns the child's measurements.
func measureServer(b *testing.B, kind string, n int) serverMemory {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+kind,
		"STOLIK_BENCH_CONNS="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("%s server: %v", kind, err)
		}
	}()
	out := bufio.NewScanner(stdout)
	next := func() string {
		if !out.Scan() {
			b.Fatalf("%s server ended: %v", kind, out.Err())
		}
		return out.Text()
	}
	measure := func(conns int) memSample {
		fmt.Fprintf(stdin, "measure %d\n", conns)
		var s memSample
		if err := json.Unmarshal([]byte(next()), &s); err != nil {
			b.Fatalf("%s server: %v", kind, err)
		}
		return s
	}

	addr := next()
	time.Sleep(settleBefore)
	rssBefore, err := processRSS(cmd.Process.Pid)
	if err != nil {
		b.Fatalf("%s server: %v", kind, err)
	}
	m := serverMemory{kind: kind, before: measure(0)}
	m.before.RSS = rssBefore
	start := time.Now()
	conns, err := dialIdle(kind, addr, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		b.Fatalf("%s: %v", kind, err)
	}
	dialTime := time.Since(start)
	if traffic() {
		// Let the hub ping every connection a few times.
		time.Sleep(3 * trafficPing)
	}
	time.Sleep(settleAfter)
	rssAfter, err := processRSS(cmd.Process.Pid)
	if err != nil {
		b.Fatalf("%s server: %v", kind, err)
	}
	m.after = measure(n)
	m.after.RSS = rssAfter
	fmt.Fprintln(stdin, "quit")

	b.Logf("%s: %d connections in %v; go %d -> %d bytes (heap %d -> %d, stacks %d -> %d), "+
		"rss %d -> %d, goroutines %d -> %d", kind, n, dialTime.Round(time.Millisecond),
		m.before.GoBytes, m.after.GoBytes, m.before.HeapInuse, m.after.HeapInuse,
		m.before.StackInuse, m.after.StackInuse, m.before.RSS, m.after.RSS,
		m.before.Goroutines, m.after.Goroutines)
	return m
}

// dialIdle opens n connections to addr; for "ours" each says hello and gets
// its welcome. Each connection keeps reading, so that it answers pings like
// an idle agent.
func dialIdle(kind, addr string, n int) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, n)
	d := websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256,
		HandshakeTimeout: 30 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				ws, err := dialOne(d, kind, addr, i)
				if err != nil {
					select {
					case errs <- fmt.Errorf("connection %d: %w", i, err):
					default:
					}
					next.Store(int64(n))
					return
				}
				conns[i] = ws
				go func() {
					for {
						if _, _, err := ws.NextReader(); err != nil {
							return
						}
					}
				}()
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return conns, err
	default:
		return conns, nil
	}
}

func dialOne(d websocket.Dialer, kind, addr string, i int) (*websocket.Conn, error) {
	h := http.Header{}
	id := benchAgentID(i)
	wire.SetCredential(h, id, benchSecret(i))
	ws, _, err := d.Dial("ws://"+addr+wire.ConnectPath, h)
	if err != nil || kind != "ours" {
		return ws, err
	}
	frame, _ := wire.Encode(wire.TypeHello, hello(id))
	ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		ws.Close()
		return nil, err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, frame, err = ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, err
	}
	if env, err := wire.Decode(frame); err != nil || env.Type != wire.TypeWelcome {
		ws.Close()
		return nil, fmt.Errorf("want welcome, got %s", frame)
	}
	if traffic() {
		if err := benchTraffic(ws); err != nil {
			ws.Close()
			return nil, err
		}
	}
	ws.SetReadDeadline(time.Time{})
	return ws, nil
}

// benchTraffic sends a batch, waits for its ack and sends a status.
func benchTraffic(ws *websocket.Conn) error {
	frame, _ := wire.Encode(wire.TypeBatch, wire.Batch{Events: events(1, 3)})
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		return err
	}
	_, frame, err := ws.ReadMessage()
	if err != nil {
		return err
	}
	if env, err := wire.Decode(frame); err != nil || env.Type != wire.TypeAck {
		return fmt.Errorf("want ack, got %s", frame)
	}
	frame, _ = wire.Encode(wire.TypeStatus, wire.Status{Backlog: 0})
	return ws.WriteMessage(websocket.TextMessage, frame)
}

// trafficPing is the hub's ping interval when traffic() is on.
const trafficPing = time.Second

// traffic reports whether STOLIK_BENCH_TRAFFIC asks for connections that
// were busy before going idle.
func traffic() bool { return os.Getenv("STOLIK_BENCH_TRAFFIC") != "" }

func benchAgentID(i int) string { return fmt.Sprintf("agt_%05d", i) }
func benchSecret(i int) string  { return fmt.Sprintf("bench-secret-%05d", i) }

// runBenchServer is the child: it serves agents on a loopback port, prints
// the address, then answers "measure <conns>" with a JSON memSample once
// that many connections are open, until "quit" or the end of input.
func runBenchServer(kind string, in io.Reader, out io.Writer) error {
	if err := raiseFileLimit(); err != nil {
		return err
	}
	n, err := strconv.Atoi(os.Getenv("STOLIK_BENCH_CONNS"))
	if err != nil {
		return fmt.Errorf("STOLIK_BENCH_CONNS: %w", err)
	}

	var handler http.Handler
	var open func() int
	switch kind {
	case "ours":
		dir, err := os.MkdirTemp("", "gateway-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		store, err := openBenchStore(dir, n)
		if err != nil {
			return err
		}
		defer store.Close()
		var ping time.Duration // default
		if traffic() {
			ping = trafficPing
		}
		gw := gateway.New(store, gateway.Options{PingInterval: ping,
			Logger: slog.New(slog.NewTextHandler(os.Stderr,
				&slog.HandlerOptions{Level: slog.LevelWarn})),
		})
		defer gw.Close()
		handler = gw
		open = func() int { return gw.Stats().Connections }
	case "plain", "plain-returning":
		p := &plainServer{returning: kind == "plain-returning"}
		handler = p
		open = func() int { return int(p.open.Load()) }
	default:
		return fmt.Errorf("unknown server kind %q", kind)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintln(out, ln.Addr().String())

	lines := bufio.NewScanner(in)
	for lines.Scan() {
		cmd, arg, _ := strings.Cut(lines.Text(), " ")
		switch cmd {
		case "quit":
			return nil
		case "measure":
			want, _ := strconv.Atoi(arg)
			deadline := time.Now().Add(time.Minute)
			for open() != want {
				if time.Now().After(deadline) {
					return fmt.Errorf("%d connections open, want %d", open(), want)
				}
				time.Sleep(10 * time.Millisecond)
			}
			s := sampleMemory()
			s.Conns = want
			b, _ := json.Marshal(s)
			fmt.Fprintln(out, string(b))
		}
	}
	return lines.Err()
}

// openBenchStore returns a store holding n agents with benchSecret secrets.
func openBenchStore(dir string, n int) (hub.Store, error) {
	store, err := bolt.Open(filepath.Join(dir, "hub.db"), bolt.Options{})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := store.CreateVenue(ctx, hub.Venue{ID: testVenue}); err != nil {
		return nil, err
	}
	for i := range n {
		a := hub.Agent{ID: benchAgentID(i), VenueID: testVenue,
			SecretHash: hub.HashSecret(benchSecret(i))}
		if err := store.CreateAgent(ctx, a); err != nil {
			return nil, err
		}
	}
	return store, nil
}

// plainServer is the baseline: a default gorilla Upgrader, one reader
// goroutine blocking on NextReader and one writer goroutine waiting on a
// channel per connection. The reader is the request's goroutine, as in most
// gorilla servers; with returning set, the handler starts both goroutines
// and returns instead (as gorilla's chat example does), which frees the
// HTTP server's per-connection state: a smaller, stricter baseline.
type plainServer struct {
	returning bool
	open      atomic.Int64
}

func (p *plainServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var up websocket.Upgrader
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	p.open.Add(1)
	send := make(chan []byte)
	go func() {
		for msg := range send {
			if ws.WriteMessage(websocket.TextMessage, msg) != nil {
				return
			}
		}
	}()
	read := func() {
		defer p.open.Add(-1)
		defer close(send)
		for {
			if _, _, err := ws.NextReader(); err != nil {
				ws.Close()
				return
			}
		}
	}
	if p.returning {
		go read()
		return
	}
	read()
}

// sampleMemory collects garbage twice and reads the runtime's view of this
// process's memory. measureServer replaces the RSS read here, after the
// collection, with its own reading taken before it.
func sampleMemory() memSample {
	runtime.GC()
	debug.FreeOSMemory()

	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(samples)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{
		Goroutines: runtime.NumGoroutine(),
		GoBytes: samples[0].Value.Uint64() - samples[1].Value.Uint64() -
			samples[2].Value.Uint64(),
		HeapInuse:  ms.HeapInuse,
		StackInuse: ms.StackInuse,
		RSS:        vmRSS(),
	}
}

// vmRSS returns the resident set size from /proc/self/status, or 0.
func vmRSS() uint64 {
	rss, _ := processRSS(0)
	return rss
}

// processRSS returns a process's resident set size (pid 0: this one).
func processRSS(pid int) (uint64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("%s has no VmRSS", path)
}

// raiseFileLimit lifts the soft limit on open files to the hard limit.
func raiseFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("get file limit: %w", err)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("raise file limit: %w", err)
	}
	return nil
}
