package postgres

import (
	"context"
	"fmt"

	"github.com/stolik/stolik/hub"
)

// BookingsByIDs reads the bookings with these ids in one query, ordered by
// id; an id given twice is listed once, an unknown one is left out.
func (s *Store) BookingsByIDs(ctx context.Context, ids []string) ([]hub.Booking, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+bookingColumns+` FROM bookings
		WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read %d bookings: %w", len(ids), err)
	}
	list, err := collect(rows, scanBooking)
	if err != nil {
		return nil, fmt.Errorf("read %d bookings: %w", len(ids), err)
	}
	return list, nil
}
