package sqlreadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// Activity is the venue's evening, written as the RMS writes it: every
// tick staff open a check on a free desk or close one, take a phone
// booking or cancel or delete one, until ctx ends. At most half the desks
// have a check open and at most six bookings stand at once. A failed write
// is skipped; the next tick tries again.
func (v *Vendor) Activity(ctx context.Context, rnd *rand.Rand, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = v.step(ctx, rnd, time.Now())
		}
	}
}

// step makes one change.
func (v *Vendor) step(ctx context.Context, rnd *rand.Rand, now time.Time) error {
	desks, err := v.ids(ctx, `SELECT desk_id::text FROM vendor.desks ORDER BY desk_id`)
	if err != nil || len(desks) == 0 {
		return err
	}
	free, err := v.ids(ctx, `SELECT desk_id::text FROM vendor.desks WHERE desk_id NOT IN (
		SELECT d.desk_id FROM vendor.check_desks d JOIN vendor.checks c USING (check_id)
		WHERE c.closed IS NULL) ORDER BY desk_id`)
	if err != nil {
		return err
	}
	checks, err := v.ids(ctx, `SELECT check_id::text FROM vendor.checks WHERE closed IS NULL
		ORDER BY check_id`)
	if err != nil {
		return err
	}
	bookings, err := v.ids(ctx, `SELECT booking_id::text FROM vendor.bookings
		WHERE state = $1 ORDER BY booking_id`, StateAccepted)
	if err != nil {
		return err
	}

	canOpen := len(free) > 0 && len(checks) < len(desks)/2
	canBook := len(bookings) < 6
	switch a := rnd.IntN(4); {
	case (a == 0 || len(checks) == 0) && canOpen:
		_, err = v.OpenOrder(ctx, pick(rnd, free), 1+rnd.IntN(4), now)
	case a <= 1 && len(checks) > 0:
		err = v.CloseOrder(ctx, pick(rnd, checks), now)
	case (a == 2 || len(bookings) == 0) && canBook:
		_, err = v.AddReservation(ctx, phoneBooking(rnd, pick(rnd, desks), now))
	case len(bookings) > 0 && rnd.IntN(2) == 0:
		err = v.CancelReservation(ctx, pick(rnd, bookings))
	case len(bookings) > 0:
		err = v.DeleteReservation(ctx, pick(rnd, bookings))
	}
	return err
}

var guestNames = []string{"Анна", "Игорь", "Мария", "Олег", "Светлана", "Дмитрий"}

// phoneBooking is a call taken at the till: two hours from a half hour
// within the next four and a half.
func phoneBooking(rnd *rand.Rand, desk string, now time.Time) wire.Reservation {
	start := now.Truncate(30 * time.Minute).Add(time.Duration(2+rnd.IntN(8)) * 30 * time.Minute)
	return wire.Reservation{TableIDs: []string{desk}, Start: start,
		Duration: wire.Duration(2 * time.Hour), Guests: 2 + rnd.IntN(4),
		Name: pick(rnd, guestNames), Phone: fmt.Sprintf("+7916%07d", rnd.IntN(10_000_000))}
}

func pick(rnd *rand.Rand, from []string) string { return from[rnd.IntN(len(from))] }

// ids runs a query returning one text column.
func (v *Vendor) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := v.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
