package pgtest_test

import (
	"context"
	"testing"

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
