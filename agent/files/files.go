// Package files is the connector for an RMS that exchanges files instead
// of offering an API: Smart Touch POS, or any till whose dealer can set up
// a periodic export and an import. The RMS (or a script beside it) writes
// export files into a watched folder; the connector reads them, and writes
// an import file for each booking to create or cancel.
//
// # Configuration
//
// In agent.yaml, a preset and only what differs from it:
//
//	connector:
//	  kind: files
//	  files:
//	    dir: C:\SmartTouch\exchange
//	    preset: smarttouch-csv      # or generic-csv, generic-xml
//	    time_zone: Europe/Moscow    # required: the times in the files are local
//	    complete: marker            # the CSV presets' default; stable or either
//	    confirm_wait: 1m
//	    orders: {max_age: 10m}      # the default; 0s turns the check off
//	    reservations:
//	      fields: {phone: "Тел"}    # one column renamed; "" removes a field
//	      statuses: {"Ждём": new}
//
// # Folders
//
// Under Config.Dir (each configurable, created if absent):
//
//	in/          exports the RMS writes: tables, open orders, reservations
//	out/         imports the connector writes: create-<booking>.csv, cancel-<booking>.csv
//	done/        exports already read, named <time>~<name>, kept keep_days
//	quarantine/  malformed exports, each with <name>.why.txt saying what is wrong
//	sent/        the connector's own copy of every import it wrote, and refusals
//
// # Exports
//
// Each export is a full list: the tables export lists every table, the
// orders export the orders open now, the reservations export the
// reservations held now. An export is read only once it is complete:
// when a companion marker file exists (tables.csv.done, tables.csv.ok,
// tables.done or tables.ok, written after the export), or when its size
// and modification time stayed the same across two reads at least settle
// apart (complete: marker, stable or either).
//
// The CSV presets default to marker. A CSV cut at a line boundary parses
// as a shorter list, and a writer that stalls longer than settle makes
// such a file look complete, so settle could replace all the tables or
// orders with part of them. A marker is what any export job or dealer's
// script can do: write the export, then an empty <name>.done. (A row-count
// trailer would need a line the RMS's own export does not write.) Settle
// stays as an explicit opt-in, complete: stable or either, and the agent
// warns about it in its log at start. The XML preset defaults to either:
// a cut XML file does not parse, so it is never applied, only quarantined.
// While an export waits for its marker, the errors below name it.
//
// A complete export is read whole. If anything in it is wrong (a missing
// column, a time in the wrong format, an id twice, a truncated XML file)
// none of it is used: the file goes to quarantine/ with a .why.txt beside
// it naming the line, the problem is logged, and that kind keeps its
// previous state. The snapshot keeps working, and the connector's health
// notes the exports set aside over the last day (how many, the newest and
// why) for the hub's agent pages. A file that cannot be moved to
// quarantine/ is logged once and skipped until it changes. A good export
// replaces its kind's state and moves to done/. The newest file of each
// kind in done/ is read again when the agent starts. Until every kind has
// been read once, Snapshot reports which exports it is waiting for.
//
// The RMS must export each kind periodically, changed or not. When the
// newest export of a kind was read longer ago than its max_age (tables
// 24h, orders 10m, reservations 30m unless set; 0s turns it off), Snapshot
// fails naming the kind, its file, its age and the folder: the export job
// has stopped and the venue's state is no longer known. The age counts
// from when the connector read the file (the agent's clock, not the share's),
// and survives a restart through the name the file is kept under in done/.
//
// # The generic format
//
// Smart Touch's own export format is not public, so this package defines
// its own, documented here; the smarttouch-csv preset is our proposal for
// a dealer's export script (Windows-1251, semicolons, Russian headings,
// dd.mm.yyyy hh:mm times) and must be checked against a real installation.
// Any column name, delimiter, encoding, time format and status word can be
// changed in agent.yaml, field by field over a preset.
//
// generic-csv: UTF-8, ";" between fields, a header line, times as
// "2006-01-02 15:04:05" in the venue's time zone, table ids in one field
// separated by ",". Files and their fields (* = required):
//
//	tables*.csv        id*, hall_id*, hall_name, number*, name, seats*, x, y, w, h
//	orders*.csv        id*, table_ids*, opened_at*, guests, status
//	reservations*.csv  id*, table_ids*, start*, duration* (minutes), guests*,
//	                   name, phone, comment, status, booking_id
//
// Reservation status words are new, confirmed, seated and cancelled (an
// empty status is new). booking_id is the Stolik booking a reservation was
// written for; an RMS without such a field may keep "[stolik:<id>]" in the
// comment instead, and the connector reads it from there.
//
// generic-xml: the same fields as attributes of one element per record,
// directly under the root element: <tables><table id="1" hall_id="h1"
// number="1" seats="4"/></tables>, likewise <order> and <reservation>;
// times as "2006-01-02T15:04:05". A field may name a child element
// instead of an attribute (write it without the "@").
//
// # Imports
//
// CreateReservation writes out/create-<booking>.<ext>, one reservation in
// the reservations export's own format with an empty id, status new and
// our booking id; CancelReservation writes out/cancel-<booking>.<ext> with
// the reservation's id and status cancelled. Each is written to a temporary
// name and renamed, so the RMS never sees half a file. The RMS may refuse
// one by writing <import name>.refused into in/, holding the reason.
//
// A file RMS confirms nothing at once: a booking counts as written only when
// a later reservations export shows it. So CreateReservation waits up to
// confirm_wait for an export holding a reservation with our booking id and
// returns it; CancelReservation waits for the reservation to disappear or
// show as cancelled. A wait that ends without an answer returns an error
// that is neither a refusal nor a bad request, so the hub keeps the booking
// requested: when the RMS imports it later, the reservation with our booking
// id reaches the hub through the mirror, and the hub confirms it from there
// (or its confirm timeout expires it). A retried create or cancel whose
// import was already written (sent/ holds it) writes nothing new and waits
// again; one whose reservation is already in the export returns at once.
package files

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Options are what a Connector needs beyond its Config.
type Options struct {
	// Logger receives quarantined files and other problems; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PollEvery is how often a create or cancel looks for the export that
	// confirms it; 0 means 250ms.
	PollEvery time.Duration
}

