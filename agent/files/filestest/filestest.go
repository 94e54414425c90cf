// Package filestest is a simulated file-exchange RMS for the files
// connector's tests and the demo: an Exporter that keeps a venue (halls,
// tables, open orders, reservations), writes export files into the
// exchange folder the way an RMS's export job would, and carries out the
// import files the connector drops, writing a refusal when it will not.
//
// It writes and reads files with its own code, from the mapping a
// files.Config resolves to, so that a test checks the connector against
// the format rather than against itself. Knobs make it misbehave: a
// half-written export, a missing column, a truncated file, slow imports,
// a lost answer (imports carried out, exports withheld), refusals, and an
// exchange folder that goes away.
package filestest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/shared/wire"
)

// Layout is the venue an Exporter starts with.
type Layout struct {
	Halls, Tables int // 0 means 2 halls, 6 tables
}

// Exporter is a simulated RMS exchanging files in one folder. It is safe
// for concurrent use.
type Exporter struct {
	cfg files.Config // resolved
	dir string
	in  string
	out string
	loc *time.Location

	mu      sync.Mutex
	halls   []wire.Hall
	tables  []wire.Table
	orders  []wire.Order       // guarded by mu
	res     []wire.Reservation // guarded by mu; cancelled ones kept
	locked  map[string]bool    // guarded by mu
	next    int                // guarded by mu; id and file counter
	dirty   bool               // guarded by mu; a change not exported yet
	knobs   knobs              // guarded by mu
	pending map[string][]byte  // guarded by mu; half-written exports to finish
	counts  Counts             // guarded by mu
	now     func() time.Time
}

type knobs struct {
	holdUntil  time.Time // exports withheld until then
	loseNext   time.Duration
	slow       time.Duration
	refuseNext string
	half       map[string]bool   // kind -> the next export is half-written
	missing    map[string]string // kind -> field whose column the next export lacks
	truncate   map[string]bool   // kind -> the next export is cut short, with a marker
	noMarkers  bool
}

// Counts says how much the exporter has done.
type Counts struct {
	Exports, Imports, Refusals int
}

// New builds an exporter for the exchange folder cfg names (created if
// absent), with the venue layout l, and writes its first exports.
func New(cfg files.Config, l Layout) (*Exporter, error) {
	r := cfg.Resolve()
	loc := time.Local
	if r.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(r.TimeZone); err != nil {
			return nil, err
		}
	}
	if l.Halls == 0 {
		l.Halls = 2
	}
	if l.Tables == 0 {
		l.Tables = 6
	}
	e := &Exporter{cfg: r, dir: r.Dir, loc: loc, locked: map[string]bool{},
		pending: map[string][]byte{}, now: time.Now,
		knobs: knobs{half: map[string]bool{}, missing: map[string]string{},
			truncate: map[string]bool{}}}
	e.in = sub(r.Dir, r.In)
	e.out = sub(r.Dir, r.Out)
	for _, d := range []string{e.in, e.out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	hallNames := []string{"Основной зал", "Веранда", "Терраса", "Бар"}
	for h := range l.Halls {
		name := fmt.Sprintf("Зал %d", h+1)
		if h < len(hallNames) {
			name = hallNames[h]
		}
		e.halls = append(e.halls, wire.Hall{ID: fmt.Sprintf("h%d", h+1), Name: name})
	}
	for i := range l.Tables {
		e.tables = append(e.tables, wire.Table{
			ID: fmt.Sprintf("t%d", i+1), HallID: e.halls[i%l.Halls].ID,
			Number: fmt.Sprint(i + 1), Seats: 2 + 2*(i%3),
		})
	}
	e.dirty = true
	return e, e.Export()
}

func sub(dir, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// Config returns the resolved config the exporter writes by.
func (e *Exporter) Config() files.Config { return e.cfg }

// Counts returns how much the exporter has done.
func (e *Exporter) Counts() Counts {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts
}

// Run carries out imports and writes exports after changes, every every,
// until ctx ends.
func (e *Exporter) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = e.Step()
		}
	}
}

// Step carries out the imports waiting in out/ and, if anything changed
// and exports are not withheld, writes new exports.
func (e *Exporter) Step() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.importAll(); err != nil {
		return err
	}
	if e.now().Before(e.knobs.holdUntil) {
		return nil
	}
	if !e.dirty && len(e.pending) == 0 {
		return nil
	}
	return e.exportLocked()
}

// Export writes all three exports now, as an export job run by hand.
func (e *Exporter) Export() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.exportLocked()
}

func (e *Exporter) exportLocked() error {
	// Half-written files of an earlier export are finished first.
	for name, data := range e.pending {
		if err := e.writeFile(name, data, true); err != nil {
			return err
		}
		delete(e.pending, name)
	}
	for _, k := range []string{"tables", "orders", "reservations"} {
		e.next++
		pattern := e.mapping(k).Pattern
		name := strings.Replace(pattern, "*", fmt.Sprintf("-%06d", e.next), 1)
		data, err := e.encode(k, e.knobs.missing[k])
		if err != nil {
			return fmt.Errorf("filestest: encode %s: %w", k, err)
		}
		delete(e.knobs.missing, k)
		switch {
		case e.knobs.half[k]:
			delete(e.knobs.half, k)
			e.pending[name] = data
			err = os.WriteFile(filepath.Join(e.in, name), data[:len(data)/2], 0o644)
		case e.knobs.truncate[k]:
			delete(e.knobs.truncate, k)
			err = e.writeFile(name, data[:len(data)*2/3], true)
		default:
			err = e.writeFile(name, data, !e.knobs.noMarkers)
		}
		if err != nil {
			return fmt.Errorf("filestest: write %s: %w", name, err)
		}
	}
	e.counts.Exports++
	e.dirty = false
	return nil
}

