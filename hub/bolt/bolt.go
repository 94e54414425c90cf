// Package bolt is the hub's embedded store: one bbolt file, the default when
// no database URL is given. It implements hub.Store for a single replica.
//
// Layout: top-level buckets meta (schema version), venues and agents (JSON
// values by id), mirror (one nested bucket per venue, wire.Key(entity, id) to
// the entity's JSON as the agent sent it), commands (JSON by id) and pending
// (one nested bucket per agent indexing its commands without a result by
// creation time, then id).
//
// bbolt allows one writer at a time and one process per file: a second hub
// on the same file waits Options.Timeout for the file lock, then gives up
// with an error that names the file.
package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the newest layout this build reads and writes. Open
// migrates an older file to it and refuses a newer one.
const SchemaVersion = 1

var _ hub.Store = (*Store)(nil)

// errEmptyID is wrapped by every error about a missing id.
var errEmptyID = errors.New("empty id")

// Bucket and key names.
var (
	bucketMeta     = []byte("meta")
	bucketVenues   = []byte("venues")
	bucketAgents   = []byte("agents")
	bucketMirror   = []byte("mirror")
	bucketCommands = []byte("commands")
	bucketPending  = []byte("pending")

	keySchema = []byte("schema_version")
)

// migrations[i] brings a file from schema version i to i+1. Each runs in the
// same transaction as the version update, so a crash leaves the old version.
var migrations = []func(tx *bbolt.Tx) error{
	// 0 → 1: the first layout.
	func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{
			bucketVenues, bucketAgents, bucketMirror, bucketCommands, bucketPending,
		} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
}

func init() {
	if len(migrations) != SchemaVersion {
		panic("bolt: SchemaVersion does not match the migrations")
	}
}

// Options tune Open.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process; zero means one second.
	Timeout time.Duration
}

// Store is a hub.Store on one bbolt file. It is safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	path string
}

// Open opens or creates the store file at path and brings its schema up to
// date. A file whose schema is newer than this build knows is refused, and so
// is a file another process holds open.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}

	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.Timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open hub store %s: the file is locked by another process, "+
			"probably another hub using the same data file; stop it or give this hub "+
			"another path: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open hub store %s: %w", path, err)
	}

	if err := db.Update(migrate); err != nil {
		db.Close()
		return nil, fmt.Errorf("open hub store %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// migrate reads the file's schema version and runs the missing migrations.
func migrate(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
	}

	version := 0
	if v := meta.Get(keySchema); v != nil {
		version, err = strconv.Atoi(string(v))
		if err != nil || version < 0 {
			return fmt.Errorf("read schema version: %q is not a version number", v)
		}
	}
	if version > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than this hub build knows (%d): "+
			"run a hub release at least as new as the one that wrote the file",
			version, SchemaVersion)
	}
	if version == SchemaVersion {
		return nil
	}

	for i := version; i < SchemaVersion; i++ {
		if err := migrations[i](tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", i, i+1, err)
		}
	}
	return meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close releases the file. Calls after Close fail.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close hub store %s: %w", s.path, err)
	}
	return nil
}

// view and update run fn in a read or write transaction unless ctx is done.
// bbolt cannot abandon a transaction half-way, so the context is only
// checked before it starts.
func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

func (s *Store) update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}

// getJSON decodes the value at key of b, a bucket of what ("venue"), into v.
// It returns hub.ErrNotFound when there is no such key.
func getJSON(b *bbolt.Bucket, what, key string, v any) error {
	raw := b.Get([]byte(key))
	if raw == nil {
		return fmt.Errorf("%s %q: %w", what, key, hub.ErrNotFound)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s %q: %w", what, key, err)
	}
	return nil
}

// putJSON encodes v at key of b.
func putJSON(b *bbolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	return b.Put([]byte(key), raw)
}
