package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew is returned by Open and Migrate for a database whose
// schema a newer hub wrote.
var ErrSchemaTooNew = errors.New("database schema is newer than this hub")

// migrationLockID is the advisory lock replicas take turns on while
// migrating ("stolik" in ASCII).
const migrationLockID = 0x73746f6c696b

// Migrate brings the schema of the database at url up to date, as Open
// does, and returns the schema version before and after. It refuses a
// database whose schema is newer than this build knows (ErrSchemaTooNew).
func Migrate(ctx context.Context, url string) (from, to int64, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return 0, 0, errors.New("migrate: the database URL cannot be parsed: " +
			"want postgres://user:password@host:port/database?options")
	}
	cfg.RuntimeParams["application_name"] = appName + " migrate"
	from, to, err = migrate(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return from, to, fmt.Errorf("migrate: %w", err)
	}
	return from, to, nil
}

// SchemaVersion returns the newest schema version this build knows: the
// number that starts the name of the last migration file.
func SchemaVersion() int64 {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		panic("postgres: no embedded migrations")
	}
	var newest int64
	for _, name := range names {
		prefix, _, _ := strings.Cut(path.Base(name), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			panic("postgres: migration " + name + " does not start with a version")
		}
		newest = max(newest, v)
	}
	return newest
}

// provider returns goose's migration runner for db.
func provider(db *sql.DB, log *slog.Logger) (*goose.Provider, error) {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID),
		lock.WithLockTimeout(1, 300)) // wait up to 5 minutes for another replica
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	}
	if log != nil {
		opts = append(opts, goose.WithSlog(log.With("component", "migrate")))
	}
	return goose.NewProvider(goose.DialectPostgres, db, files, opts...)
}

// latest returns the newest version among p's migrations.
func latest(p *goose.Provider) int64 {
	sources := p.ListSources()
	return sources[len(sources)-1].Version
}

// migrate runs the missing migrations on a connection made from cfg.
func migrate(ctx context.Context, cfg *pgx.ConnConfig, log *slog.Logger) (
	from, to int64, err error) {
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := provider(db, log)
	if err != nil {
		return 0, 0, fmt.Errorf("read migrations: %w", err)
	}
	known := latest(p)

	// Refuse before anything is written, and again after the lock, in
	// case a newer hub migrated meanwhile.
	from, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	if from > known {
		return from, from, tooNew(from, known)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return from, from, fmt.Errorf("migrate schema from version %d: %w", from, err)
	}
	to, err = p.GetDBVersion(ctx)
	if err != nil {
		return from, to, fmt.Errorf("read schema version: %w", err)
	}
	if to > known {
		return from, to, tooNew(to, known)
	}
	for _, r := range results {
		log.Info("schema migrated", "version", r.Source.Version,
			"file", r.Source.Path, "took", r.Duration)
	}
	return from, to, nil
}

func tooNew(have, known int64) error {
	return fmt.Errorf("%w: database schema is version %d, this hub knows up to %d: "+
		"run a newer hub", ErrSchemaTooNew, have, known)
}
