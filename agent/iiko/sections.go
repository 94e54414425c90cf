package iiko

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// SectionsAnswer is the answer of /reserve/available_restaurant_sections.
type SectionsAnswer struct {
	CorrelationID string    `json:"correlationId"`
	Sections      []Section `json:"restaurantSections"`
	Revision      num       `json:"revision"`
}

// Section is a restaurant section (a hall) with its tables, changed ones
// only when asked by revision.
type Section struct {
	ID              string  `json:"id"`
	TerminalGroupID string  `json:"terminalGroupId"`
	Name            string  `json:"name"`
	Tables          []Table `json:"tables"`
	Schema          *Schema `json:"schema"`
}

// Table is a table of a section.
type Table struct {
	ID              string `json:"id"`
	Number          num    `json:"number"`
	Name            string `json:"name"`
	SeatingCapacity num    `json:"seatingCapacity"`
	Revision        num    `json:"revision"`
	IsDeleted       bool   `json:"isDeleted"`
}

// Schema is a section's floor plan.
type Schema struct {
	TableElements []struct {
		TableID string `json:"tableId"`
		X       num    `json:"x"`
		Y       num    `json:"y"`
		Width   num    `json:"width"`
		Height  num    `json:"height"`
	} `json:"tableElements"`
	IsDeleted bool `json:"isDeleted"`
}

// fullEvery is how often the tables are read whole rather than by
// revision: it drops halls that lost all their tables and heals any drift.
const fullEvery = time.Hour

// sectionCache is the venue's last full table set, kept up to date by
// revision.
type sectionCache struct {
	loaded   bool
	revision int64
	readAt   time.Time
	fullAt   time.Time
	halls    map[string]wire.Hall
	tables   map[string]wire.Table
	// plans holds table positions by section, as the last schema said.
	plans map[string]map[string]wire.Position
}

// readSections refreshes the cache when it is older than SectionsEvery:
// everything the first time and every fullEvery, else what changed since
// the last revision.
func (c *Connector) readSections(ctx context.Context, v venue, now time.Time) error {
	sc := &c.sections
	if sc.loaded && now.Sub(sc.readAt) < c.cfg.SectionsEvery {
		return nil
	}
	full := !sc.loaded || now.Sub(sc.fullAt) >= fullEvery
	req := map[string]any{
		"terminalGroupIds": []string{v.tg}, "returnSchema": true, "revision": nil,
	}
	if !full {
		req["revision"] = sc.revision
	}
	var ans SectionsAnswer
	if err := c.c.call(ctx, "reserve/available_restaurant_sections", req, &ans); err != nil {
		return err
	}
	if full {
		*sc = sectionCache{
			halls: map[string]wire.Hall{}, tables: map[string]wire.Table{},
			plans: map[string]map[string]wire.Position{}, fullAt: now,
		}
	}
	sc.apply(ans)
	sc.loaded, sc.readAt = true, now
	return nil
}

// apply merges an answer (full or incremental) into the cache.
func (sc *sectionCache) apply(ans SectionsAnswer) {
	for _, s := range ans.Sections {
		if s.ID == "" {
			continue
		}
		sc.halls[s.ID] = wire.Hall{ID: s.ID, Name: s.Name}
		if s.Schema != nil {
			if s.Schema.IsDeleted {
				delete(sc.plans, s.ID)
			} else {
				plan := map[string]wire.Position{}
				for _, e := range s.Schema.TableElements {
					plan[e.TableID] = wire.Position{X: float64(e.X), Y: float64(e.Y),
						W: float64(e.Width), H: float64(e.Height)}
				}
				sc.plans[s.ID] = plan
			}
		}
		for _, t := range s.Tables {
			if t.ID == "" {
				continue
			}
			if t.IsDeleted {
				delete(sc.tables, t.ID)
				continue
			}
			name := t.Name
			number := strconv.FormatInt(int64(t.Number), 10)
			if name == number {
				name = ""
			}
			sc.tables[t.ID] = wire.Table{ID: t.ID, HallID: s.ID, Number: number,
				Name: name, Seats: int(t.SeatingCapacity)}
		}
	}
	if r := int64(ans.Revision); r > sc.revision {
		sc.revision = r
	}
}

// state returns the halls and tables, sorted by id, with positions.
func (sc *sectionCache) state() ([]wire.Hall, []wire.Table) {
	halls := make([]wire.Hall, 0, len(sc.halls))
	for _, h := range sc.halls {
		halls = append(halls, h)
	}
	tables := make([]wire.Table, 0, len(sc.tables))
	for _, t := range sc.tables {
		if p, ok := sc.plans[t.HallID][t.ID]; ok {
			t.Position = &p
		}
		tables = append(tables, t)
	}
	slices.SortFunc(halls, func(a, b wire.Hall) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(tables, func(a, b wire.Table) int { return strings.Compare(a.ID, b.ID) })
	return halls, tables
}

// sectionIDs returns the ids of every known section.
func (sc *sectionCache) sectionIDs() []string {
	ids := make([]string, 0, len(sc.halls))
	for id := range sc.halls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// tableIDs returns the ids of every table.
func (sc *sectionCache) tableIDs() []string {
	ids := make([]string, 0, len(sc.tables))
	for id := range sc.tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
