package rkeepertest

import (
	"fmt"
	"slices"
	"time"
)

// RemoveTable takes a table out of the reference data, as a manager
// deleting it does; the TABLES DataVersion changes.
func (f *Fake) RemoveTable(tableID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.table("guid", tableID)
	if t == nil {
		return fmt.Errorf("rkeepertest: no table %s", tableID)
	}
	f.tables = slices.DeleteFunc(f.tables, func(x *item) bool { return x == t })
	f.refVersion["TABLES"]++
	return nil
}

// VoidReservation voids a reserve order at the till, as staff do when the
// guest phones to cancel: the order leaves the order list.
func (f *Fake) VoidReservation(orderID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.orders[orderID]; !ok || !o.reserve {
		return fmt.Errorf("rkeepertest: no reserve order %s", orderID)
	}
	delete(f.orders, orderID)
	f.version++
	return nil
}

// MoveReservation changes a reserve order's start at the till.
func (f *Fake) MoveReservation(orderID string, start time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[orderID]
	if !ok || !o.reserve {
		return fmt.Errorf("rkeepertest: no reserve order %s", orderID)
	}
	o.openTime = start.In(f.opts.Location).Format(timeLayout)
	f.version++
	return nil
}
