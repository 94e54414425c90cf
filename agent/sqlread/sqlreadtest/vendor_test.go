package sqlreadtest_test

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stolik/stolik/agent/sqlread"
	"github.com/stolik/stolik/agent/sqlread/sqlreadtest"
	"github.com/stolik/stolik/hub/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// vendor makes the vendor's database with 2 halls of 4 tables and a
// read-only role, and returns it with the role's DSN.
func vendor(t *testing.T) (*sqlreadtest.Vendor, string) {
	t.Helper()
	ctx := context.Background()
	admin := pgtest.URL(t)
	v, err := sqlreadtest.Create(ctx, admin, sqlreadtest.Layout{Halls: 2, TablesPerHall: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	role := "stolik_ro_" + strings.ToLower(crand.Text()[:8])
	dsn, err := v.ReadOnlyRole(ctx, role, crand.Text(), "stolik-sqlreadtest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Before the database is dropped: the role's grants live in it.
		pgtest.Terminate(t, admin, "stolik-sqlreadtest")
		if err := v.DropRole(context.Background(), role); err != nil {
			t.Errorf("drop role: %v", err)
		}
	})
	return v, dsn
}

// TestConnectorSeesActivity reads the vendor's database through the
// read-only role while staff work the till, and sees checks open and
// close and bookings come and go.
func TestConnectorSeesActivity(t *testing.T) {
	v, dsn := vendor(t)
	c, err := sqlread.New(sqlreadtest.Config(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	st, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Halls) != 2 || len(st.Tables) != 8 || len(st.Orders) != 0 ||
		len(st.Reservations) != 0 {
		t.Fatalf("a quiet venue: %d halls, %d tables, %d orders, %d reservations; "+
			"want 2, 8, 0, 0", len(st.Halls), len(st.Tables), len(st.Orders),
			len(st.Reservations))
	}

	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Activity(actx, rand.New(rand.NewPCG(1, 2)), 5*time.Millisecond)
	}()
	defer func() { cancel(); <-done }()

	seen := map[string]bool{}
	var openedAt []time.Time
	var prevOrders map[string]bool
	deadline := time.Now().Add(20 * time.Second)
	for len(seen) < 4 && time.Now().Before(deadline) {
		st, err := c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		orders := map[string]bool{}
		for _, o := range st.Orders {
			orders[o.ID] = true
			if !prevOrders[o.ID] {
				openedAt = append(openedAt, o.OpenedAt)
			}
		}
		if len(st.Orders) > 0 {
			seen["order open"] = true
		}
		for id := range prevOrders {
			if !orders[id] {
				seen["order closed"] = true
			}
		}
		prevOrders = orders
		for _, r := range st.Reservations {
			seen["reservation "+string(r.Status)] = true
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{"order open", "order closed", "reservation confirmed",
		"reservation cancelled"} {
		if !seen[want] {
			t.Errorf("in 20s of activity the connector never saw an %s (saw %v)", want, seen)
		}
	}
	// The vendor writes its wall clock; the connector reads it back as now.
	for _, at := range openedAt {
		if d := time.Since(at); d < -2*time.Second || d > time.Minute {
			t.Errorf("an order opened at %v, %v from now", at, d)
			break
		}
	}
}

// TestRoleCannotWrite checks both locks on the dealer's role: every
// transaction is read-only by default, and with that turned off the role
// still has no right to write.
func TestRoleCannotWrite(t *testing.T) {
	_, dsn := vendor(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM vendor.desks`).Scan(&n); err != nil ||
		n != 8 {
		t.Fatalf("the role reads %d desks, %v; want 8", n, err)
	}

	_, err = db.ExecContext(ctx, `INSERT INTO vendor.zones VALUES (9, 'Бар')`)
	if code := pgCode(err); code != "25006" {
		t.Errorf("insert as the role = %v, want a read-only transaction refusal (25006)", err)
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET default_transaction_read_only = off`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`INSERT INTO vendor.zones VALUES (9, 'Бар')`,
		`UPDATE vendor.bookings SET state = 'Отменена'`, `DELETE FROM vendor.checks`,
		`CREATE TABLE vendor.mine (id int)`} {
		_, err := conn.ExecContext(ctx, q)
		if code := pgCode(err); code != "42501" {
			t.Errorf("%s as the role in a read-write transaction = %v, want permission "+
				"denied (42501)", q, err)
		}
	}
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
