package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
)

// TelegramChat returns a chat's state; hub.ErrNotFound for a new chat.
func (s *Store) TelegramChat(ctx context.Context, chatID int64) (hub.TelegramChat, error) {
	c := hub.TelegramChat{ChatID: chatID}
	var flow []byte
	err := s.pool.QueryRow(ctx, `SELECT lang, flow, updated_at, version FROM telegram_chats
		WHERE chat_id = $1`, chatID).Scan(&c.Lang, &flow, &c.UpdatedAt, &c.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.TelegramChat{}, fmt.Errorf("telegram chat %d: %w", chatID, hub.ErrNotFound)
	}
	if err != nil {
		return hub.TelegramChat{}, fmt.Errorf("load telegram chat %d: %w", chatID, err)
	}
	c.Flow, c.UpdatedAt = flow, utc(c.UpdatedAt)
	return c, nil
}

// PutTelegramChat stores a chat's state if its stored version is
// c.Version; hub.ErrStaleChat otherwise.
func (s *Store) PutTelegramChat(ctx context.Context, c hub.TelegramChat) error {
	var flow []byte
	if len(c.Flow) > 0 {
		flow = c.Flow
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO telegram_chats
			(chat_id, lang, flow, updated_at, version)
		VALUES ($1, $2, $3, $4, $5 + 1) ON CONFLICT (chat_id) DO UPDATE
		SET lang = excluded.lang, flow = excluded.flow, updated_at = excluded.updated_at,
			version = excluded.version
		WHERE telegram_chats.version = $5`,
		c.ChatID, c.Lang, flow, c.UpdatedAt, c.Version)
	if err != nil {
		return fmt.Errorf("put telegram chat %d: %w", c.ChatID, classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("put telegram chat %d at version %d: %w", c.ChatID, c.Version,
			hub.ErrStaleChat)
	}
	return nil
}

const telegramBookingColumns = `booking_id, venue_id, chat_id, lang, message_key, told,
	told_start, done, updated_at`

func scanTelegramBooking(row pgx.Row) (hub.TelegramBooking, error) {
	var tb hub.TelegramBooking
	var start *time.Time
	if err := row.Scan(&tb.BookingID, &tb.VenueID, &tb.ChatID, &tb.Lang, &tb.MessageKey,
		&tb.Told, &start, &tb.Done, &tb.UpdatedAt); err != nil {
		return hub.TelegramBooking{}, err
	}
	tb.ToldStart, tb.UpdatedAt = fromNull(start), utc(tb.UpdatedAt)
	return tb, nil
}

// PutTelegramBooking stores a booking's link to its chat.
func (s *Store) PutTelegramBooking(ctx context.Context, tb hub.TelegramBooking) error {
	if tb.BookingID == "" {
		return fmt.Errorf("put telegram booking: %w", errEmptyID)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO telegram_bookings (`+telegramBookingColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (booking_id) DO UPDATE
		SET venue_id = excluded.venue_id, chat_id = excluded.chat_id, lang = excluded.lang,
			message_key = excluded.message_key, told = excluded.told,
			told_start = excluded.told_start, done = excluded.done,
			updated_at = excluded.updated_at`,
		tb.BookingID, tb.VenueID, tb.ChatID, tb.Lang, tb.MessageKey, tb.Told,
		nullTime(tb.ToldStart), tb.Done, tb.UpdatedAt)
	if err != nil {
		return fmt.Errorf("put telegram booking %s: %w", tb.BookingID, classify(err))
	}
	return nil
}

// TelegramBooking returns a booking's link; hub.ErrNotFound if none.
func (s *Store) TelegramBooking(ctx context.Context, bookingID string) (hub.TelegramBooking,
	error) {
	tb, err := scanTelegramBooking(s.pool.QueryRow(ctx, `SELECT `+telegramBookingColumns+`
		FROM telegram_bookings WHERE booking_id = $1`, bookingID))
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.TelegramBooking{}, notFound("telegram booking", bookingID)
	}
	if err != nil {
		return hub.TelegramBooking{}, fmt.Errorf("load telegram booking %s: %w", bookingID, err)
	}
	return tb, nil
}

// OpenTelegramBookings lists the links not Done, by booking id.
func (s *Store) OpenTelegramBookings(ctx context.Context) ([]hub.TelegramBooking, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+telegramBookingColumns+`
		FROM telegram_bookings WHERE NOT done ORDER BY booking_id`)
	if err != nil {
		return nil, fmt.Errorf("list open telegram bookings: %w", err)
	}
	list, err := collect(rows, scanTelegramBooking)
	if err != nil {
		return nil, fmt.Errorf("list open telegram bookings: %w", err)
	}
	return list, nil
}

// CreateStaffLink stores a one-time code's hash; hub.ErrExists if the
// hash is taken, hub.ErrNotFound for an unknown venue.
func (s *Store) CreateStaffLink(ctx context.Context, l hub.StaffLink) error {
	if len(l.CodeHash) == 0 || l.VenueID == "" {
		return fmt.Errorf("create staff link of venue %q: empty code hash or venue", l.VenueID)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO telegram_staff_links (code_hash, venue_id,
		expires, created_at) VALUES ($1, $2, $3, $4)`, l.CodeHash, l.VenueID, l.Expires,
		l.CreatedAt)
	if err != nil {
		return fmt.Errorf("create staff link of venue %q: %w", l.VenueID, classify(err))
	}
	return nil
}

// RedeemStaffLink uses a code once to link chatID to the code's venue.
func (s *Store) RedeemStaffLink(ctx context.Context, codeHash []byte, chatID int64,
	now time.Time) (string, error) {
	var venueID string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE telegram_staff_links SET used_at = $2, chat_id = $3
			WHERE code_hash = $1 AND used_at IS NULL AND expires > $2
			RETURNING venue_id`, codeHash, now, chatID).Scan(&venueID)
		if errors.Is(err, pgx.ErrNoRows) {
			return hub.ErrStaffLink
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO telegram_staff_chats (venue_id, chat_id)
			VALUES ($1, $2) ON CONFLICT (venue_id) DO UPDATE SET chat_id = excluded.chat_id`,
			venueID, chatID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("redeem staff link: %w", err)
	}
	return venueID, nil
}

// MoveStaffChat links the venues of staff chat from to chat to.
func (s *Store) MoveStaffChat(ctx context.Context, from, to int64) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE telegram_staff_chats SET chat_id = $2
		WHERE chat_id = $1`, from, to)
	if err != nil {
		return 0, fmt.Errorf("move staff chat %d: %w", from, err)
	}
	return int(tag.RowsAffected()), nil
}

// StaffChat returns the venue's linked staff chat; hub.ErrNotFound if none.
func (s *Store) StaffChat(ctx context.Context, venueID string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT chat_id FROM telegram_staff_chats
		WHERE venue_id = $1`, venueID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, notFound("staff chat of venue", venueID)
	}
	if err != nil {
		return 0, fmt.Errorf("load staff chat of venue %s: %w", venueID, err)
	}
	return id, nil
}
