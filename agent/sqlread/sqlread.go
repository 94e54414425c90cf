// Package sqlread is the connector that reads a venue straight from its
// RMS's database, for an RMS without an API whose vendor or dealer grants
// a read-only database account (Smart Touch POS, or an R-Keeper or iiko
// server database). It only reads: it is not an agent.ReservationWriter,
// so bookings for such a venue are confirmed by staff (manual mode).
//
// # Configuration
//
//	connector:
//	  kind: sqlread
//	  sqlread:
//	    driver: postgres            # or sqlserver
//	    # dsn: in STOLIK_SQLREAD_DSN, as it holds a password
//	    time_zone: Europe/Moscow
//	    query_timeout: 10s
//	    queries:
//	      tables: SELECT desk_id AS id, zone_id AS hall_id, num AS number, places AS seats
//	              FROM vendor.desks
//	      orders: ...
//	      reservations: ...
//	    statuses: {"Принята": confirmed, "Отменена": cancelled}
//
// # Queries
//
// The RMS's schema is the vendor's, so the queries come from the config;
// each returns named columns (aliases: AS id), any order, [optional]:
//
//	halls         id, name                                  (optional query; without
//	                                                         it halls come from tables)
//	tables        id, hall_id, number, seats[, name, x, y, w, h]
//	orders        id, table_id, opened_at[, guests, status]  open orders only
//	reservations  id, table_id, start, duration | end[, guests, name, phone,
//	              comment, status, booking_id]
//
// An order or reservation on several tables comes as several rows with the
// same id, one per table; they are merged. duration is in minutes; end is
// a timestamp. status words are mapped through Config.Statuses (new,
// confirmed, seated and cancelled map to themselves; empty is new). Ids
// may be numbers, text or UUIDs. A query returning a column not listed
// above, or lacking a required one, fails the snapshot with an error
// naming the query and both column lists.
//
// Timestamps with a zone (timestamptz, datetimeoffset) are instants;
// timestamps without one (timestamp, datetime, datetime2) are the venue's
// wall clock in Config.TimeZone. All come out in UTC.
//
// # Never writing
//
// Every snapshot runs its queries in one transaction that is rolled back,
// never committed. On PostgreSQL it is READ ONLY and REPEATABLE READ, so
// the server itself refuses any write a query might attempt and the four
// queries see one consistent moment. SQL Server has no read-only
// transaction: there the transaction is READ COMMITTED (or SNAPSHOT, with
// isolation: snapshot) and the guarantee must come from the account, which
// must be read-only: a login mapped to a user in the RMS database with
// only the db_datareader role (or SELECT on the few tables the queries
// read), and no other role. Give PostgreSQL the same kind of account (a
// role with only USAGE on the schema and SELECT on the tables): two locks
// are better than one.
package sqlread

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"  // registers "pgx"
	_ "github.com/microsoft/go-mssqldb" // registers "sqlserver"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Connector reads a venue with the configured queries. It is safe for
// concurrent use.
type Connector struct {
	cfg      Config
	db       *sql.DB
	loc      *time.Location
	timeout  time.Duration
	statuses map[string]string
}

// New checks cfg and prepares a connection pool; it does not connect
// until the first Snapshot.
func New(cfg Config) (*Connector, error) {
	if probs := cfg.Problems(); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = "connector.sqlread." + p.Field + ": " + p.Message
		}
		return nil, fmt.Errorf("sqlread: %s", strings.Join(msgs, "; "))
	}
	name, err := driverName(cfg.Driver)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(name, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("sqlread: open %s: %w", cfg.Driver, err)
	}
	// A poll every few seconds needs one connection; a second covers a
	// resync running beside it.
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(time.Minute)
	c := &Connector{cfg: cfg, db: db, timeout: cfg.QueryTimeout,
		statuses: map[string]string{}}
	if c.loc, err = time.LoadLocation(cfg.TimeZone); err != nil {
		_ = db.Close()
		return nil, err
	}
	if c.timeout == 0 {
		c.timeout = DefaultQueryTimeout
	}
	for _, s := range []string{"new", "confirmed", "seated", "cancelled"} {
		c.statuses[s] = s
	}
	for w, s := range cfg.Statuses {
		c.statuses[w] = s
	}
	return c, nil
}