// Connector reads exports and writes imports in one exchange folder. It is
// safe for concurrent use.
type Connector struct {
	cfg  Config // resolved
	dirs dirs
	dec  map[kind]decoder
	log  *slog.Logger
	now  func() time.Time
	poll time.Duration

	mu      sync.Mutex
	st      parsed             // guarded by mu; the last good export of each kind
	loaded  map[kind]bool      // guarded by mu; kinds read at least once
	latest  map[kind]string    // guarded by mu; newest done/ file of each kind
	readAt  map[kind]time.Time // guarded by mu; when latest was read
	waiting map[kind]string    // guarded by mu; newest export not complete yet
	seen    map[string]sample  // guarded by mu; unmarked exports, by name
	stuck   map[string]sample  // guarded by mu; bad exports that would not move
	quar    []quarantined      // guarded by mu; set aside within quarantineNoted
	pruned  time.Time          // guarded by mu
}

// quarantined is an export set aside as malformed.
type quarantined struct {
	at   time.Time
	name string
	why  string
}

// quarantineNoted is how long a quarantined export is reported in
// HealthNote.
const quarantineNoted = 24 * time.Hour

type dirs struct {
	in, out, done, quarantine, sent string
}

// sample is an export's size and mtime when it was first seen so.
type sample struct {
	size  int64
	mtime time.Time
	since time.Time
}

// New checks cfg, creates the folders it names and reads the newest export
// of each kind kept in done/.
func New(cfg Config, opts Options) (*Connector, error) {
	if probs := cfg.Problems(); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = "connector.files." + p.Field + ": " + p.Message
		}
		return nil, fmt.Errorf("files: %s", strings.Join(msgs, "; "))
	}
	r := cfg.Resolve()
	c := &Connector{
		cfg: r, log: opts.Logger, now: opts.Now, poll: opts.PollEvery,
		dec: map[kind]decoder{}, loaded: map[kind]bool{}, latest: map[kind]string{},
		readAt: map[kind]time.Time{}, waiting: map[kind]string{},
		seen: map[string]sample{}, stuck: map[string]sample{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.poll <= 0 {
		c.poll = 250 * time.Millisecond
	}
	sub := func(name string) string {
		if filepath.IsAbs(name) {
			return name
		}
		return filepath.Join(r.Dir, name)
	}
	c.dirs = dirs{in: sub(r.In), out: sub(r.Out), done: sub(r.Done),
		quarantine: sub(r.Quarantine), sent: sub("sent")}
	for _, d := range []string{c.dirs.in, c.dirs.out, c.dirs.done, c.dirs.quarantine,
		c.dirs.sent} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, agent.WithFix(fmt.Errorf("files: create folder: %w", err),
				"check connector.files.dir in agent.yaml and that the agent's account may "+
					"write there",
				"проверьте connector.files.dir в agent.yaml и права учётной записи агента "+
					"на запись в эту папку")
		}
	}
	for _, k := range kinds {
		d, err := newDecoder(r, k)
		if err != nil {
			return nil, fmt.Errorf("files: %s: %w", k, err)
		}
		c.dec[k] = d
	}
	if r.Complete != "marker" {
		msg := "exports are read once they stop changing for settle; an export " +
			"job that pauses longer makes a half-written file look complete"
		if r.Format == "csv" {
			msg = "exports are read once they stop changing for settle; a CSV export " +
				"job that pauses longer makes a half-written file look complete, and " +
				"part of a list replaces the whole; have the RMS write a marker file " +
				"after each export and set complete: marker"
		}
		c.log.Warn(msg, "complete", r.Complete, "settle", r.Settle)
	}
	c.restore()
	c.restoreQuarantine()
	return c, nil
}

