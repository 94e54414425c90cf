package agent

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/stolik/stolik/shared/wire"
)

// State is a venue as its RMS shows it at one moment.
type State struct {
	Halls        []wire.Hall
	Tables       []wire.Table
	Orders       []wire.Order
	Reservations []wire.Reservation
}

// Item is one entity of a State in its encoded form.
type Item struct {
	Entity wire.Entity
	ID     string
	Data   []byte
}

// Items encodes every entity of s, in dependency order (halls, tables,
// orders, reservations) and by id within a kind, so that equal states give
// equal bytes. For the same reason table id lists are sorted (and never
// null) and times are written in UTC.
func (s State) Items() ([]Item, error) {
	items := make([]Item, 0, len(s.Halls)+len(s.Tables)+len(s.Orders)+len(s.Reservations))
	add := func(kind wire.Entity, id string, v any) error {
		if id == "" {
			return fmt.Errorf("%s without id", kind)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", kind, id, err)
		}
		items = append(items, Item{Entity: kind, ID: id, Data: b})
		return nil
	}
	for _, h := range s.Halls {
		if err := add(wire.EntityHall, h.ID, h); err != nil {
			return nil, err
		}
	}
	for _, t := range s.Tables {
		if err := add(wire.EntityTable, t.ID, t); err != nil {
			return nil, err
		}
	}
	for _, o := range s.Orders {
		o.TableIDs = sortedCopy(o.TableIDs)
		o.OpenedAt = o.OpenedAt.UTC()
		if err := add(wire.EntityOrder, o.ID, o); err != nil {
			return nil, err
		}
	}
	for _, r := range s.Reservations {
		r.TableIDs = sortedCopy(r.TableIDs)
		r.Start = r.Start.UTC()
		if err := add(wire.EntityReservation, r.ID, r); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(items, func(a, b Item) int {
		if c := kindRank(a.Entity) - kindRank(b.Entity); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for i := 1; i < len(items); i++ {
		if items[i].Entity == items[i-1].Entity && items[i].ID == items[i-1].ID {
			return nil, fmt.Errorf("%s %s appears twice", items[i].Entity, items[i].ID)
		}
	}
	return items, nil
}

func kindRank(e wire.Entity) int {
	return slices.Index(wire.Entities, e)
}

// sortedCopy returns ids sorted, never nil, so that equal lists encode to
// equal bytes whatever their order or nil-ness.
func sortedCopy(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	if slices.IsSorted(ids) {
		return ids
	}
	c := slices.Clone(ids)
	slices.Sort(c)
	return c
}
