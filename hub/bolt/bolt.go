// Package bolt is the hub's embedded store: one bbolt file, the default when
// no database URL is given. It implements hub.Store for a single replica.
//
// Layout: top-level buckets meta (schema version), venues and agents (JSON
// values by id), mirror (one nested bucket per venue, wire.Key(entity, id) to
// the entity's JSON as the agent sent it; the bucket's sequence is the
// mirror's generation, raised by every batch and reset), commands (JSON by
// id) and pending (one nested bucket per agent indexing its commands without
// a result by creation time, then id).
//
// Schema 2 adds, with nested buckets named by venue (or guest, booking):
//
//	settings/<venue>/<table>          hub.TableSettings
//	groups/<venue>/<group>            hub.TableGroup
//	bookings/<id>                     the booking with its idempotency key
//	booking_starts/<venue>/<start,id> end: a venue's bookings by start
//	booking_spans/<venue>             the longest booking the venue ever had
//	guest_bookings/<guest>/<start,id> end: a guest's bookings by start
//	booking_tables/<venue>/<table>/<end,id> start: active bookings only
//	booking_keys/<venue>/<key>        booking id, for idempotent creates
//	booking_events/<booking>/<seq>    hub.BookingEvent, the audit log
//	guests/<id>, telegram/<tg id>     guests, and guest ids by Telegram id
//	jobs/<id>, job_times/<run at,id>  jobs with their lease, by RunAt
//	enrollments/<code hash>           enrollment codes, used or not
//
// Incidents (support alerts) and staff notices have buckets of their own,
// created when the first is stored; see incidents.go and notices.go.
// Schema 5 adds the Telegram send queue: sendqueue/<key> (hub.Outgoing),
// sendqueue_pending/<seq> not before,key (pending messages in queue order),
// sendqueue_sending/<key> (claimed messages), leases/<name>.
// Schema 6 adds the dashboard's users/<id> (with user_emails/<email> to
// id), sessions/<id hash> and samples/<agent>/<minute> (see accounts.go).
// Schema 7 adds command_times/<agent>/<created at,id>, every command by
// agent and time (see commandlog.go). Schema 8 adds
// agent_venues/<venue>/<agent id>, every agent by venue (see venueagents.go).
//
// Times in keys are 12 bytes that sort like the times (see timeKey), so a
// cursor walks a venue's bookings in start order. Every index is written in
// the transaction that writes what it indexes.
//
// Bookings: bbolt has one writer at a time, so CreateBooking and
// TransitionBooking check for conflicts and write in one write transaction,
// and two racing creates cannot both win. Active bookings are found per
// table through booking_tables, keyed by end, so a check seeks past every
// booking that ended before the range and reads only later ones. RMS
// reservations and open orders are taken from the mirror at the time of the
// check, since an order's block depends on the venue's policy as it is now;
// their times are decoded once per generation of the mirror and kept in
// memory (see mirrorCache), so a check costs the same with 3,000
// reservations in the mirror as with none.
//
// Bookings with neither a venue nor a guest in the query read every booking;
// it is meant for support tools, not for guests' requests.
//
// bbolt allows one writer at a time and one process per file: a second hub
// on the same file waits Options.Timeout for the file lock, then gives up
// with an error that names the file.
package bolt

import (
	"context"
	"encoding/binary"
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
const SchemaVersion = 8

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

	// Schema 2.
	bucketSettings      = []byte("settings")
	bucketGroups        = []byte("groups")
	bucketBookings      = []byte("bookings")
	bucketBookingStarts = []byte("booking_starts")
	bucketBookingSpans  = []byte("booking_spans")
	bucketGuestBookings = []byte("guest_bookings")
	bucketBookingTables = []byte("booking_tables")
	bucketBookingKeys   = []byte("booking_keys")
	bucketBookingEvents = []byte("booking_events")
	bucketGuests        = []byte("guests")
	bucketTelegram      = []byte("telegram")
	bucketJobs          = []byte("jobs")
	bucketJobTimes      = []byte("job_times")
	bucketEnrollments   = []byte("enrollments")
	bucketAPIKeys       = []byte("api_keys")       // id -> key
	bucketAPIKeyHashes  = []byte("api_key_hashes") // hash -> id
	bucketTurns         = []byte("turns")          // venue -> closed at, order id -> duration

	// Schema 5: the Telegram send queue (see sendqueue.go).
	bucketSendQueue   = []byte("sendqueue")         // key -> hub.Outgoing
	bucketSendPending = []byte("sendqueue_pending") // seq -> not before, key
	bucketSendSending = []byte("sendqueue_sending") // key -> nil, sending only
	bucketLeases      = []byte("leases")            // name -> holder, until
	// Schema 6: the dashboard.
	bucketUsers      = []byte("users")       // id -> user with its password hash
	bucketUserEmails = []byte("user_emails") // email -> id
	bucketSessions   = []byte("sessions")    // id hash -> session
	bucketSamples    = []byte("samples")     // agent -> minute -> sample

	keySchema = []byte("schema_version")
)

