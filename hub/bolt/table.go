package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
	"go.etcd.io/bbolt"
)

// Tables lists the venue's tables from the mirror, each with its settings
// (hub.DefaultTableSettings where staff set none), ordered by id. It
// returns hub.ErrNotFound for an unknown venue.
func (s *Store) Tables(ctx context.Context, venueID string) ([]hub.Table, error) {
	var list []hub.Table
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if err := venueExists(tx, venueID); err != nil {
			return err
		}
		mirror := existing(tx, bucketMirror, venueID)
		if mirror == nil {
			return nil
		}
		settings := existing(tx, bucketSettings, venueID)
		prefix := []byte(wire.Key(wire.EntityTable, ""))
		c := mirror.Cursor()
		for k, raw := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, raw = c.Next() {
			tb := hub.Table{VenueID: venueID, TableSettings: hub.DefaultTableSettings}
			if err := json.Unmarshal(raw, &tb.Table); err != nil {
				return fmt.Errorf("venue %q: decode %s: %w", venueID, k, err)
			}
			if settings != nil {
				if raw := settings.Get([]byte(tb.ID)); raw != nil {
					if err := json.Unmarshal(raw, &tb.TableSettings); err != nil {
						return fmt.Errorf("decode settings of table %q: %w", tb.ID, err)
					}
				}
			}
			list = append(list, tb)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tables of venue %q: %w", venueID, err)
	}
	return list, nil
}

// SetTableSettings replaces the hub-side settings of a table. The table
// need not be in the mirror yet. It returns hub.ErrNotFound for an unknown
// venue.
func (s *Store) SetTableSettings(ctx context.Context, venueID, tableID string,
	st hub.TableSettings) error {
	if venueID == "" || tableID == "" {
		return fmt.Errorf("set settings of table %q at venue %q: %w", tableID, venueID,
			errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := venueExists(tx, venueID); err != nil {
			return err
		}
		settings, err := nested(tx, bucketSettings, venueID)
		if err != nil {
			return err
		}
		return putJSON(settings, tableID, st)
	})
	if err != nil {
		return fmt.Errorf("set settings of table %q: %w", tableID, err)
	}
	return nil
}

// TableGroups lists a venue's groups of joinable tables, ordered by id. It
// returns hub.ErrNotFound for an unknown venue.
func (s *Store) TableGroups(ctx context.Context, venueID string) ([]hub.TableGroup, error) {
	var list []hub.TableGroup
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if err := venueExists(tx, venueID); err != nil {
			return err
		}
		groups := existing(tx, bucketGroups, venueID)
		if groups == nil {
			return nil
		}
		return groups.ForEach(func(k, raw []byte) error {
			var g hub.TableGroup
			if err := json.Unmarshal(raw, &g); err != nil {
				return fmt.Errorf("decode group %q: %w", k, err)
			}
			list = append(list, g)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("table groups of venue %q: %w", venueID, err)
	}
	return list, nil
}

// PutTableGroup creates or replaces a group. It returns hub.ErrNotFound for
// an unknown venue.
func (s *Store) PutTableGroup(ctx context.Context, g hub.TableGroup) error {
	if g.ID == "" || g.VenueID == "" {
		return fmt.Errorf("put table group %q of venue %q: %w", g.ID, g.VenueID, errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := venueExists(tx, g.VenueID); err != nil {
			return err
		}
		groups, err := nested(tx, bucketGroups, g.VenueID)
		if err != nil {
			return err
		}
		return putJSON(groups, g.ID, g)
	})
	if err != nil {
		return fmt.Errorf("put table group %q: %w", g.ID, err)
	}
	return nil
}

// DeleteTableGroup removes a group. Removing a group, or at a venue, that
// does not exist is not an error.
func (s *Store) DeleteTableGroup(ctx context.Context, venueID, groupID string) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		groups := existing(tx, bucketGroups, venueID)
		if groups == nil || groups.Get([]byte(groupID)) == nil {
			return errRollback
		}
		return groups.Delete([]byte(groupID))
	})
	if err != nil && err != errRollback {
		return fmt.Errorf("delete table group %q: %w", groupID, err)
	}
	return nil
}
