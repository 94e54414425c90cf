package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

const venueColumns = `id, name, time_zone, mode, policy, chain, created_at`

func scanVenue(row pgx.Row) (hub.Venue, error) {
	var v hub.Venue
	var policy []byte
	if err := row.Scan(&v.ID, &v.Name, &v.TimeZone, &v.Mode, &policy, &v.Chain,
		&v.CreatedAt); err != nil {
		return hub.Venue{}, err
	}
	v.CreatedAt = utc(v.CreatedAt)
	if err := json.Unmarshal(policy, &v.Policy); err != nil {
		return hub.Venue{}, fmt.Errorf("decode policy of venue %q: %w", v.ID, err)
	}
	return v, nil
}

// CreateVenue stores a new venue; hub.ErrExists if the id is taken.
func (s *Store) CreateVenue(ctx context.Context, v hub.Venue) error {
	if v.ID == "" {
		return fmt.Errorf("create venue: %w", errEmptyID)
	}
	policy, err := json.Marshal(v.Policy)
	if err != nil {
		return fmt.Errorf("create venue %q: encode policy: %w", v.ID, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO venues (`+venueColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		v.ID, v.Name, v.TimeZone, v.Mode, policy, v.Chain, v.CreatedAt)
	if err != nil {
		return fmt.Errorf("create venue %q: %w", v.ID, classify(err))
	}
	return nil
}

// Venue returns one venue; hub.ErrNotFound if there is none with id.
func (s *Store) Venue(ctx context.Context, id string) (hub.Venue, error) {
	v, err := scanVenue(s.pool.QueryRow(ctx,
		`SELECT `+venueColumns+` FROM venues WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("venue", id)
	}
	if err != nil {
		return hub.Venue{}, fmt.Errorf("get venue: %w", err)
	}
	return v, nil
}

// Venues lists every venue, ordered by id.
func (s *Store) Venues(ctx context.Context) ([]hub.Venue, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+venueColumns+` FROM venues ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list venues: %w", err)
	}
	list, err := collect(rows, scanVenue)
	if err != nil {
		return nil, fmt.Errorf("list venues: %w", err)
	}
	return list, nil
}

// UpdateVenue replaces a venue's name, zone, mode, policy and chain, and rebuilds
// the occupancy blocks of its open orders, whose length the policy's turn
// times decide. hub.ErrNotFound for an unknown venue.
func (s *Store) UpdateVenue(ctx context.Context, v hub.Venue) error {
	policy, err := json.Marshal(v.Policy)
	if err != nil {
		return fmt.Errorf("update venue %q: encode policy: %w", v.ID, err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE venues SET name = $2, time_zone = $3, mode = $4,
			policy = $5, chain = $6 WHERE id = $1`, v.ID, v.Name, v.TimeZone, v.Mode, policy,
			v.Chain)
		if err != nil {
			return classify(err)
		}
		if tag.RowsAffected() == 0 {
			return notFound("venue", v.ID)
		}

		learned, err := learnedTurn(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT data FROM mirror_orders WHERE venue_id = $1
			ORDER BY id`, v.ID)
		if err != nil {
			return err
		}
		orders, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return err
		}
		var ids, tables []string
		var starts, ends []time.Time
		for _, raw := range orders {
			var o wire.Order
			if err := json.Unmarshal(raw, &o); err != nil {
				return fmt.Errorf("decode order: %w", err)
			}
			start, end := orderBlock(v.Policy, learned, o)
			ids, starts, ends = append(ids, o.ID), append(starts, start), append(ends, end)
			tables = append(tables, o.TableIDs...)
		}

		b := &pgx.Batch{}
		queueLock(b, v.ID, tables, false)
		b.Queue(`UPDATE mirror_orders AS m SET during = tstzrange(u.s, u.e)
			FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS u(id, s, e)
			WHERE m.venue_id = $1 AND m.id = u.id
				AND m.during IS DISTINCT FROM tstzrange(u.s, u.e)`, v.ID, ids, starts, ends)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("update venue %q: %w", v.ID, err)
	}
	return nil
}

// Tables lists a venue's tables from the mirror with their settings
// (hub.DefaultTableSettings for a table without any), ordered by id.
func (s *Store) Tables(ctx context.Context, venueID string) ([]hub.Table, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT m.data, s.min_party, s.max_party, s.online
		FROM venues v
		LEFT JOIN mirror_tables m ON m.venue_id = v.id
		LEFT JOIN table_settings s ON s.venue_id = m.venue_id AND s.table_id = m.id
		WHERE v.id = $1
		ORDER BY m.id`, venueID)
	if err != nil {
		return nil, fmt.Errorf("tables of venue %q: %w", venueID, err)
	}
	var venue bool
	list := []hub.Table{}
	for rows.Next() {
		venue = true
		var raw []byte
		var minParty, maxParty *int
		var online *bool
		if err := rows.Scan(&raw, &minParty, &maxParty, &online); err != nil {
			return nil, fmt.Errorf("tables of venue %q: %w", venueID, err)
		}
		if raw == nil {
			continue // the venue has no tables
		}
		t := hub.Table{VenueID: venueID, TableSettings: hub.DefaultTableSettings}
		if err := json.Unmarshal(raw, &t.Table); err != nil {
			return nil, fmt.Errorf("tables of venue %q: decode table: %w", venueID, err)
		}
		if online != nil {
			t.TableSettings = hub.TableSettings{
				MinParty: *minParty, MaxParty: *maxParty, Online: *online,
			}
		}
		list = append(list, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tables of venue %q: %w", venueID, err)
	}
	if !venue {
		return nil, fmt.Errorf("tables: %w", notFound("venue", venueID))
	}
	return list, nil
}

// SetTableSettings changes the hub-side settings of a table; a table the
// mirror does not know yet keeps them for when it appears. hub.ErrNotFound
// for an unknown venue.
func (s *Store) SetTableSettings(ctx context.Context, venueID, tableID string,
	ts hub.TableSettings) error {
	if venueID == "" || tableID == "" {
		return fmt.Errorf("set table settings: %w", errEmptyID)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO table_settings (venue_id, table_id, min_party, max_party, online)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (venue_id, table_id) DO UPDATE SET min_party = EXCLUDED.min_party,
			max_party = EXCLUDED.max_party, online = EXCLUDED.online`,
		venueID, tableID, ts.MinParty, ts.MaxParty, ts.Online)
	if err != nil {
		return fmt.Errorf("set settings of table %q of venue %q: %w", tableID, venueID,
			classify(err))
	}
	return nil
}

// TableGroups lists a venue's joinable groups, ordered by id.
// hub.ErrNotFound for an unknown venue.
func (s *Store) TableGroups(ctx context.Context, venueID string) ([]hub.TableGroup, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT g.id, g.table_ids, g.min_party, g.max_party
		FROM venues v LEFT JOIN table_groups g ON g.venue_id = v.id
		WHERE v.id = $1 ORDER BY g.id`, venueID)
	if err != nil {
		return nil, fmt.Errorf("table groups of venue %q: %w", venueID, err)
	}
	var venue bool
	list := []hub.TableGroup{}
	for rows.Next() {
		venue = true
		var id *string
		g := hub.TableGroup{VenueID: venueID}
		var minParty, maxParty *int
		if err := rows.Scan(&id, &g.TableIDs, &minParty, &maxParty); err != nil {
			return nil, fmt.Errorf("table groups of venue %q: %w", venueID, err)
		}
		if id == nil {
			continue
		}
		g.ID, g.MinParty, g.MaxParty = *id, *minParty, *maxParty
		list = append(list, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("table groups of venue %q: %w", venueID, err)
	}
	if !venue {
		return nil, fmt.Errorf("table groups: %w", notFound("venue", venueID))
	}
	return list, nil
}

// PutTableGroup creates or replaces a group. hub.ErrNotFound for an
// unknown venue.
func (s *Store) PutTableGroup(ctx context.Context, g hub.TableGroup) error {
	if g.ID == "" || g.VenueID == "" {
		return fmt.Errorf("put table group %q of venue %q: %w", g.ID, g.VenueID, errEmptyID)
	}
	tables := g.TableIDs
	if tables == nil {
		tables = []string{}
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO table_groups (venue_id, id, table_ids, min_party, max_party)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (venue_id, id) DO UPDATE SET table_ids = EXCLUDED.table_ids,
			min_party = EXCLUDED.min_party, max_party = EXCLUDED.max_party`,
		g.VenueID, g.ID, tables, g.MinParty, g.MaxParty)
	if err != nil {
		return fmt.Errorf("put table group %q of venue %q: %w", g.ID, g.VenueID, classify(err))
	}
	return nil
}

// DeleteTableGroup removes a group; removing a missing one is not an error.
func (s *Store) DeleteTableGroup(ctx context.Context, venueID, groupID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM table_groups WHERE venue_id = $1 AND id = $2`,
		venueID, groupID)
	if err != nil {
		return fmt.Errorf("delete table group %q of venue %q: %w", groupID, venueID, err)
	}
	return nil
}
