package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stolik/stolik/hub"
)

const noticeColumns = `id, venue_id, kind, booking_id, guest_name, phone, comment,
	party, wanted, created_at, done_at`

func scanNotice(row pgx.Row) (hub.Notice, error) {
	var n hub.Notice
	var wanted, done *time.Time
	err := row.Scan(&n.ID, &n.VenueID, &n.Kind, &n.BookingID, &n.GuestName, &n.Phone,
		&n.Comment, &n.Party, &wanted, &n.CreatedAt, &done)
	n.Wanted, n.DoneAt, n.CreatedAt = fromNull(wanted), fromNull(done), utc(n.CreatedAt)
	return n, err
}

// PutNotice implements hub.Store: the primary key makes a second notice
// with an id hub.ErrExists, the foreign key an unknown venue
// hub.ErrNotFound.
func (s *Store) PutNotice(ctx context.Context, n hub.Notice) error {
	if err := n.Validate(); err != nil {
		return fmt.Errorf("put notice: %w", err)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO staff_notices (`+noticeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		n.ID, n.VenueID, string(n.Kind), n.BookingID, n.GuestName, n.Phone, n.Comment,
		n.Party, nullTime(n.Wanted), n.CreatedAt, nullTime(n.DoneAt))
	if err != nil {
		return fmt.Errorf("put notice %q: %w", n.ID, classify(err))
	}
	return nil
}

// VenueNotices implements hub.Store.
func (s *Store) VenueNotices(ctx context.Context, venueID string) ([]hub.Notice, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+noticeColumns+` FROM staff_notices
		WHERE venue_id = $1 AND done_at IS NULL ORDER BY created_at, id`, venueID)
	if err != nil {
		return nil, fmt.Errorf("list notices of venue %q: %w", venueID, err)
	}
	list, err := collect(rows, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("list notices of venue %q: %w", venueID, err)
	}
	return list, nil
}

// FinishNotice implements hub.Store. The update does nothing for a notice
// done before; the select then tells whether it is the venue's.
func (s *Store) FinishNotice(ctx context.Context, venueID, id string, at time.Time) error {
	var owner *string
	err := s.pool.QueryRow(ctx, `
		WITH done AS (
			UPDATE staff_notices SET done_at = $3
			WHERE id = $1 AND venue_id = $2 AND done_at IS NULL
			RETURNING venue_id
		)
		SELECT coalesce((SELECT venue_id FROM done),
			(SELECT venue_id FROM staff_notices WHERE id = $1))`,
		id, venueID, at).Scan(&owner)
	if err != nil {
		return fmt.Errorf("finish notice %q: %w", id, err)
	}
	if owner == nil || *owner != venueID {
		// Said as "not found": staff learn nothing of other venues.
		return fmt.Errorf("finish notice: %w", notFound("notice", id))
	}
	return nil
}
