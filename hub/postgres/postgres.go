// Package postgres is the hub's PostgreSQL store: hub.Store for production
// and for several hub replicas sharing one database. It passes the same
// conformance suite (hub/storetest) as the embedded store.
//
// # Schema
//
// Versioned SQL migrations (migrations/*.sql, embedded, run by goose) bring
// the database up to date when Open runs, or from `stolik-hub migrate`
// through Migrate. Replicas starting together take turns on an advisory
// lock; each migration runs in a transaction. A database whose schema is
// newer than this build knows is refused (ErrSchemaTooNew): an old hub must
// not write into tables it does not understand.
//
//   - venues (policy as JSONB; num, a short integer key for indexes),
//     agents (applied sequence; status as json), enrollments (by hash).
//   - The mirror: mirror_halls, mirror_tables, mirror_orders and
//     mirror_reservations, keyed by (venue, RMS id), each entity's JSON as
//     the agent sent it. Orders and reservations also carry the block they
//     put on their tables: table_ids and a tstzrange, during, with a GiST
//     index on (venue num, during). ApplyBatch keeps them from the data: a
//     reservation that is not cancelled blocks from its start for its
//     duration (the policy's turn time when it has none), an open order
//     from OpenedAt for the policy's turn time for its guests; UpdateVenue
//     recomputes the orders' when the policy changes. The view rms_blocks
//     lists them one row per table.
//   - table_settings and table_groups: the venue's own settings.
//   - bookings, booking_tables (one row per table of a booking) and
//     booking_events, the audit log, append-only (a trigger refuses UPDATE,
//     DELETE and TRUNCATE). guests, commands, jobs.
//
// Ids are compared byte for byte (COLLATE "C"), so lists come back in Go's
// string order whatever the database's locale.
//
// # No double booking
//
// booking_tables carries the rule as a constraint:
//
//	EXCLUDE USING gist (venue_id WITH =, table_id WITH =, during WITH &&) WHERE (active)
//
// so two active bookings never hold one table at overlapping times,
// whatever writes them (btree_gist supplies text equality for GiST). A
// booking that leaves an active state marks its rows inactive.
//
// RMS reservations and occupancy cannot sit in that constraint (the RMS has
// the last word, so ingest never refuses them); a booking checks them in
// its own transaction. Every (venue, table) has a transaction-level
// advisory lock: ApplyBatch and UpdateVenue take it exclusively for the
// tables they put blocks on, CreateBooking and TransitionBooking take it
// shared, all in one sorted order. A booking therefore waits for a batch
// writing blocks on its tables and then sees them, while bookings do not
// queue behind each other: between two bookings the constraint decides.
// Their tables go in with INSERT ... ON CONFLICT DO NOTHING, whose
// speculative insertion waits for a racing booking without the deadlocks
// two plain inserts under an exclusion constraint run into; a table
// skipped fails the whole statement, and the loser gets a
// *hub.ConflictError naming the winner, looked up once the winner
// committed. CreateBooking is one round trip: the locks, then one
// statement that looks for the first conflict in Blocks order and inserts
// the booking, its tables and its audit event only when there is none.
//
// # Ingest
//
// ApplyBatch runs one transaction per batch: the agent's row is locked
// (SELECT ... FOR UPDATE), events at or below its applied sequence are
// skipped, the rest reduced to the last change of each entity and written
// with one array statement (INSERT ... SELECT FROM unnest) per entity kind
// and operation, pipelined in one round trip with the new applied
// sequence. The block fields are decoded while hub.CheckBatch runs. An
// update that keeps an entity's time range touches no index (a HOT
// update); new and moved reservations and orders cost a GiST insert each,
// the dearest part of ingest.
//
// # Commands and jobs
//
// EnqueueCommand commits the command, then sends NOTIFY stolik_commands
// with the agent id. Every replica runs ListenCommands on a connection of
// its own and pokes the agent if it holds its websocket; after a lost
// connection the listener reconnects and reports every agent with pending
// commands, since notifications sent meanwhile are gone. EnqueueOutgoing
// likewise sends NOTIFY stolik_outgoing, which the replica sending
// Telegram messages hears through ListenOutgoing: both listeners share one
// reconnecting loop (listen.go). ClaimJobs takes
// due jobs with FOR UPDATE SKIP LOCKED and sets a lease, so each job runs
// on one replica at a time.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stolik/stolik/hub"
)

var _ hub.Store = (*Store)(nil)

// Config says how to reach the database. Only URL is required.
type Config struct {
	// URL is a postgres:// URL or a libpq keyword/value string.
	URL string
	// MaxConns and MinConns bound the connection pool; zero keeps pgx's
	// defaults (the larger of 4 and the number of CPUs; none).
	MaxConns, MinConns int32
	// StatementTimeout bounds every statement, set on each connection;
	// zero means 5s.
	StatementTimeout time.Duration
	// ConnectTimeout bounds one connection attempt; zero means 5s.
	ConnectTimeout time.Duration
	// Logger receives what an operator needs; nil discards.
	Logger *slog.Logger
	// StartupRetry is how long Open keeps trying a database it cannot
	// reach, with capped backoff, before it gives up; zero tries once.
	StartupRetry time.Duration
}

// Defaults for Config.
const (
	DefaultStatementTimeout = 5 * time.Second
	DefaultConnectTimeout   = 5 * time.Second
)

// appName identifies the store's sessions in pg_stat_activity.
const appName = "stolik-hub"

// Store is a hub.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	// listen is the configuration ListenCommands connects with.
	listenCfg *pgx.ConnConfig
}