// Kind returns "files".
func (c *Connector) Kind() string { return "files" }

// Snapshot reads the complete exports waiting in in/ and returns the venue
// as the newest good export of each kind shows it.
func (c *Connector) Snapshot(ctx context.Context) (agent.State, error) {
	if err := ctx.Err(); err != nil {
		return agent.State{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.scan(); err != nil {
		return agent.State{}, err
	}
	var missing []string
	for _, k := range kinds {
		if !c.loaded[k] {
			missing = append(missing, fmt.Sprintf("%s (%s)", k, c.cfg.mapping(k).Pattern))
		}
	}
	if len(missing) > 0 {
		return agent.State{}, agent.WithFix(
			fmt.Errorf("files: waiting for the first export of %s in %s%s",
				strings.Join(missing, ", "), c.dirs.in, c.waitingNote()),
			"set the RMS to export into this folder (with a marker file after each "+
				"export when complete is marker), or fix the file patterns under "+
				"connector.files in agent.yaml",
			"настройте выгрузку из кассовой системы в эту папку (с файлом-маркером после "+
				"каждой выгрузки, если complete: marker) или исправьте шаблоны "+
				"имён файлов в connector.files в agent.yaml")
	}
	if err := c.stale(); err != nil {
		return agent.State{}, err
	}
	return agent.State{
		Halls:        slices.Clone(c.st.halls),
		Tables:       slices.Clone(c.st.tables),
		Orders:       slices.Clone(c.st.orders),
		Reservations: slices.Clone(c.st.reservations),
	}, nil
}

// apply replaces kind k's state with p.
func (c *Connector) apply(k kind, p parsed) {
	switch k {
	case kindTables:
		c.st.halls, c.st.tables = p.halls, p.tables
	case kindOrders:
		c.st.orders = p.orders
	default:
		c.st.reservations = p.reservations
	}
	c.loaded[k] = true
}

// restore reads the newest export of each kind kept in done/, so a
// restarted agent starts from what it last saw.
func (c *Connector) restore() {
	entries, err := os.ReadDir(c.dirs.done)
	if err != nil {
		c.log.Warn("cannot list read exports", "dir", c.dirs.done, "err", err)
		return
	}
	for _, k := range kinds {
		var newest string
		for _, e := range entries {
			_, orig, ok := strings.Cut(e.Name(), "~")
			if !ok || !e.Type().IsRegular() || isMarker(orig) {
				continue
			}
			if m, _ := matchName(c.cfg.mapping(k).Pattern, orig); m && e.Name() > newest {
				newest = e.Name()
			}
		}
		if newest == "" {
			continue
		}
		path := filepath.Join(c.dirs.done, newest)
		p, err := c.read(path, k)
		if err != nil {
			c.log.Warn("cannot read the last export again", "file", path, "err", err)
			continue
		}
		c.apply(k, p)
		c.latest[k] = newest
		c.readAt[k] = readTime(newest, path)
	}
}

// stampLayout is the time a read export is stamped with in done/, UTC.
const stampLayout = "20060102T150405.000000000"

// readTime is when the export kept in done/ as name was read: its stamp,
// or else the file's modification time.
func readTime(name, path string) time.Time {
	stamp, _, _ := strings.Cut(name, "~")
	if t, err := time.Parse(stampLayout, stamp); err == nil {
		return t
	}
	if info, err := os.Stat(path); err == nil {
		return info.ModTime()
	}
	return time.Time{}
}

func (c *Connector) read(path string, k kind) (parsed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return parsed{}, err
	}
	return decode(data, c.cfg.Format, k, c.dec[k])
}

// errNotConfirmed is wrapped by a create or cancel whose import the RMS
// did not answer within confirm_wait.
var errNotConfirmed = errors.New("not confirmed by an export yet")

// IsNotConfirmed reports whether err means an import was written but no
// export has shown its effect yet; the RMS may still carry it out.
func IsNotConfirmed(err error) bool { return errors.Is(err, errNotConfirmed) }

// wait calls done after reading in/, every PollEvery, until it reports
// true or an error, or until confirm_wait or ctx ends.
func (c *Connector) wait(ctx context.Context, what string,
	done func() (bool, error)) error {
	deadline := time.NewTimer(c.cfg.ConfirmWait)
	defer deadline.Stop()
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	for {
		c.mu.Lock()
		err := c.scan()
		var ok bool
		if err == nil {
			ok, err = done()
		}
		c.mu.Unlock()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("files: %s: %w (%w)", what, errNotConfirmed, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("files: %s: %w after %v; the RMS may still import it, "+
				"and the booking follows the next exports", what, errNotConfirmed,
				c.cfg.ConfirmWait)
		case <-tick.C:
		}
	}
}

func findBooking(rs []wire.Reservation, booking string) (wire.Reservation, bool) {
	for _, r := range rs {
		if booking != "" && r.BookingID == booking {
			return r, true
		}
	}
	return wire.Reservation{}, false
}
