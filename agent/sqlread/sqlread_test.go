package sqlread_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/sqlread"
	"github.com/stolik/stolik/agent/sqlread/sqlreadtest"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/shared/wire"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var queries = sqlreadtest.Queries

// vendorDB makes the vendor's database (2 halls of 2 tables) with a
// read-only role, and returns it with the owner's URL and the read-only
// role's URL and name.
func vendorDB(t testing.TB) (v *sqlreadtest.Vendor, admin, ro, role string) {
	t.Helper()
	ctx := context.Background()
	admin = pgtest.URL(t)
	v, err := sqlreadtest.Create(ctx, admin, sqlreadtest.Layout{Halls: 2, TablesPerHall: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	role = "stolik_ro_" + hex.EncodeToString(b)
	ro, err = v.ReadOnlyRole(ctx, role, hex.EncodeToString(b)+"pw", "stolik-sqlread")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Before the database is dropped: the role's grants live in it.
		pgtest.Terminate(t, admin, "stolik-sqlread")
		_ = v.DropRole(context.Background(), role)
	})
	return v, admin, ro, role
}

func exec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", strings.Fields(q)[0], err)
	}
}

func newConnector(t testing.TB, dsn string, q sqlread.Queries) *sqlread.Connector {
	t.Helper()
	cfg := sqlreadtest.Config(dsn)
	cfg.Queries = q
	c, err := sqlread.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			v, admin, ro, role := vendorDB(t)
			return newConnector(t, ro, queries), &venue{v: v, admin: admin, role: role}
		},
		Skip: map[string]string{
			connectortest.SkipWrite: "sqlread only reads; bookings for such a venue are " +
				"confirmed by staff",
			connectortest.SkipLose:  "nothing is written, so no answer can be lost",
			connectortest.SkipLock:  "nothing is cancelled through the connector",
			connectortest.SkipToken: "a database session has no token to expire",
		},
		CancelledAtTill: connectortest.CancelledShown,
	})
}

// venue changes the vendor tables directly, as the RMS's till would.
type venue struct {
	v           *sqlreadtest.Vendor
	admin, role string
}

func (v *venue) OpenOrder(t testing.TB, tableID string, guests int) string {
	t.Helper()
	id, err := v.v.OpenOrder(context.Background(), tableID, guests, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v *venue) CloseOrder(t testing.TB, orderID string) {
	t.Helper()
	if err := v.v.CloseOrder(context.Background(), orderID, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func (v *venue) AddReservation(t testing.TB, r wire.Reservation) string {
	t.Helper()
	id, err := v.v.AddReservation(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v *venue) Reservations(t testing.TB) []wire.Reservation {
	t.Helper()
	c := newConnector(t, v.admin, queries)
	st, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Reservations
}

func (v *venue) SetDown(t testing.TB, down bool) {
	t.Helper()
	if down {
		exec(t, v.v.DB(), `ALTER ROLE `+v.role+` NOLOGIN`)
		pgtest.Terminate(t, v.admin, "stolik-sqlread")
		return
	}
	exec(t, v.v.DB(), `ALTER ROLE `+v.role+` LOGIN`)
}

func (v *venue) LoseNextAnswer(t testing.TB) { t.Fatal("not simulated") }
func (v *venue) Lock(t testing.TB, _ string) { t.Fatal("not simulated") }
func (v *venue) ExpireToken(t testing.TB)    { t.Fatal("not simulated") }

func TestTransactionIsReadOnly(t *testing.T) {
	// Even with an account that may write, the snapshot's transaction
	// refuses a query that tries to.
	_, admin, _, _ := vendorDB(t)
	q := queries
	q.Reservations = `WITH gone AS (DELETE FROM vendor.bookings RETURNING *)
		SELECT booking_id AS id, desk_id AS table_id, starts AS start, minutes AS duration
		FROM gone`
	_, err := newConnector(t, admin, q).Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "sqlread reservations query") ||
		!strings.Contains(err.Error(), "read-only transaction") {
		t.Fatalf("snapshot with a deleting query = %v, want a read-only refusal naming it", err)
	}
}

func TestUnexpectedColumns(t *testing.T) {
	_, _, ro, _ := vendorDB(t)
	q := queries
	q.Tables = `SELECT desk_id AS id, zone_id AS hall_id, num, places AS seats FROM vendor.desks`
	_, err := newConnector(t, ro, q).Snapshot(context.Background())
	want := "sqlread tables query: its columns lack number and include unexpected num: it " +
		"returned id, hall_id, num, seats; expected id, hall_id, number, seats " +
		"[, name, x, y, w, h]"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("snapshot = %v\nwant an error containing %q", err, want)
	}
}

func TestBadValueNamesRow(t *testing.T) {
	v, _, ro, _ := vendorDB(t)
	exec(t, v.DB(), `INSERT INTO vendor.bookings (desk_id, starts, minutes, persons,
		state) VALUES (1, '2026-12-05 19:00', 120, 2, 'Странная')`)
	_, err := newConnector(t, ro, queries).Snapshot(context.Background())
	want := `sqlread reservations query: row 1 (id 1): status "Странная" is not mapped`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("snapshot = %v, want %q", err, want)
	}
}

func TestTimesMergesAndStatuses(t *testing.T) {
	v, _, ro, _ := vendorDB(t)
	exec(t, v.DB(), `INSERT INTO vendor.checks (check_id, opened, persons)
		VALUES (7, '2026-12-05 18:30', 5);
		INSERT INTO vendor.check_desks VALUES (7, 1), (7, 2);
		INSERT INTO vendor.bookings (desk_id, starts, minutes, persons, guest, phone, state, ext_id)
		VALUES (3, '2026-12-05 19:00', 90, 4, 'Анна', '+79161234567', 'Отменена', 'bk-1')`)
	q := queries
	q.Halls = "" // halls from tables
	st, err := newConnector(t, ro, q).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Halls) != 2 || len(st.Tables) != 4 {
		t.Errorf("%d halls and %d tables, want 2 and 4", len(st.Halls), len(st.Tables))
	}
	if len(st.Orders) != 1 || !slices.Equal(st.Orders[0].TableIDs, []string{"1", "2"}) ||
		!st.Orders[0].OpenedAt.Equal(time.Date(2026, 12, 5, 15, 30, 0, 0, time.UTC)) ||
		st.Orders[0].Guests != 5 {
		t.Errorf("orders = %+v, want check 7 on tables 1 and 2 opened 15:30 UTC", st.Orders)
	}
	want := wire.Reservation{ID: "1", TableIDs: []string{"3"},
		Start:    time.Date(2026, 12, 5, 16, 0, 0, 0, time.UTC),
		Duration: wire.Duration(90 * time.Minute),
		Guests:   4, Name: "Анна", Phone: "+79161234567", Status: wire.ReservationCancelled,
		BookingID: "bk-1"}
	if len(st.Reservations) != 1 || !st.Reservations[0].Start.Equal(want.Start) ||
		st.Reservations[0].Status != want.Status || st.Reservations[0].BookingID != "bk-1" ||
		st.Reservations[0].Duration != want.Duration {
		t.Errorf("reservations = %+v, want %+v", st.Reservations, want)
	}
	if loc := st.Reservations[0].Start.Location(); loc != time.UTC {
		t.Errorf("start in %v, want UTC", loc)
	}
}

