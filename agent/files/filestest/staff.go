package filestest

import (
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// AddTable adds a table of seats seats to the first hall, as a manager
// does in the RMS, exports at once and returns its id.
func (e *Exporter) AddTable(seats int) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.next++
	t := wire.Table{ID: fmt.Sprintf("t%d", 100+e.next), HallID: e.halls[0].ID,
		Number: fmt.Sprint(100 + e.next), Seats: seats}
	e.tables = append(e.tables, t)
	e.dirty = true
	return t.ID, e.exportLocked()
}

// RemoveTable takes a table out of the venue and exports at once.
func (e *Exporter) RemoveTable(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.tables)
	e.tables = slices.DeleteFunc(e.tables, func(t wire.Table) bool { return t.ID == id })
	if len(e.tables) == n {
		return fmt.Errorf("filestest: no table %s", id)
	}
	e.dirty = true
	return e.exportLocked()
}

// CancelReservation cancels a reservation at the till (the row stays, with
// status cancelled) and exports at once.
func (e *Exporter) CancelReservation(id string) error {
	return e.changeReservation(id, func(r *wire.Reservation) {
		r.Status = wire.ReservationCancelled
	})
}

// MoveReservation moves a reservation to another start at the till and
// exports at once.
func (e *Exporter) MoveReservation(id string, start time.Time) error {
	return e.changeReservation(id, func(r *wire.Reservation) { r.Start = start.UTC() })
}

func (e *Exporter) changeReservation(id string, change func(*wire.Reservation)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := slices.IndexFunc(e.res, func(r wire.Reservation) bool { return r.ID == id })
	if i < 0 {
		return fmt.Errorf("filestest: no reservation %s", id)
	}
	change(&e.res[i])
	e.dirty = true
	return e.exportLocked()
}
