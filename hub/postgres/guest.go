package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
)

const guestColumns = `id, coalesce(telegram_id, 0), name, phone, lang, created_at`

func scanGuest(row pgx.Row) (hub.Guest, error) {
	var g hub.Guest
	if err := row.Scan(&g.ID, &g.TelegramID, &g.Name, &g.Phone, &g.Lang,
		&g.CreatedAt); err != nil {
		return hub.Guest{}, err
	}
	g.CreatedAt = utc(g.CreatedAt)
	return g, nil
}

// PutGuest stores a guest: found by TelegramID when it is set, else by ID,
// and its name, phone and language replaced; or created with g.ID. The id
// and creation time of a guest found stay. A guest to create without an id
// is an error, and one whose id another guest has is hub.ErrExists.
func (s *Store) PutGuest(ctx context.Context, g hub.Guest) (hub.Guest, error) {
	var telegram *int64
	if g.TelegramID != 0 {
		telegram = &g.TelegramID
	}
	var row pgx.Row
	switch {
	case g.ID == "" && telegram != nil:
		row = s.pool.QueryRow(ctx, `UPDATE guests SET name = $2, phone = $3, lang = $4
			WHERE telegram_id = $1 RETURNING `+guestColumns, telegram, g.Name, g.Phone, g.Lang)
	case g.ID == "":
		return hub.Guest{}, fmt.Errorf("put guest: %w", errEmptyID)
	case telegram != nil:
		row = s.pool.QueryRow(ctx, `
			INSERT INTO guests (id, telegram_id, name, phone, lang, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (telegram_id) DO UPDATE SET name = EXCLUDED.name,
				phone = EXCLUDED.phone, lang = EXCLUDED.lang
			RETURNING `+guestColumns, g.ID, telegram, g.Name, g.Phone, g.Lang, g.CreatedAt)
	default:
		row = s.pool.QueryRow(ctx, `
			INSERT INTO guests (id, name, phone, lang, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone,
				lang = EXCLUDED.lang
			RETURNING `+guestColumns, g.ID, g.Name, g.Phone, g.Lang, g.CreatedAt)
	}
	out, err := scanGuest(row)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("no guest has Telegram account %d, and a new one needs an id: %w",
			g.TelegramID, errEmptyID)
	}
	if err != nil {
		return hub.Guest{}, fmt.Errorf("put guest %q: %w", g.ID, classify(err))
	}
	return out, nil
}

// Guest returns one guest; hub.ErrNotFound if there is none with id.
func (s *Store) Guest(ctx context.Context, id string) (hub.Guest, error) {
	g, err := scanGuest(s.pool.QueryRow(ctx,
		`SELECT `+guestColumns+` FROM guests WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("guest", id)
	}
	if err != nil {
		return hub.Guest{}, fmt.Errorf("get guest: %w", err)
	}
	return g, nil
}
