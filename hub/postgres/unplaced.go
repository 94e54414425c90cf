package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// UnplacedReservations implements hub.Store: the venue's reservations
// without tables (a partial index keeps them apart), filtered by status and
// time here, where the venue's turn time is known.
func (s *Store) UnplacedReservations(ctx context.Context, venueID string, from,
	to time.Time) ([]wire.Reservation, error) {
	v, err := s.Venue(ctx, venueID)
	if err != nil {
		return nil, fmt.Errorf("unplaced reservations: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT data FROM mirror_reservations
		WHERE venue_id = $1 AND cardinality(table_ids) = 0`, venueID)
	if err != nil {
		return nil, fmt.Errorf("unplaced reservations of venue %q: %w", venueID, err)
	}
	defer rows.Close()
	var list []wire.Reservation
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("unplaced reservations of venue %q: %w", venueID, err)
		}
		var r wire.Reservation
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("unplaced reservations of venue %q: decode: %w", venueID, err)
		}
		if r.Status == wire.ReservationCancelled || r.Start.IsZero() {
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unplaced reservations of venue %q: %w", venueID, err)
	}
	slices.SortFunc(list, func(a, b wire.Reservation) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return list, nil
}