// Open connects to the database, waiting up to cfg.StartupRetry for it to
// become reachable, and brings its schema up to date. It refuses a database
// whose schema is newer than this build knows (ErrSchemaTooNew).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	poolCfg, err := poolConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	log = log.With("database", describe(poolCfg.ConnConfig))

	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := waitReachable(ctx, pool, cfg.StartupRetry, log); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}

	// Migrations may run longer than the statement timeout allows.
	migrateCfg := poolCfg.ConnConfig.Copy()
	migrateCfg.RuntimeParams["statement_timeout"] = "0"
	if _, _, err := migrate(ctx, migrateCfg, log); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}

	listen := poolCfg.ConnConfig.Copy()
	listen.RuntimeParams["application_name"] = appName + " listener"
	return &Store{pool: pool, log: log, listenCfg: listen}, nil
}

// poolConfig turns cfg into a pgxpool configuration.
func poolConfig(cfg Config) (*pgxpool.Config, error) {
	if cfg.URL == "" {
		return nil, errors.New("no database URL")
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's message may quote the URL with its password.
		return nil, errors.New("the database URL cannot be parsed: " +
			"want postgres://user:password@host:port/database?options")
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.MinConns > 0 {
		pc.MinConns = min(cfg.MinConns, pc.MaxConns)
	}
	pc.ConnConfig.ConnectTimeout = cmpOr(cfg.ConnectTimeout, DefaultConnectTimeout)
	timeout := cmpOr(cfg.StatementTimeout, DefaultStatementTimeout)
	pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(
		timeout.Milliseconds(), 10)
	if pc.ConnConfig.RuntimeParams["application_name"] == "" {
		pc.ConnConfig.RuntimeParams["application_name"] = appName
	}
	return pc, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// describe names the database for logs, without the password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// waitReachable pings the database until it answers or retry has passed,
// logging each failure in plain words.
func waitReachable(ctx context.Context, pool *pgxpool.Pool, retry time.Duration,
	log *slog.Logger) error {
	deadline := time.Now().Add(retry)
	backoff := 250 * time.Millisecond
	const maxBackoff = 5 * time.Second
	for attempt := 1; ; attempt++ {
		err := pool.Ping(ctx)
		if err == nil {
			return nil
		}
		why := explain(err)
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", why, ctx.Err())
		}
		left := time.Until(deadline)
		if left <= 0 {
			if attempt > 1 {
				return fmt.Errorf("%s (gave up after %d attempts in %v): %w",
					why, attempt, retry, err)
			}
			return fmt.Errorf("%s: %w", why, err)
		}
		wait := min(backoff/2+rand.N(backoff/2+1), left)
		log.Warn("database not ready, retrying", "problem", why, "attempt", attempt,
			"retry_in", wait.Round(time.Millisecond))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", why, ctx.Err())
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// explain says in plain words why a connection failed.
func explain(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			return "authentication failed: the database refused the user or password " +
				"(" + pgErr.Message + ")"
		case "3D000":
			return "database missing: " + pgErr.Message
		case "57P03":
			return "the database server is starting up or shutting down"
		case "53300":
			return "the database server has no free connection slots"
		}
		return "the database refused the connection: " + pgErr.Message
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "host unreachable: cannot resolve " + dnsErr.Name
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return "host unreachable: cannot connect to " + opErrAddr(opErr) + ": " +
			opErr.Err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "host unreachable: no answer before the connect timeout"
	}
	return "cannot connect to the database: " + err.Error()
}

func opErrAddr(e *net.OpError) string {
	if e.Addr != nil {
		return e.Addr.String()
	}
	return "the database server"
}

// Close closes every connection of the store.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// errEmptyID is wrapped by every error about a missing id.
var errEmptyID = errors.New("empty id")

// SQLSTATE codes the store branches on.
const (
	codeUniqueViolation          = "23505"
	codeForeignKeyViolation      = "23503"
	codeExclusionViolation       = "23P01"
	codeCharacterNotInRepertoire = "22021"
	codeUntranslatable           = "22P05"
	codeDatetimeOverflow         = "22008"
)

// pgCode returns the SQLSTATE of err, if it is a PostgreSQL error.
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// classify turns database errors callers branch on into the hub's
// sentinels: a taken id (hub.ErrExists), a missing parent row
// (hub.ErrNotFound), and text or times PostgreSQL cannot store, such as a
// NUL byte or the year 300000 (hub.ErrInvalid).
func classify(err error) error {
	switch pgCode(err) {
	case codeUniqueViolation:
		return fmt.Errorf("%w (%v)", hub.ErrExists, constraint(err))
	case codeForeignKeyViolation:
		return fmt.Errorf("%w (%v)", hub.ErrNotFound, constraint(err))
	case codeCharacterNotInRepertoire, codeUntranslatable, codeDatetimeOverflow:
		return fmt.Errorf("%w: %v", hub.ErrInvalid, err)
	}
	return err
}

// constraint names the constraint a PostgreSQL error is about.
func constraint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName != "" {
		return "constraint " + pgErr.ConstraintName
	}
	return err.Error()
}

// notFound wraps hub.ErrNotFound for what ("agent") with id.
func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, hub.ErrNotFound)
}

// utc returns t in UTC; times come back from the database in local time.
func utc(t time.Time) time.Time { return t.UTC() }

// nullTime maps the zero time to NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// fromNull maps NULL back to the zero time.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// dbtx is what a pool and a transaction have in common.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// inTx runs fn in a transaction that commits if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// collect reads every row with scan, a function that also reads single
// rows from QueryRow.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
}
