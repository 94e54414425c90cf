package postgres_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
)

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestOpenUnreachable: Open keeps trying a database it cannot use for
// StartupRetry, logging why in plain words, then fails saying the same.
func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	good, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	missingDB := *good
	missingDB.Path = "/stolik_no_such_database"
	badUser := *good
	badUser.User = url.User("no_such_role")

	tests := []struct {
		name, url, want string
	}{
		{"host unreachable", "postgres://stolik@" + closedPort(t) + "/stolik?sslmode=disable",
			"host unreachable: cannot connect to 127.0.0.1:"},
		{"database missing", missingDB.String(),
			`database missing: database "stolik_no_such_database" does not exist`},
		{"auth failed", badUser.String(), "authentication failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log syncBuffer
			const retry = time.Second
			start := time.Now()
			s, err := postgres.Open(context.Background(), postgres.Config{
				URL: tc.url, StartupRetry: retry, ConnectTimeout: time.Second,
				Logger: slog.New(slog.NewTextHandler(&log, nil)),
			})
			took := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if took < retry || took > retry+5*time.Second {
				t.Errorf("Open gave up after %v, want a little over %v", took, retry)
			}
			// The text handler quotes the value, escaping its quotes.
			logged := strings.ReplaceAll(tc.want, `"`, `\"`)
			if n := strings.Count(log.String(), "database not ready"); n < 2 ||
				!strings.Contains(log.String(), logged) {
				t.Errorf("%d retries logged, want 2 or more saying %q:\n%s", n, tc.want,
					log.String())
			}
		})
	}
}

// signalWriter closes ready at its first write.
type signalWriter struct {
	once  sync.Once
	ready chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ready) })
	return len(p), nil
}

// TestOpenWaitsForDatabase: a database that appears during StartupRetry,
// here after Open's first failed attempt, is used.
func TestOpenWaitsForDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := pgtest.URL(t)
	u, err := url.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	later := u.Path[1:] + "_later"
	u.Path = "/" + later
	admin := connect(t, good)
	t.Cleanup(func() {
		admin.Exec(ctx, "DROP DATABASE IF EXISTS "+later+" WITH (FORCE)")
	})

	retrying := &signalWriter{ready: make(chan struct{})}
	created := make(chan error, 1)
	go func() {
		<-retrying.ready
		_, err := admin.Exec(ctx, "CREATE DATABASE "+later)
		created <- err
	}()
	s, err := postgres.Open(ctx, postgres.Config{URL: u.String(), StartupRetry: 30 * time.Second,
		Logger: slog.New(slog.NewTextHandler(retrying, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := <-created; err != nil {
		t.Fatal(err)
	}
}
