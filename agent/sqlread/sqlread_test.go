package sqlread_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/sqlread"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/shared/wire"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The vendor schema stands in for an RMS's own database: its names, its
// wall-clock timestamps, a join table for checks on several tables.
const vendorSchema = `
CREATE SCHEMA vendor;
CREATE TABLE vendor.zones (zone_id int PRIMARY KEY, title text NOT NULL);
CREATE TABLE vendor.desks (desk_id int PRIMARY KEY, zone_id int NOT NULL REFERENCES vendor.zones,
	num text NOT NULL, places int NOT NULL);
CREATE TABLE vendor.checks (check_id bigserial PRIMARY KEY, opened timestamp NOT NULL,
	persons int, closed timestamp);
CREATE TABLE vendor.check_desks (check_id bigint REFERENCES vendor.checks, desk_id int);
CREATE TABLE vendor.bookings (booking_id bigserial PRIMARY KEY, desk_id int NOT NULL,
	starts timestamp NOT NULL, minutes int NOT NULL, persons int NOT NULL, guest text,
	phone text, state text NOT NULL DEFAULT 'Принята', ext_id text);
INSERT INTO vendor.zones VALUES (1, 'Основной зал'), (2, 'Веранда');
INSERT INTO vendor.desks VALUES (1, 1, '1', 4), (2, 1, '2', 2), (3, 2, '5', 6), (4, 2, '6', 2);
`

var queries = sqlread.Queries{
	Halls: `SELECT zone_id AS id, title AS name FROM vendor.zones`,
	Tables: `SELECT desk_id AS id, zone_id AS hall_id, num AS number, places AS seats
		FROM vendor.desks`,
	Orders: `SELECT c.check_id AS id, d.desk_id AS table_id, c.opened AS opened_at,
		c.persons AS guests FROM vendor.checks c JOIN vendor.check_desks d USING (check_id)
		WHERE c.closed IS NULL`,
	Reservations: `SELECT booking_id AS id, desk_id AS table_id, starts AS start,
		minutes AS duration, persons AS guests, guest AS name, phone, state AS status,
		ext_id AS booking_id FROM vendor.bookings`,
}

var statuses = map[string]string{"Принята": "confirmed", "Отменена": "cancelled",
	"Пришли": "seated"}

const zone = "Europe/Moscow"

// vendorDB makes a database with the vendor schema and a read-only role,
// and returns the owner's URL and the read-only role's URL and name.
func vendorDB(t testing.TB) (admin, ro, role string) {
	t.Helper()
	admin = pgtest.URL(t)
	db := open(t, admin)
	exec(t, db, vendorSchema)

	b := make([]byte, 4)
	_, _ = rand.Read(b)
	role = "stolik_ro_" + hex.EncodeToString(b)
	password := hex.EncodeToString(b) + "pw"
	exec(t, db, `CREATE ROLE `+role+` LOGIN PASSWORD '`+password+`';
		GRANT USAGE ON SCHEMA vendor TO `+role+`;
		GRANT SELECT ON ALL TABLES IN SCHEMA vendor TO `+role)
	t.Cleanup(func() {
		// Before the database is dropped: the role's grants live in it.
		_, _ = db.Exec(`DROP OWNED BY ` + role)
		pgtest.Terminate(t, admin, "stolik-sqlread")
		_, _ = db.Exec(`DROP ROLE ` + role)
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	q := u.Query()
	q.Set("application_name", "stolik-sqlread")
	u.RawQuery = q.Encode()
	return admin, u.String(), role
}

func open(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", strings.Fields(q)[0], err)
	}
}

func newConnector(t testing.TB, dsn string, q sqlread.Queries) *sqlread.Connector {
	t.Helper()
	c, err := sqlread.New(sqlread.Config{Driver: "postgres", DSN: dsn, TimeZone: zone,
		QueryTimeout: 5 * time.Second, Queries: q, Statuses: statuses})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			admin, ro, role := vendorDB(t)
			return newConnector(t, ro, queries), &venue{db: open(t, admin), admin: admin,
				role: role}
		},
		Skip: map[string]string{
			connectortest.SkipWrite: "sqlread only reads; bookings for such a venue are " +
				"confirmed by staff",
			connectortest.SkipLose:  "nothing is written, so no answer can be lost",
			connectortest.SkipLock:  "nothing is cancelled through the connector",
			connectortest.SkipToken: "a database session has no token to expire",
		},
	})
}

