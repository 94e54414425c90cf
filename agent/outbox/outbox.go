// Package outbox is the agent's durable memory: the ordered log of events
// waiting for the hub, the snapshot the change detector diffs against, and
// the inbox of commands from the hub, all in one bbolt file.
//
// # Buckets
//
//   - events: key = sequence number (8 bytes, big endian), value = the
//     wire.Event as JSON. Next decodes it and counts its size against the
//     batch limit.
//   - snapshot: key = wire.Key(entity, id), value = the sequence number of
//     the entity's latest event (8 bytes), a kind byte ('u' upsert, 'd'
//     delete) and the entity's data. A deleted entity stays as a tombstone
//     until its delete event is acknowledged, so that a later event for the
//     same entity still finds the pending delete to compact.
//   - commands: key = command id, value = its state: started, finished with
//     a result, or result acknowledged by the hub.
//   - meta: the format version, sequence numbers and counters, and the id of
//     the last finished command.
//
// The snapshot value doubles as the "latest sequence per entity" index, so
// an append writes two keys per event and reads none: the outbox keeps the
// whole snapshot in memory (Snapshot copies it) and consults that copy, with
// a queue of tombstones by sequence for Ack to remove.
//
// # Group commit
//
// One writer goroutine owns every write transaction. Append, Ack and the
// command calls send a request on a channel and wait. The writer takes one
// request, drains whatever else is queued (up to Options.MaxGroup), runs all
// of them in ONE bbolt transaction (one fsync) and then answers each caller.
// The in-memory state is changed only after the commit succeeded; a failed
// commit fails every request of the group and changes nothing. A request
// that is invalid fails alone: checks that need no state run in the caller,
// checks that do (ErrFull, an ack beyond the last sequence) run before the
// request touches the transaction.
//
// # Compaction
//
// While the hub is unreachable, pending changes to the same entity collapse
// to the latest one: when an event is appended for an entity whose previous
// event is still stored and above the sent watermark (Next has not handed it
// out since the last Rewind), the previous event is deleted. A delete after
// a pending upsert replaces it the same way. Events at or below the
// watermark are never compacted, since the hub may already hold them. On
// Open the watermark is the newest stored event, as the process that
// stored them may have sent them: the uplink's Rewind after the hub's
// welcome lowers it to what the hub applied.
// Sequence numbers therefore have gaps; the hub accepts that.
//
// # Counters
//
// Stored (events appended), Acked (events deleted by Ack) and Compacted
// (events deleted by compaction) are written in the same transaction as the
// change they count, so Stored == Acked + Compacted + Backlog always holds,
// also across a crash. Sent (events handed out by Next, resends included) is
// counted in memory and written with the next transaction and on Close; a
// crash may lose the latest increments of Sent only.
package outbox

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/stolik/stolik/shared/wire"
)

// Options tune an Outbox. Zero values take the defaults.
type Options struct {
	Timeout    time.Duration // how long Open waits for the file lock; default 1s
	MaxPending int           // most unacknowledged events kept; default 1_000_000
	MaxGroup   int           // most requests merged into one commit; default 256
}

// Defaults for Options.
const (
	defaultTimeout    = time.Second
	defaultMaxPending = 1_000_000
	defaultMaxGroup   = 256
)

// commandRetention is how long the ids of acknowledged commands are kept,
// so that a late redelivery still does not run.
const commandRetention = 7 * 24 * time.Hour

// formatVersion is the layout of the file. An agent refuses a file written
// with a newer layout instead of misreading it.
const formatVersion = 1

// Errors callers test.
var (
	// ErrFull means an Append would exceed Options.MaxPending; nothing of it
	// was stored.
	ErrFull = errors.New("outbox full")
	// ErrLocked means another process (or another Outbox in this one) has
	// the file open.
	ErrLocked = errors.New("another agent is using this data directory")
	// ErrClosed is returned by calls after Close.
	ErrClosed = errors.New("outbox closed")
)

var (
	bucketEvents   = []byte("events")
	bucketSnapshot = []byte("snapshot")
	bucketCommands = []byte("commands")
	bucketMeta     = []byte("meta")

	keyState       = []byte("state")
	keyLastCommand = []byte("last_command")
)