func TestTimestampWithZoneIsAnInstant(t *testing.T) {
	_, _, ro, _ := vendorDB(t)
	q := queries
	q.Orders = `SELECT 1 AS id, 1 AS table_id,
		timestamptz '2026-12-05 18:30:00+03' AS opened_at`
	st, err := newConnector(t, ro, q).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Orders[0].OpenedAt; !got.Equal(time.Date(2026, 12, 5, 15, 30, 0, 0, time.UTC)) ||
		got.Location() != time.UTC {
		t.Errorf("opened at %v, want 15:30 UTC", got)
	}
}

func TestDownNamesTheFix(t *testing.T) {
	c := newConnector(t, "postgres://nobody@127.0.0.1:1/rms?connect_timeout=2", queries)
	_, err := c.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "sqlread: connect to the postgres database") {
		t.Fatalf("snapshot of an unreachable server = %v", err)
	}
	if fix, ok := agent.FixOf(err); !ok || !strings.Contains(fix.EN, "connector.sqlread.dsn") {
		t.Errorf("fix = %+v, want one naming connector.sqlread.dsn", fix)
	}
}

func TestSlowQueryTimesOut(t *testing.T) {
	_, _, ro, _ := vendorDB(t)
	for _, query := range []string{"tables", "orders", "reservations"} {
		t.Run(query, func(t *testing.T) {
			q := queries
			// The query sleeps longer than the timeout before its rows.
			slow := func(sql string) string {
				return "WITH s AS (SELECT pg_sleep(5)) SELECT q.* FROM (" + sql + ") q, s"
			}
			switch query {
			case "tables":
				q.Tables = slow(q.Tables)
			case "orders":
				q.Orders = slow(q.Orders)
			default:
				q.Reservations = slow(q.Reservations)
			}
			cfg := sqlreadtest.Config(ro)
			cfg.Queries = q
			cfg.QueryTimeout = time.Second
			c, err := sqlread.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			began := time.Now()
			_, err = c.Snapshot(context.Background())
			if took := time.Since(began); took > 4*time.Second {
				t.Errorf("snapshot took %v with a 1s timeout", took)
			}
			if err == nil {
				t.Fatal("a snapshot past its timeout succeeded")
			}
			for _, want := range []string{"sqlread " + query + " query", "timed out after 1s"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			fix, ok := agent.FixOf(err)
			if !ok || !strings.Contains(fix.EN, "an index") ||
				!strings.Contains(fix.EN, "query_timeout") || strings.Contains(fix.EN, "dsn") {
				t.Errorf("fix = %+v, want an index or a larger timeout, not the DSN", fix)
			}
		})
	}
}

func TestServerSilentWhileStarting(t *testing.T) {
	// A server that accepts the connection and never answers: the
	// transaction cannot start within the timeout. That is no DSN problem.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	cfg := sqlreadtest.Config("postgres://ro:pw@" + l.Addr().String() + "/rms?sslmode=disable")
	cfg.QueryTimeout = time.Second
	c, err := sqlread.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not answer within 1s") {
		t.Fatalf("snapshot of a silent server = %v, want a timeout", err)
	}
	if fix, ok := agent.FixOf(err); !ok || strings.Contains(fix.EN, "dsn") ||
		!strings.Contains(fix.EN, "query_timeout") {
		t.Errorf("fix = %+v, want the server's load or a larger timeout, not the DSN", fix)
	}
}
