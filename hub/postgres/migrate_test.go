package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
)

// connect opens a plain connection to url, closed when t ends.
func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// tables lists the tables of the public schema.
func tables(t testing.TB, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT tablename FROM pg_tables
		WHERE schemaname = 'public' ORDER BY tablename COLLATE "C"`)
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	known := postgres.SchemaVersion()
	if known < 1 {
		t.Fatalf("SchemaVersion() = %d", known)
	}

	from, to, err := postgres.Migrate(ctx, url)
	if err != nil || from != 0 || to != known {
		t.Fatalf("migrate a fresh database: %d to %d, %v; want 0 to %d", from, to, err, known)
	}
	want := []string{
		"agent_samples", "agents", "api_key_venues", "api_keys", "booking_events",
		"booking_tables", "bookings", "commands", "enrollments", "goose_db_version", "guests",
		"incidents", "jobs", "leases", "login_failures", "mirror_halls", "mirror_orders",
		"mirror_reservations", "mirror_tables", "order_turns", "outgoing", "sessions",
		"staff_notices", "table_groups", "table_settings", "telegram_bookings",
		"telegram_chats", "telegram_staff_chats", "telegram_staff_links", "user_venues",
		"users", "venues",
	}
	conn := connect(t, url)
	if d := cmp.Diff(tables(t, conn), want); d != "" {
		t.Errorf("tables after migrating (-got +want):\n%s", d)
	}

	// Again, and through Open: nothing to do.
	from, to, err = postgres.Migrate(ctx, url)
	if err != nil || from != known || to != known {
		t.Fatalf("migrate again: %d to %d, %v; want %d to %d", from, to, err, known, known)
	}
	open(t, url).Close()
	var applied int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM goose_db_version
		WHERE version_id > 0`).Scan(&applied)
	// Versions may skip numbers: one is recorded per migration file.
	files, _ := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || applied != len(files) {
		t.Errorf("%d migrations recorded, %v; want %d", applied, err, len(files))
	}
}

// TestNewerSchema: a database a newer hub migrated is refused by Open and
// Migrate, and left as it is.
func TestNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	if _, _, err := postgres.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, url)
	newer := postgres.SchemaVersion() + 1
	_, err := conn.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied)
		VALUES ($1, true)`, newer)
	if err != nil {
		t.Fatal(err)
	}
	before := tables(t, conn)

	msg := fmt.Sprintf("database schema is version %d, this hub knows up to %d: "+
		"run a newer hub", newer, newer-1)
	s, err := postgres.Open(ctx, postgres.Config{URL: url})
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database with a newer schema")
	}
	if !errors.Is(err, postgres.ErrSchemaTooNew) || !strings.Contains(err.Error(), msg) {
		t.Errorf("Open: %v\nwant ErrSchemaTooNew saying %q", err, msg)
	}
	_, _, err = postgres.Migrate(ctx, url)
	if !errors.Is(err, postgres.ErrSchemaTooNew) || !strings.Contains(err.Error(), msg) {
		t.Errorf("Migrate: %v\nwant ErrSchemaTooNew saying %q", err, msg)
	}
	if d := cmp.Diff(tables(t, conn), before); d != "" {
		t.Errorf("tables changed (-got +want):\n%s", d)
	}
}