// Outbox is the agent's durable outbox, snapshot and command inbox. Its
// methods are safe for concurrent use.
type Outbox struct {
	db     *bolt.DB
	opts   Options
	reqs   chan *request
	notify chan struct{}
	done   chan struct{} // closed when the writer has stopped

	// now and beforeCommit are test seams; they are set before any request
	// is sent, so the writer reads them without a lock.
	now          func() time.Time
	beforeCommit func()

	closeMu sync.RWMutex // held for reading while a request is sent or a read runs
	closed  bool         // guarded by closeMu

	// gate is held by the writer for a whole group (from reading the sent
	// watermark to publishing the commit) and by Next while it reads events
	// and moves the watermark. So an event Next hands out was either
	// compacted before the read (and is not handed out) or is protected by
	// the watermark before any later group decides what to compact: the hub
	// never receives an event that the outbox also counts as compacted.
	gate sync.Mutex

	mu sync.Mutex
	// Guarded by mu. Only the writer goroutine changes entries and st, so it
	// reads them without the lock; sent and st.counters.Sent are also moved
	// by Next and Rewind.
	entries map[string]entry
	live    int // entries that are not tombstones
	st      state
	sent    uint64
	commits uint64

	// Owned by the writer goroutine; Close reads closeErr after it stopped.
	tombs     []tomb          // tombstones by sequence, oldest first
	running   map[string]bool // commands begun by this process and not finished
	savedSent uint64          // Counters.Sent as last written
	closeErr  error
}

// entry is an entity of the snapshot with the sequence of its latest event.
type entry struct {
	seq     uint64
	data    []byte // nil for a tombstone
	deleted bool
	gone    bool // only in a group: the key was removed from the bucket
}

// tomb locates a tombstone, for removal once its delete event is acked.
type tomb struct {
	key string
	seq uint64
}

// state is what the meta bucket stores.
type state struct {
	lastSeq     uint64
	ackedSeq    uint64
	counters    wire.Counters
	cmdOrder    uint64 // last order number given to a finished command
	lastCommand string
}

func (s state) backlog() uint64 {
	return s.counters.Stored - s.counters.Acked - s.counters.Compacted
}

// Open opens (or creates) the outbox file at path. When another agent holds
// the file, Open gives up after opts.Timeout with an error that wraps
// ErrLocked and says what to do.
func Open(path string, opts Options) (*Outbox, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = defaultMaxPending
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = defaultMaxGroup
	}

	db, err := bolt.Open(path, 0o600, boltOptions(opts.Timeout))
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open outbox: %w: %s (the file %s is locked by another "+
			"running agent); stop the other agent or its service first, or give this "+
			"agent its own data directory", ErrLocked, filepath.Dir(path), path)
	}
	if err != nil {
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}

	o := &Outbox{
		db:      db,
		opts:    opts,
		reqs:    make(chan *request, opts.MaxGroup),
		notify:  make(chan struct{}, 1),
		done:    make(chan struct{}),
		now:     time.Now,
		entries: make(map[string]entry),
		running: make(map[string]bool),
	}
	if err := o.load(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	go o.write()
	return o, nil
}

// boltOptions are the bbolt settings of the outbox file. Fsync stays on;
// the freelist is rebuilt on open instead of being written on every commit.
func boltOptions(timeout time.Duration) *bolt.Options {
	return &bolt.Options{
		Timeout:         timeout,
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize(),
	}
}

// initialMmapSize maps address space ahead of the file: a commit that grows
// the file past the mapping must wait for readers and remap, which showed as
// the slowest commits while a backlog grows. On Windows bbolt grows the file
// itself to the mapping's size, so there the mapping follows the file.
func initialMmapSize() int {
	if runtime.GOOS == "windows" {
		return 0
	}
	return 1 << 30
}

// load creates the buckets of a new file, checks the format of an old one,
// prunes old command ids and reads meta and snapshot into memory.
func (o *Outbox) load() error {
	return o.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEvents, bucketSnapshot, bucketCommands, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		b := bucketsOf(tx)

		st, err := readState(b.meta)
		if err != nil {
			return err
		}
		o.st = st
		// Any stored event may have been handed out, and applied by the
		// hub, before the process stopped: none is compacted until the
		// hub's welcome says what it applied (Rewind), so that an event
		// the hub holds is never also counted as compacted.
		o.sent = st.lastSeq
		o.savedSent = st.counters.Sent

		err = b.snapshot.ForEach(func(k, v []byte) error {
			if len(v) < 9 {
				return fmt.Errorf("snapshot entry %q: %d bytes", k, len(v))
			}
			e := entry{seq: binary.BigEndian.Uint64(v), deleted: v[8] == kindDelete}
			if e.deleted {
				o.tombs = append(o.tombs, tomb{key: string(k), seq: e.seq})
			} else {
				e.data = slices.Clone(v[9:])
				o.live++
			}
			o.entries[string(k)] = e
			return nil
		})
		if err != nil {
			return fmt.Errorf("read snapshot: %w", err)
		}
		slices.SortFunc(o.tombs, func(a, b tomb) int { return cmp.Compare(a.seq, b.seq) })

		if err := pruneCommands(b.commands, o.now()); err != nil {
			return err
		}
		return writeState(b.meta, st)
	})
}

