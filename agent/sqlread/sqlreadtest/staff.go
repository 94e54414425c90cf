package sqlreadtest

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// AddDesk adds a desk of places places to the first zone, as the RMS's
// back office does, and returns its id.
func (v *Vendor) AddDesk(ctx context.Context, places int) (string, error) {
	var id int
	err := v.db.QueryRowContext(ctx, `INSERT INTO vendor.desks
		SELECT coalesce(max(desk_id), 0) + 1, (SELECT min(zone_id) FROM vendor.zones),
			(coalesce(max(desk_id), 0) + 1)::text, $1
		FROM vendor.desks RETURNING desk_id`, places).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("add a desk: %w", err)
	}
	return strconv.Itoa(id), nil
}

// RemoveDesk deletes a desk's row.
func (v *Vendor) RemoveDesk(ctx context.Context, deskID string) error {
	res, err := v.db.ExecContext(ctx, `DELETE FROM vendor.desks WHERE desk_id = $1::int`, deskID)
	if err != nil {
		return fmt.Errorf("remove desk %s: %w", deskID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("remove desk %s: no such desk", deskID)
	}
	return nil
}

// MoveReservation changes a booking's start, as staff do at the till.
func (v *Vendor) MoveReservation(ctx context.Context, bookingID string, start time.Time) error {
	_, err := v.db.ExecContext(ctx, `UPDATE vendor.bookings SET starts = $2
		WHERE booking_id = $1::bigint`, bookingID, v.wall(start))
	if err != nil {
		return fmt.Errorf("move booking %s: %w", bookingID, err)
	}
	return nil
}