// migrations[i] brings a file from schema version i to i+1. Each runs in the
// same transaction as the version update, so a crash leaves the old version.
var migrations = []func(tx *bbolt.Tx) error{
	// 0 → 1: the first layout.
	func(tx *bbolt.Tx) error {
		return createBuckets(tx, bucketVenues, bucketAgents, bucketMirror, bucketCommands,
			bucketPending)
	},
	// 1 → 2: bookings, guests, table settings and groups, jobs,
	// enrollments. Venues and agents read as before: their new fields
	// (mode, policy, replica) start empty.
	func(tx *bbolt.Tx) error {
		return createBuckets(tx, bucketSettings, bucketGroups, bucketBookings,
			bucketBookingStarts, bucketBookingSpans, bucketGuestBookings, bucketBookingTables,
			bucketBookingKeys, bucketBookingEvents, bucketGuests, bucketTelegram, bucketJobs,
			bucketJobTimes, bucketEnrollments)
	},
	// 2 → 3: API keys.
	func(tx *bbolt.Tx) error {
		return createBuckets(tx, bucketAPIKeys, bucketAPIKeyHashes)
	},
	// 3 → 4: how long closed orders were open, per venue.
	func(tx *bbolt.Tx) error {
		return createBuckets(tx, bucketTurns)
	},
	// 4 → 5: the Telegram send queue and named leases.
	func(tx *bbolt.Tx) error {
		return createBuckets(tx, bucketSendQueue, bucketSendPending, bucketSendSending,
			bucketLeases)
	},
	// 5 → 6: dashboard accounts, sessions and agent samples.
	func(tx *bbolt.Tx) error {
		return createBuckets(tx, bucketUsers, bucketUserEmails, bucketSessions, bucketSamples)
	},
	// 6 → 7: commands by agent and time (see commandlog.go).
	indexCommands,
	// 7 → 8: agents by venue (see venueagents.go).
	indexAgentVenues,
}

func createBuckets(tx *bbolt.Tx, names ...[]byte) error {
	for _, name := range names {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
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

	// mirrors caches what findBlocks reads of each venue's mirror.
	mirrors mirrorCache
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
	s := &Store{db: db, path: path}
	s.mirrors.venues = make(map[string]*mirrorTimes)
	return s, nil
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

// nested returns the bucket at path under top-level bucket top, creating
// the nested buckets that are missing.
func nested(tx *bbolt.Tx, top []byte, path ...string) (*bbolt.Bucket, error) {
	b := tx.Bucket(top)
	for _, name := range path {
		var err error
		if b, err = b.CreateBucketIfNotExists([]byte(name)); err != nil {
			return nil, fmt.Errorf("bucket %s/%s: %w", top, name, err)
		}
	}
	return b, nil
}

// existing returns the bucket at path under top-level bucket top, or nil if
// it does not exist. It works in read transactions.
func existing(tx *bbolt.Tx, top []byte, path ...string) *bbolt.Bucket {
	b := tx.Bucket(top)
	for _, name := range path {
		if b == nil {
			return nil
		}
		b = b.Bucket([]byte(name))
	}
	return b
}

// timeKeyLen is the length of a timeKey.
const timeKeyLen = 12

// timeKey encodes t so that byte order is time order: 8 bytes of Unix
// seconds with the sign bit flipped (so that times before 1970 sort first
// too), then 4 bytes of nanoseconds.
func timeKey(t time.Time) []byte {
	return appendTimeKey(make([]byte, 0, timeKeyLen), t)
}

func appendTimeKey(k []byte, t time.Time) []byte {
	k = binary.BigEndian.AppendUint64(k, uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(k, uint32(t.Nanosecond()))
}

// keyTime decodes a timeKey at the start of k, in UTC.
func keyTime(k []byte) time.Time {
	sec := int64(binary.BigEndian.Uint64(k) ^ (1 << 63))
	return time.Unix(sec, int64(binary.BigEndian.Uint32(k[8:]))).UTC()
}

// timeIDKey is a timeKey followed by an id: the key of time-ordered indexes.
func timeIDKey(t time.Time, id string) []byte {
	return append(appendTimeKey(make([]byte, 0, timeKeyLen+len(id)), t), id...)
}

// errRollback ends a write transaction that has nothing to write without
// the cost of a commit.
var errRollback = errors.New("nothing to write")
