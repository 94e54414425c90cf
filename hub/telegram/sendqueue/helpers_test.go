package sendqueue_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openBolt opens a fresh embedded store for t.
func openBolt(t testing.TB) hub.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatalf("open bolt store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgres opens a fresh PostgreSQL store for t.
func openPostgres(t testing.TB) hub.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{URL: pgtest.URL(t)})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testLogger logs to the test output when STOLIK_TEST_LOG is set.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("STOLIK_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newQueue returns a queue on store sending to the fake.
func newQueue(t testing.TB, store hub.Store, fake *telegramtest.Server,
	opts sendqueue.Options) *sendqueue.Queue {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	api := &sendqueue.BotAPI{URL: fake.URL(), Token: "1:test"}
	return sendqueue.New(store, api, opts)
}

// run runs q until the test ends (or until the returned stop is called)
// and checks that Run returns nil.
func run(t testing.TB, q *sendqueue.Queue) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return within 10s of its context ending")
		}
	}
	t.Cleanup(stop)
	return stop
}

func enqueue(t testing.TB, q *sendqueue.Queue, m sendqueue.Message) {
	t.Helper()
	if err := q.Enqueue(context.Background(), m); err != nil {
		t.Fatalf("enqueue %s: %v", m.Key, err)
	}
}

// waitState polls the store until the message with key is in state want.
func waitState(t testing.TB, s hub.Store, key string, want hub.OutgoingState,
	within time.Duration) hub.Outgoing {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m, err := s.Outgoing(context.Background(), key)
		if err == nil && m.State == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s after %v: %+v (err %v), want state %s", key, within, m, err,
				want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFor polls until cond holds.
func waitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func key(prefix string, i int) string { return fmt.Sprintf("%s_%04d", prefix, i) }