// writeFile writes an export through a temporary name, then its marker.
func (e *Exporter) writeFile(name string, data []byte, marker bool) error {
	tmp := filepath.Join(e.in, "."+name+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(e.in, name)); err != nil {
		return err
	}
	if !marker {
		return nil
	}
	return os.WriteFile(filepath.Join(e.in, name+".done"), nil, 0o644)
}

func (e *Exporter) mapping(k string) files.Mapping {
	switch k {
	case "tables":
		return e.cfg.Tables
	case "orders":
		return e.cfg.Orders
	}
	return e.cfg.Reservations
}

// OpenOrder opens a walk-in order on table and exports at once.
func (e *Exporter) OpenOrder(table string, guests int) (string, error) {
	e.mu.Lock()
	e.next++
	id := fmt.Sprintf("o%d", e.next)
	e.orders = append(e.orders, wire.Order{ID: id, TableIDs: []string{table},
		OpenedAt: e.now().Truncate(time.Minute).UTC(), Guests: guests, Status: "open"})
	e.dirty = true
	err := e.exportLocked()
	e.mu.Unlock()
	return id, err
}

// CloseOrder closes an open order and exports at once.
func (e *Exporter) CloseOrder(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.orders = slices.DeleteFunc(e.orders, func(o wire.Order) bool { return o.ID == id })
	e.dirty = true
	return e.exportLocked()
}

// AddReservation records a phone booking and exports at once.
func (e *Exporter) AddReservation(r wire.Reservation) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.next++
	r.ID = fmt.Sprintf("r%d", e.next)
	if r.Status == "" {
		r.Status = wire.ReservationConfirmed
	}
	r.Start = r.Start.UTC()
	e.res = append(e.res, r)
	e.dirty = true
	return r.ID, e.exportLocked()
}

// Reservations lists the reservations held, cancelled ones included.
func (e *Exporter) Reservations() []wire.Reservation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.res)
}

// Lock makes a reservation refuse cancellation, as when guests are seated.
func (e *Exporter) Lock(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.locked[id] = true
}

// LoseNextAnswer makes the next import be carried out while exports are
// withheld for d: the connector sees no answer within a shorter wait.
func (e *Exporter) LoseNextAnswer(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.knobs.loseNext = d
}

// SlowImports makes imports wait d in out/ before they are carried out.
func (e *Exporter) SlowImports(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.knobs.slow = d
}

// RefuseNext makes the next import be refused with reason.
func (e *Exporter) RefuseNext(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.knobs.refuseNext = reason
}

// HalfWriteNext makes the next export of kind (tables, orders or
// reservations) be written half, without a marker, and finished at the
// following export.
func (e *Exporter) HalfWriteNext(kind string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.knobs.half[kind] = true
}

// TruncateNext makes the next export of kind end two thirds of the way
// through, yet carry a marker, as a crashed export job's would.
func (e *Exporter) TruncateNext(kind string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.knobs.truncate[kind] = true
}

// DropColumnNext makes the next export of kind lack field's column.
func (e *Exporter) DropColumnNext(kind, field string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.knobs.missing[kind] = field
}

// NoMarkers makes exports be written without marker files, for a
// connector that waits for them to settle.
func (e *Exporter) NoMarkers(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.knobs.noMarkers = on
}

// SetDown takes the exchange folder away (true), as a disconnected
// network share, or brings it back (false).
func (e *Exporter) SetDown(down bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	away := e.dir + ".offline"
	if down {
		return os.Rename(e.dir, away)
	}
	return os.Rename(away, e.dir)
}

// Activity makes staff change the venue every every until ctx ends, for
// the demo: walk-ins open and close orders, phone bookings appear and are
// cancelled.
func (e *Exporter) Activity(ctx context.Context, rnd *rand.Rand, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.mu.Lock()
		table := e.tables[rnd.IntN(len(e.tables))]
		switch rnd.IntN(4) {
		case 0:
			e.next++
			e.orders = append(e.orders, wire.Order{ID: fmt.Sprintf("o%d", e.next),
				TableIDs: []string{table.ID}, OpenedAt: e.now().Truncate(time.Minute).UTC(),
				Guests: 1 + rnd.IntN(table.Seats), Status: "open"})
		case 1:
			if len(e.orders) > 0 {
				i := rnd.IntN(len(e.orders))
				e.orders = slices.Delete(e.orders, i, i+1)
			}
		case 2:
			e.next++
			start := e.now().Add(time.Duration(1+rnd.IntN(8)) * time.Hour).Truncate(time.Hour)
			e.res = append(e.res, wire.Reservation{ID: fmt.Sprintf("r%d", e.next),
				TableIDs: []string{table.ID}, Start: start.UTC(),
				Duration: wire.Duration(2 * time.Hour), Guests: 2, Name: "Гость по телефону",
				Status: wire.ReservationConfirmed})
		case 3:
			for i := range e.res {
				if e.res[i].Status != wire.ReservationCancelled && e.res[i].BookingID == "" {
					e.res[i].Status = wire.ReservationCancelled
					break
				}
			}
		}
		e.dirty = true
		e.mu.Unlock()
	}
}

// TableID returns the id of the i-th table.
func (e *Exporter) TableID(i int) string { return e.tables[i%len(e.tables)].ID }

// Seed adds a reservation without exporting, to build a large venue
// quickly; the next export shows it.
func (e *Exporter) Seed(r wire.Reservation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.next++
	r.ID = fmt.Sprintf("r%d", e.next)
	if r.Status == "" {
		r.Status = wire.ReservationConfirmed
	}
	r.Start = r.Start.UTC()
	e.res = append(e.res, r)
	e.dirty = true
}