// Close waits for queued requests to commit, stops the writer and closes
// the file. Calls after Close return ErrClosed. Close is idempotent.
func (o *Outbox) Close() error {
	o.closeMu.Lock()
	if o.closed {
		o.closeMu.Unlock()
		return nil
	}
	o.closed = true
	close(o.reqs)
	o.closeMu.Unlock()

	<-o.done
	if err := o.db.Close(); err != nil {
		return fmt.Errorf("close outbox: %w", err)
	}
	if o.closeErr != nil {
		return fmt.Errorf("close outbox: %w", o.closeErr)
	}
	return nil
}

// Stats is a view of the outbox's position and counters.
type Stats struct {
	// LastSeq is the newest sequence number assigned.
	LastSeq uint64
	// AckedSeq is the newest sequence number the hub acknowledged.
	AckedSeq uint64
	// Backlog is the number of events stored and not yet acknowledged.
	Backlog  uint64
	Counters wire.Counters
	// Commits is the number of write transactions since Open; with Counters
	// it shows how well group commit merges requests.
	Commits uint64
}

// Stats returns the current position and counters.
func (o *Outbox) Stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return Stats{
		LastSeq:  o.st.lastSeq,
		AckedSeq: o.st.ackedSeq,
		Backlog:  o.st.backlog(),
		Counters: o.st.counters,
		Commits:  o.commits,
	}
}

// Notify returns a channel that receives after each successful Append. The
// send does not block and the channel holds one signal, so a slow reader
// sees one signal for many appends.
func (o *Outbox) Notify() <-chan struct{} { return o.notify }

// Snapshot returns the stored snapshot: wire.Key(entity, id) to the encoded
// entity (the Data of its latest upsert). The map is a copy the caller may
// keep and change; the byte slices are shared and must not be modified.
func (o *Outbox) Snapshot() map[string][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[string][]byte, o.live)
	for k, e := range o.entries {
		if !e.deleted {
			m[k] = e.data
		}
	}
	return m
}

// LastCommand returns the id of the last command finished (by
// FinishCommand, or found interrupted by BeginCommand), or "".
func (o *Outbox) LastCommand() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.st.lastCommand
}

// buckets are the outbox's buckets inside one transaction.
type buckets struct {
	events, snapshot, commands, meta *bolt.Bucket
}

func bucketsOf(tx *bolt.Tx) buckets {
	return buckets{
		events:   tx.Bucket(bucketEvents),
		snapshot: tx.Bucket(bucketSnapshot),
		commands: tx.Bucket(bucketCommands),
		meta:     tx.Bucket(bucketMeta),
	}
}

// The state record is eight big-endian uint64 fields in this order.
const stateFields = 8

func readState(meta *bolt.Bucket) (state, error) {
	var st state
	v := meta.Get(keyState)
	if v == nil {
		return st, nil
	}
	if len(v) < stateFields*8 {
		return st, fmt.Errorf("read state: %d bytes, want %d", len(v), stateFields*8)
	}
	f := make([]uint64, stateFields)
	for i := range f {
		f[i] = binary.BigEndian.Uint64(v[i*8:])
	}
	if f[0] > formatVersion {
		return st, fmt.Errorf("file format %d is newer than this agent understands (%d); "+
			"run the newer agent version", f[0], formatVersion)
	}
	st.lastSeq, st.ackedSeq, st.cmdOrder = f[1], f[2], f[3]
	st.counters = wire.Counters{Stored: f[4], Sent: f[5], Acked: f[6], Compacted: f[7]}
	st.lastCommand = string(meta.Get(keyLastCommand))
	return st, nil
}

func writeState(meta *bolt.Bucket, st state) error {
	f := [stateFields]uint64{
		formatVersion, st.lastSeq, st.ackedSeq, st.cmdOrder,
		st.counters.Stored, st.counters.Sent, st.counters.Acked, st.counters.Compacted,
	}
	v := make([]byte, stateFields*8)
	for i, x := range f {
		binary.BigEndian.PutUint64(v[i*8:], x)
	}
	if err := meta.Put(keyState, v); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if string(meta.Get(keyLastCommand)) != st.lastCommand {
		if err := meta.Put(keyLastCommand, []byte(st.lastCommand)); err != nil {
			return fmt.Errorf("write last command: %w", err)
		}
	}
	return nil
}
