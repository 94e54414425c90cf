package iikotest

import "time"

// MoveReservation moves a reserve to another start at the till.
func (f *Fake) MoveReservation(id string, start time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.reserves[id]; ok {
		r.start = start.Truncate(time.Second)
		f.touch(r)
	}
}