// Close closes the connection pool.
func (c *Connector) Close() error { return c.db.Close() }

// Kind returns "sqlread".
func (c *Connector) Kind() string { return "sqlread" }

// Snapshot runs the queries in one read-only transaction.
func (c *Connector) Snapshot(ctx context.Context) (agent.State, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if c.cfg.Driver == "sqlserver" {
		// go-mssqldb refuses ReadOnly: SQL Server has no such transaction.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
		if c.cfg.Isolation == "snapshot" {
			opts.Isolation = sql.LevelSnapshot
		}
	}
	tx, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return agent.State{}, c.connError(ctx, err)
	}
	defer func() { _ = tx.Rollback() }() // never commit: nothing is written

	var st agent.State
	if c.cfg.Queries.Halls != "" {
		if st.Halls, err = c.halls(ctx, tx); err != nil {
			return agent.State{}, err
		}
	}
	if st.Tables, err = c.tables(ctx, tx); err != nil {
		return agent.State{}, err
	}
	// Without a halls query, halls come from the tables; with one, a table
	// in a hall it does not list still gets its hall, named by its id.
	for _, t := range st.Tables {
		if !slices.ContainsFunc(st.Halls, func(h wire.Hall) bool { return h.ID == t.HallID }) {
			st.Halls = append(st.Halls, wire.Hall{ID: t.HallID, Name: t.HallID})
		}
	}
	if st.Orders, err = c.orders(ctx, tx); err != nil {
		return agent.State{}, err
	}
	if st.Reservations, err = c.reservations(ctx, tx); err != nil {
		return agent.State{}, err
	}
	return st, nil
}

// connError says what to do about a failure to reach the database.
func (c *Connector) connError(ctx context.Context, err error) error {
	if timedOut(ctx, err) {
		return agent.WithFix(fmt.Errorf("sqlread: the %s database did not answer within %v "+
			"(query_timeout) while the snapshot's transaction was starting: %w",
			c.cfg.Driver, c.timeout, err),
			"check that the database server is up and not overloaded (a long backup, a lock, "+
				"a full disk) and that the network to it is not dropping packets; or raise "+
				"connector.sqlread.query_timeout in agent.yaml",
			"проверьте, что сервер базы данных работает и не перегружен (долгое резервное "+
				"копирование, блокировка, заполненный диск) и что сеть до него не теряет "+
				"пакеты; или увеличьте connector.sqlread.query_timeout в agent.yaml")
	}
	return agent.WithFix(fmt.Errorf("sqlread: connect to the %s database: %w", c.cfg.Driver, err),
		"check connector.sqlread.dsn in agent.yaml (or STOLIK_SQLREAD_DSN): the server "+
			"address, database, user and password, and that the server accepts the agent",
		"проверьте connector.sqlread.dsn в agent.yaml (или STOLIK_SQLREAD_DSN): адрес "+
			"сервера, базу, пользователя и пароль, и что сервер принимает подключения агента")
}

// timedOut reports whether err came from the snapshot's deadline.
func timedOut(ctx context.Context, err error) bool {
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// queryError names the query that failed and, for a refused permission or
// a timeout, the fix.
func (c *Connector) queryError(ctx context.Context, query string, err error) error {
	if timedOut(ctx, err) {
		return agent.WithFix(fmt.Errorf("sqlread %s query: timed out after %v "+
			"(query_timeout, which bounds all of a snapshot's queries): %w", query, c.timeout, err),
			"make the "+query+" query faster (an index on the columns it filters and joins "+
				"on, or fewer rows: only open orders, only reservations around today), or "+
				"raise connector.sqlread.query_timeout in agent.yaml",
			"ускорьте запрос "+query+" (индекс по столбцам, по которым он фильтрует и "+
				"соединяет таблицы, или меньше строк: только открытые заказы, только брони "+
				"около сегодняшнего дня) или увеличьте connector.sqlread.query_timeout в "+
				"agent.yaml")
	}
	err = fmt.Errorf("sqlread %s query: %w", query, err)
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "permission denied") || strings.Contains(msg, "denied") {
		return agent.WithFix(err,
			"grant the agent's read-only account SELECT on the tables the "+query+" query reads",
			"выдайте учётной записи агента (только чтение) право SELECT на таблицы запроса "+query)
	}
	return err
}
