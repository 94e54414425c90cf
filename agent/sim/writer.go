package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/agent/internal/atomicfile"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// createdPrefix starts the id of every reservation created through the
// writer; the model's own reservations start with modelPrefix.
const (
	createdPrefix = "sim-r-"
	modelPrefix   = "r-"
)

// keepEnded is how long a created reservation (or the mark of a cancelled
// one) stays in the state file after it ended.
const keepEnded = 24 * time.Hour

// record is a reservation created through the writer. A cancelled one stays
// as a mark, so that a late retry of its creation does not bring it back.
type record struct {
	res wire.Reservation // Status is cancelled once cancelled
}

func (r *record) live() bool { return r.res.Status != wire.ReservationCancelled }

func (r *record) end() time.Time { return r.res.Start.Add(time.Duration(r.res.Duration)) }

func (r *record) clone() wire.Reservation {
	c := r.res
	c.TableIDs = slices.Clone(r.res.TableIDs)
	return c
}

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: %s", agent.ErrRefused, fmt.Sprintf(format, args...))
}

// CreateReservation writes a confirmed reservation with the id
// "sim-r-<BookingID>". A retry with the same BookingID returns the
// reservation created first, whatever the rest of the request says; a
// BookingID that was cancelled is refused. It refuses, wrapping
// agent.ErrRefused, an incomplete request, an unknown table, a party larger
// than the tables' seats, a time that is over, and a time that overlaps a
// reservation on one of the tables (the model's at the current step, or an
// earlier created one). The model itself does not look at created
// reservations, so a later phone reservation may overlap one, as at a real
// till. The reservation is in the state file before it is returned.
func (v *Venue) CreateReservation(ctx context.Context, req wire.ReservationRequest) (
	wire.Reservation, error) {
	if err := ctx.Err(); err != nil {
		return wire.Reservation{}, err
	}
	n := v.CurrentStep()
	now := v.now()

	v.mu.Lock()
	defer v.mu.Unlock()
	if v.down != nil {
		return wire.Reservation{}, v.down
	}
	if req.BookingID == "" {
		return wire.Reservation{}, refused("reservation without a booking id")
	}
	if rec, ok := v.created[req.BookingID]; ok {
		if !rec.live() {
			return wire.Reservation{}, refused("booking %s was cancelled", req.BookingID)
		}
		return rec.clone(), nil
	}

	v.asked++
	if v.cfg.RefuseEvery > 0 && v.asked%v.cfg.RefuseEvery == 0 {
		return wire.Reservation{}, refused("table %s was just taken by a phone booking",
			strings.Join(req.TableIDs, ", "))
	}

	res := wire.Reservation{
		ID:        createdPrefix + req.BookingID,
		TableIDs:  slices.Sorted(slices.Values(req.TableIDs)),
		Start:     req.Start.UTC().Truncate(time.Second),
		Duration:  req.Duration,
		Guests:    req.Guests,
		Name:      req.Name,
		Phone:     req.Phone,
		Comment:   req.Comment,
		Status:    wire.ReservationConfirmed,
		BookingID: req.BookingID,
	}
	if err := v.check(res, now, n); err != nil {
		return wire.Reservation{}, err
	}

	rec := &record{res: res}
	v.created[res.BookingID] = rec
	if err := v.save(now); err != nil {
		delete(v.created, res.BookingID)
		return wire.Reservation{}, fmt.Errorf("create reservation %s: %w", res.ID, err)
	}
	return rec.clone(), nil
}

// check says why the RMS would refuse res at time now and step n.
func (v *Venue) check(res wire.Reservation, now time.Time, n int) error {
	switch {
	case len(res.TableIDs) == 0:
		return refused("reservation without tables")
	case res.Guests < 1:
		return refused("reservation for %d guests", res.Guests)
	case res.Duration <= 0:
		return refused("reservation lasting %v", time.Duration(res.Duration))
	case res.Start.IsZero():
		return refused("reservation without a start time")
	}
	if end := res.Start.Add(time.Duration(res.Duration)); !end.After(now) {
		return refused("tables %s: the time is over (ended %s)",
			strings.Join(res.TableIDs, ", "), end.Format(time.RFC3339))
	}

	m := v.modelAt(n)
	seats := 0
	for i, id := range res.TableIDs {
		if i > 0 && res.TableIDs[i-1] == id {
			return refused("table %s is listed twice", id)
		}
		t := slices.IndexFunc(m.tables, func(t wire.Table) bool { return t.ID == id })
		if t < 0 {
			return refused("table %s is unknown", id)
		}
		seats += m.tables[t].Seats
	}
	if res.Guests > seats {
		return refused("tables %s have %d seats, the party is %d",
			strings.Join(res.TableIDs, ", "), seats, res.Guests)
	}

	s := m.state()
	for _, other := range s.Reservations {
		if err := overlap(res, other, "reservation "+other.ID); err != nil {
			return err
		}
	}
	for _, rec := range v.sortedCreated() {
		// A reservation moved is checked against the others only.
		if rec.live() && rec.res.BookingID != res.BookingID {
			if err := overlap(res, rec.res, "booking "+rec.res.BookingID); err != nil {
				return err
			}
		}
	}
	return nil
}

