// Package sqlreadtest is a vendor's database for the read-only database
// connector: the tables an RMS without an API might keep in PostgreSQL
// (zones, desks, checks, bookings, in the style of a small Russian RMS), the
// connector's queries and status words for them, a read-only role such as a
// dealer grants, and staff at the till opening checks and taking phone
// bookings. The connector's tests and the demo use it.
package sqlreadtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/stolik/stolik/agent/sqlread"
	"github.com/stolik/stolik/shared/wire"
)

// Schema creates the vendor's tables in the schema "vendor". Timestamps
// are the venue's wall clock (no zone); a check on several desks has a row
// per desk in check_desks; a closed check keeps its row with closed set.
const Schema = `
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
`

// Queries read Schema, in the connector's columns.
var Queries = sqlread.Queries{
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

// The words the vendor stores in bookings.state.
const (
	StateAccepted  = "Принята"
	StateCancelled = "Отменена"
	StateArrived   = "Пришли"
)

// Statuses map the vendor's booking states to the connector's.
var Statuses = map[string]string{StateAccepted: "confirmed", StateCancelled: "cancelled",
	StateArrived: "seated"}

// TimeZone is the venue's zone, in which the vendor's timestamps are.
const TimeZone = "Europe/Moscow"

// Config is the connector's config for the vendor's database at dsn.
func Config(dsn string) sqlread.Config {
	return sqlread.Config{Driver: "postgres", DSN: dsn, TimeZone: TimeZone,
		QueryTimeout: 5 * time.Second, Queries: Queries, Statuses: Statuses}
}

// Layout is how many halls and tables Create makes. Desks are numbered
// from 1 across halls (desk_id and num alike); zones from 1.
type Layout struct {
	Halls, TablesPerHall int
}

var hallNames = []string{"Основной зал", "Веранда", "Банкетный зал", "Бар"}

// Vendor is the vendor's database, changed the way the RMS itself writes
// it. Its methods are safe for concurrent use.
type Vendor struct {
	db  *sql.DB
	dsn string
	loc *time.Location
}

// Create makes Schema in the database at dsn (as a role that may create
// schemas and roles) and fills it with l.
func Create(ctx context.Context, dsn string, l Layout) (*Vendor, error) {
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	v := &Vendor{db: db, dsn: dsn, loc: loc}
	if _, err := db.ExecContext(ctx, Schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create the vendor schema: %w", err)
	}
	if err := v.fill(ctx, l); err != nil {
		db.Close()
		return nil, fmt.Errorf("fill the vendor schema: %w", err)
	}
	return v, nil
}

func (v *Vendor) fill(ctx context.Context, l Layout) error {
	seats := []int{4, 2, 6, 2}
	desk := 0
	for h := 1; h <= l.Halls; h++ {
		name := "Зал " + strconv.Itoa(h)
		if h <= len(hallNames) {
			name = hallNames[h-1]
		}
		if _, err := v.db.ExecContext(ctx, `INSERT INTO vendor.zones VALUES ($1, $2)`,
			h, name); err != nil {
			return err
		}
		for range l.TablesPerHall {
			desk++
			_, err := v.db.ExecContext(ctx, `INSERT INTO vendor.desks VALUES ($1, $2, $3, $4)`,
				desk, h, strconv.Itoa(desk), seats[(desk-1)%len(seats)])
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// DB is the vendor's own connection, with every right.
func (v *Vendor) DB() *sql.DB { return v.db }

// Close closes the vendor's connections.
func (v *Vendor) Close() error { return v.db.Close() }

// ReadOnlyRole creates a login role that can only read the vendor's tables,
// as a dealer grants to an integration: USAGE on the schema, SELECT on its
// tables, and every transaction read-only by default. It returns a DSN for
// the role, with application_name set to app. name must be a plain
// lower-case identifier.
func (v *Vendor) ReadOnlyRole(ctx context.Context, name, password, app string) (string, error) {
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return "", fmt.Errorf("role name %q: use lower-case letters, digits and _", name)
		}
	}
	role := pgx.Identifier{name}.Sanitize()
	stmts := []string{
		`CREATE ROLE ` + role + ` LOGIN PASSWORD ` + literal(password),
		`ALTER ROLE ` + role + ` SET default_transaction_read_only = on`,
		`GRANT USAGE ON SCHEMA vendor TO ` + role,
		`GRANT SELECT ON ALL TABLES IN SCHEMA vendor TO ` + role,
	}
	for _, s := range stmts {
		if _, err := v.db.ExecContext(ctx, s); err != nil {
			return "", fmt.Errorf("create the read-only role %s: %w", name, err)
		}
	}
	u, err := url.Parse(v.dsn)
	if err != nil {
		return "", fmt.Errorf("the vendor DSN does not parse as a URL")
	}
	u.User = url.UserPassword(name, password)
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DropRole removes a role ReadOnlyRole made, with its grants.
func (v *Vendor) DropRole(ctx context.Context, name string) error {
	role := pgx.Identifier{name}.Sanitize()
	if _, err := v.db.ExecContext(ctx, `DROP OWNED BY `+role); err != nil {
		return err
	}
	_, err := v.db.ExecContext(ctx, `DROP ROLE `+role)
	return err
}

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// wall is t on the venue's wall clock, as the vendor stores it.
func (v *Vendor) wall(t time.Time) time.Time {
	l := t.In(v.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0,
		time.UTC)
}

// OpenOrder opens a check on a desk at at, as a waiter does, and returns
// its id.
func (v *Vendor) OpenOrder(ctx context.Context, deskID string, guests int,
	at time.Time) (string, error) {
	var id string
	err := v.db.QueryRowContext(ctx, `WITH c AS (INSERT INTO vendor.checks (opened, persons)
		VALUES ($1, $2) RETURNING check_id)
		INSERT INTO vendor.check_desks SELECT check_id, $3::int FROM c RETURNING check_id::text`,
		v.wall(at), guests, deskID).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("open a check on desk %s: %w", deskID, err)
	}
	return id, nil
}

// CloseOrder closes (pays) a check at at.
func (v *Vendor) CloseOrder(ctx context.Context, checkID string, at time.Time) error {
	_, err := v.db.ExecContext(ctx, `UPDATE vendor.checks SET closed = $2
		WHERE check_id = $1::bigint`, checkID, v.wall(at))
	if err != nil {
		return fmt.Errorf("close check %s: %w", checkID, err)
	}
	return nil
}

// AddReservation records a phone booking on r's first table and returns
// its id. Only TableIDs, Start, Duration, Guests, Name and Phone are read.
func (v *Vendor) AddReservation(ctx context.Context, r wire.Reservation) (string, error) {
	if len(r.TableIDs) == 0 {
		return "", fmt.Errorf("a booking needs a desk")
	}
	var id string
	err := v.db.QueryRowContext(ctx, `INSERT INTO vendor.bookings (desk_id, starts, minutes,
		persons, guest, phone) VALUES ($1::int, $2, $3, $4, $5, $6) RETURNING booking_id::text`,
		r.TableIDs[0], v.wall(r.Start), int(time.Duration(r.Duration)/time.Minute), r.Guests,
		r.Name, r.Phone).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("add a booking on desk %s: %w", r.TableIDs[0], err)
	}
	return id, nil
}

// CancelReservation marks a booking cancelled; the row stays.
func (v *Vendor) CancelReservation(ctx context.Context, bookingID string) error {
	_, err := v.db.ExecContext(ctx, `UPDATE vendor.bookings SET state = $2
		WHERE booking_id = $1::bigint`, bookingID, StateCancelled)
	if err != nil {
		return fmt.Errorf("cancel booking %s: %w", bookingID, err)
	}
	return nil
}

// DeleteReservation removes a booking's row, as staff deleting it do.
func (v *Vendor) DeleteReservation(ctx context.Context, bookingID string) error {
	_, err := v.db.ExecContext(ctx, `DELETE FROM vendor.bookings WHERE booking_id = $1::bigint`,
		bookingID)
	if err != nil {
		return fmt.Errorf("delete booking %s: %w", bookingID, err)
	}
	return nil
}
