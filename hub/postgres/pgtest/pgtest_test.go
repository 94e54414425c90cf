package pgtest_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestURL checks that each call gives its own empty database and that the
// database is gone after the test that asked for it.
func TestURL(t *testing.T) {
	ctx := context.Background()
	var first string
	t.Run("first", func(t *testing.T) {
		first = pgtest.URL(t)
		conn := connect(t, first)
		if _, err := conn.Exec(ctx, "CREATE TABLE mine (id int)"); err != nil {
			t.Fatal(err)
		}
		var tables int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables
			WHERE schemaname = 'public'`).Scan(&tables)
		if err != nil || tables != 1 {
			t.Fatalf("tables in the database: %d, %v; want 1", tables, err)
		}
	})

	second := pgtest.URL(t)
	if second == first {
		t.Fatalf("two calls gave the same database %s", first)
	}
	conn := connect(t, second)
	var tables int
	err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables
		WHERE schemaname = 'public'`).Scan(&tables)
	if err != nil || tables != 0 {
		t.Fatalf("tables in a fresh database: %d, %v; want 0", tables, err)
	}

	if c, err := pgx.Connect(ctx, first); err == nil {
		c.Close(ctx)
		t.Fatal("the first test's database still exists after it ended")
	}
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestStart checks a cluster started outside the tests' own: it serves
// its URL, and Stop ends the server and removes its directory.
func TestStart(t *testing.T) {
	if err := pgtest.Installed(); err != nil {
		if os.Getenv(pgtest.EnvRequire) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	c, err := pgtest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			c.Stop()
		}
	})

	ctx := context.Background()
	conn := connect(t, c.URL())
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	postmaster, err := strconv.Atoi(strings.SplitN(string(raw), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the cluster's data directory is still there after Stop: %v", err)
	}
	// pg_ctl returns once the server removed its pid file, a moment before
	// the process is gone and reaped.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(postmaster, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the server (pid %d) still runs 10s after Stop", postmaster)
			break
		}
	}
	if c2, err := pgx.Connect(ctx, c.URL()); err == nil {
		c2.Close(ctx)
		t.Error("connected to the cluster after Stop")
	}
}