// overlap refuses res if it shares a table and some time with other.
func overlap(res, other wire.Reservation, what string) error {
	start, end := res.Start, res.Start.Add(time.Duration(res.Duration))
	oStart, oEnd := other.Start, other.Start.Add(time.Duration(other.Duration))
	if !start.Before(oEnd) || !oStart.Before(end) {
		return nil
	}
	for _, id := range res.TableIDs {
		if slices.Contains(other.TableIDs, id) {
			return refused("table %s is taken from %s to %s by %s", id,
				oStart.Format(time.RFC3339), oEnd.Format(time.RFC3339), what)
		}
	}
	return nil
}

// CancelReservation cancels a reservation created through the writer, found
// by BookingID or else by ReservationID. Cancelling an unknown or already
// cancelled one succeeds. One of the model's reservations (id "r-...") was
// made by phone and is refused, wrapping agent.ErrRefused. The cancel is in
// the state file before it returns.
func (v *Venue) CancelReservation(ctx context.Context, req wire.CancelRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := v.now()

	v.mu.Lock()
	defer v.mu.Unlock()
	if v.down != nil {
		return v.down
	}
	rec := v.created[req.BookingID]
	if rec == nil && strings.HasPrefix(req.ReservationID, createdPrefix) {
		rec = v.created[strings.TrimPrefix(req.ReservationID, createdPrefix)]
	}
	if rec == nil {
		if strings.HasPrefix(req.ReservationID, modelPrefix) {
			return refused("reservation %s was made by phone, cancel it at the till",
				req.ReservationID)
		}
		return nil
	}
	if !rec.live() {
		return nil
	}

	rec.res.Status = wire.ReservationCancelled
	if err := v.save(now); err != nil {
		rec.res.Status = wire.ReservationConfirmed
		return fmt.Errorf("cancel reservation %s: %w", rec.res.ID, err)
	}
	return nil
}

func (v *Venue) sortedCreated() []*record {
	recs := make([]*record, 0, len(v.created))
	for _, rec := range v.created {
		recs = append(recs, rec)
	}
	slices.SortFunc(recs, func(a, b *record) int { return strings.Compare(a.res.ID, b.res.ID) })
	return recs
}

// stateFile is the JSON form of Config.StateFile.
type stateFile struct {
	Version int `json:"version"`
	// Reservations are the created ones, cancelled ones included.
	Reservations []wire.Reservation `json:"reservations"`
}

const stateFileVersion = 1

// save writes the created reservations to the state file: a temporary file
// beside it, synced, then renamed over it. Records that ended more than
// keepEnded before now are left out, and forgotten. v.mu must be held.
func (v *Venue) save(now time.Time) error {
	if v.cfg.StateFile == "" {
		return nil
	}
	for id, rec := range v.created {
		if rec.end().Before(now.Add(-keepEnded)) {
			delete(v.created, id)
		}
	}

	f := stateFile{Version: stateFileVersion, Reservations: []wire.Reservation{}}
	for _, rec := range v.sortedCreated() {
		f.Reservations = append(f.Reservations, rec.res)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sim state: %w", err)
	}
	if err := atomicfile.Write(v.cfg.StateFile, append(b, '\n')); err != nil {
		return fmt.Errorf("write sim state file: %w", err)
	}
	return nil
}

// load reads the state file; a missing one is an empty state.
func (v *Venue) load() error {
	name := v.cfg.StateFile
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read sim state file: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("read sim state file %s: %w", name, err)
	}
	if f.Version != stateFileVersion {
		return fmt.Errorf("read sim state file %s: version %d, want %d",
			name, f.Version, stateFileVersion)
	}

	for _, r := range f.Reservations {
		if err := v.checkStored(r); err != nil {
			return fmt.Errorf("read sim state file %s: %w", name, err)
		}
		v.created[r.BookingID] = &record{res: r}
	}
	return nil
}

// checkStored rejects a stored reservation that this venue could not have
// created, such as one on a table that a smaller Config no longer has.
func (v *Venue) checkStored(r wire.Reservation) error {
	switch {
	case r.BookingID == "" || r.ID != createdPrefix+r.BookingID:
		return fmt.Errorf("reservation %q with booking id %q", r.ID, r.BookingID)
	case v.created[r.BookingID] != nil:
		return fmt.Errorf("booking %s appears twice", r.BookingID)
	case r.Status != wire.ReservationConfirmed && r.Status != wire.ReservationCancelled:
		return fmt.Errorf("reservation %s has status %q", r.ID, r.Status)
	case len(r.TableIDs) == 0:
		return fmt.Errorf("reservation %s has no tables", r.ID)
	}
	for _, id := range r.TableIDs {
		if !slices.ContainsFunc(v.model.tables, func(t wire.Table) bool { return t.ID == id }) {
			return fmt.Errorf("reservation %s is on table %s, which the venue does not have",
				r.ID, id)
		}
	}
	return nil
}
