package postertest

import (
	"fmt"
	"time"
)

// MoveReservation changes a reservation's start as staff do on the
// terminal.
func (f *Fake) MoveReservation(id string, start time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.res[id]
	if r == nil {
		return fmt.Errorf("postertest: no reservation %s", id)
	}
	r.start, r.updated = start.Truncate(time.Second), f.now()
	return nil
}
