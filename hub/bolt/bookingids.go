package bolt

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// BookingsByIDs reads the bookings with these ids in one read transaction,
// ordered by id; an id given twice is listed once, an unknown one is left
// out.
func (s *Store) BookingsByIDs(ctx context.Context, ids []string) ([]hub.Booking, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var list []hub.Booking
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		for _, id := range ids {
			b, err := getBooking(tx, id)
			if errors.Is(err, hub.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			list = append(list, b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %d bookings: %w", len(ids), err)
	}
	return list, nil
}