// venue changes the vendor tables directly, as the RMS's till would.
type venue struct {
	db          *sql.DB
	admin, role string
}

func local(t time.Time) time.Time {
	loc, _ := time.LoadLocation(zone)
	return time.Date(t.In(loc).Year(), t.In(loc).Month(), t.In(loc).Day(), t.In(loc).Hour(),
		t.In(loc).Minute(), t.In(loc).Second(), 0, time.UTC)
}

func (v *venue) OpenOrder(t testing.TB, tableID string, guests int) string {
	t.Helper()
	var id string
	err := v.db.QueryRow(`WITH c AS (INSERT INTO vendor.checks (opened, persons)
		VALUES ($1, $2) RETURNING check_id)
		INSERT INTO vendor.check_desks SELECT check_id, $3::int FROM c RETURNING check_id::text`,
		local(time.Now()), guests, tableID).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v *venue) CloseOrder(t testing.TB, orderID string) {
	t.Helper()
	exec(t, v.db, `UPDATE vendor.checks SET closed = now() WHERE check_id = $1::bigint`, orderID)
}

func (v *venue) AddReservation(t testing.TB, r wire.Reservation) string {
	t.Helper()
	var id string
	err := v.db.QueryRow(`INSERT INTO vendor.bookings (desk_id, starts, minutes, persons,
		guest, phone) VALUES ($1::int, $2, $3, $4, $5, $6) RETURNING booking_id::text`,
		r.TableIDs[0], local(r.Start), int(time.Duration(r.Duration)/time.Minute), r.Guests,
		r.Name, r.Phone).Scan(&id)
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
		exec(t, v.db, `ALTER ROLE `+v.role+` NOLOGIN`)
		pgtest.Terminate(t, v.admin, "stolik-sqlread")
		return
	}
	exec(t, v.db, `ALTER ROLE `+v.role+` LOGIN`)
}

func (v *venue) LoseNextAnswer(t testing.TB) { t.Fatal("not simulated") }
func (v *venue) Lock(t testing.TB, _ string) { t.Fatal("not simulated") }
func (v *venue) ExpireToken(t testing.TB)    { t.Fatal("not simulated") }

func TestReadOnlyRoleCannotWrite(t *testing.T) {
	_, ro, _ := vendorDB(t)
	_, err := open(t, ro).Exec(`INSERT INTO vendor.zones VALUES (9, 'Бар')`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		t.Fatalf("insert as the read-only role = %v, want permission denied (42501)", err)
	}
}

func TestTransactionIsReadOnly(t *testing.T) {
	// Even with an account that may write, the snapshot's transaction
	// refuses a query that tries to.
	admin, _, _ := vendorDB(t)
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
	_, ro, _ := vendorDB(t)
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
	admin, ro, _ := vendorDB(t)
	exec(t, open(t, admin), `INSERT INTO vendor.bookings (desk_id, starts, minutes, persons,
		state) VALUES (1, '2026-12-05 19:00', 120, 2, 'Странная')`)
	_, err := newConnector(t, ro, queries).Snapshot(context.Background())
	want := `sqlread reservations query: row 1 (id 1): status "Странная" is not mapped`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("snapshot = %v, want %q", err, want)
	}
}

func TestTimesMergesAndStatuses(t *testing.T) {
	admin, ro, _ := vendorDB(t)
	db := open(t, admin)
	exec(t, db, `INSERT INTO vendor.checks (check_id, opened, persons)
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
	_, ro, _ := vendorDB(t)
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
