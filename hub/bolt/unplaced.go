package bolt

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/stolik/stolik/shared/wire"
)

// UnplacedReservations implements hub.Store from the decoded mirror the
// block search keeps (mirrorCache), so it costs no decoding between
// changes of the mirror.
func (s *Store) UnplacedReservations(ctx context.Context, venueID string, from,
	to time.Time) ([]wire.Reservation, error) {
	var list []wire.Reservation
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v, err := getVenue(tx, venueID)
		if err != nil {
			return err
		}
		m, err := s.mirrors.get(tx, v.ID)
		if err != nil {
			return err
		}
		for _, r := range m.reservations {
			if len(r.TableIDs) > 0 || r.Status == wire.ReservationCancelled ||
				r.Start.IsZero() {
				continue
			}
			d := time.Duration(r.Duration)
			if d <= 0 {
				d = v.Policy.TurnTime(r.Guests)
			}
			if r.Start.Before(to) && r.Start.Add(d).After(from) {
				list = append(list, wire.Reservation{ID: r.ID, TableIDs: []string{},
					Start: r.Start.UTC(), Duration: r.Duration, Guests: r.Guests,
					Status: r.Status, BookingID: r.BookingID})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unplaced reservations of venue %q: %w", venueID, err)
	}
	sortUnplaced(list)
	return list, nil
}

// sortUnplaced orders reservations by start, then id.
func sortUnplaced(list []wire.Reservation) {
	slices.SortFunc(list, func(a, b wire.Reservation) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
}
