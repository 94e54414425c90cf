package uplink_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/uplink"
	"github.com/stolik/stolik/shared/wire"
)

// testConfig returns a config with short timings for the given hub URLs.
func testConfig(urls ...string) uplink.Config {
	return uplink.Config{
		URLs:    urls,
		AgentID: testAgent,
		Secret:  testSecret,
		Hello: wire.Hello{Version: "1.2.3", OS: "linux", Connector: "sim",
			Capabilities: []string{"reservations.write"}},
		BackoffMin:       5 * time.Millisecond,
		BackoffMax:       50 * time.Millisecond,
		StatusInterval:   time.Hour,
		HandshakeTimeout: 2 * time.Second,
		PingInterval:     50 * time.Millisecond,
		PongWait:         2 * time.Second,
		WriteWait:        time.Second,
	}
}

// agentRun is an uplink running in the background of a test.
type agentRun struct {
	u      *uplink.Uplink
	logs   *logBuffer
	cancel context.CancelFunc
	errc   chan error
	once   sync.Once
	err    error
}

// okExecutor runs every command successfully.
func okExecutor(_ context.Context, c wire.Command) wire.Result {
	return wire.Result{CommandID: c.ID, OK: true}
}

// start runs an uplink until the test ends; cleanup stops it and checks
// that no goroutine of the package is left.
func start(t testing.TB, cfg uplink.Config, st store, exec uplink.Executor,
	setup ...func(*uplink.Uplink)) *agentRun {
	t.Helper()
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.LastSeq = st.lastSeq
	if exec == nil {
		exec = okExecutor
	}
	u, err := uplink.New(cfg, st, st, exec)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, f := range setup {
		f(u)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &agentRun{u: u, logs: logs, cancel: cancel, errc: make(chan error, 1)}
	go func() { r.errc <- u.Run(ctx) }()
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("uplink log:\n%s", logs.String())
		}
	})
	return r
}

// stop cancels Run, waits for it to return and checks for leaks.
func (r *agentRun) stop(t testing.TB) error {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.errc:
		case <-time.After(3 * time.Second):
			t.Fatalf("Run did not return within 3s of cancel")
		}
		noLeaks(t)
	})
	return r.err
}

// noLeaks fails t if goroutines of package uplink outlive Run.
func noLeaks(t testing.TB) {
	t.Helper()
	var stacks string
	ok := poll(2*time.Second, func() bool {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		stacks = ""
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			if strings.Contains(g, "stolik/agent/uplink.") {
				stacks += g + "\n\n"
			}
		}
		return stacks == ""
	})
	if !ok {
		t.Errorf("goroutines left after Run returned:\n%s", stacks)
	}
}

// poll calls cond until it holds or the time is up.
func poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// eventually fails t unless cond holds within 5 seconds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !poll(5*time.Second, cond) {
		t.Fatalf("timed out waiting until %s", what)
	}
}

// consistently fails t if cond stops holding during d.
func consistently(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if poll(d, func() bool { return !cond() }) {
		t.Fatalf("%s stopped holding", what)
	}
}

// deadURL returns a URL on which nothing listens.
func deadURL(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(nil)
	srv.Close()
	return srv.URL
}

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// backoffs records the backoff ceilings an uplink chose.
type backoffs struct {
	mu       sync.Mutex
	ceilings []time.Duration
}

func (b *backoffs) hook(u *uplink.Uplink) {
	uplink.SetBackoff(u, nil, func(ceiling, d time.Duration) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.ceilings = append(b.ceilings, ceiling)
	})
}

func (b *backoffs) get() []time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Duration(nil), b.ceilings...)
}

// isErr reports whether err wraps target.
func isErr(err, target error) bool { return err != nil && errors.Is(err, target) }
