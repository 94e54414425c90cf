package rkeeper

import (
	"context"
	"strconv"
	"strings"

	"github.com/stolik/stolik/shared/wire"
)

// References read for halls and tables.
const (
	refHalls  = "HALLPLANS"
	refTables = "TABLES"
)

// refCache holds the reference data and the halls and tables built from
// it.
type refCache struct {
	version map[string]string    // reference name -> DataVersion
	items   map[string][]refItem // reference name -> its items
	halls   []wire.Hall
	tables  []wire.Table
	byIdent map[string]tableRef // table Ident -> table
	byID    map[string]tableRef // our table id -> table
}

// tableRef is what the write commands need to name a table.
type tableRef struct {
	id, ident, code string
}

// tableIDs maps table idents to our ids, leaving out unknown ones.
func (r *refCache) tableIDs(idents []string) []string {
	var ids []string
	for _, ident := range idents {
		if t, ok := r.byIdent[ident]; ok {
			ids = append(ids, t.id)
		}
	}
	return ids
}

// refreshRefs re-reads the references whose DataVersion changed. Unless
// force is set it does nothing until RefCheck has passed since the last
// check. The first call reads both references in full.
func (c *Connector) refreshRefs(ctx context.Context, force bool) error {
	now := c.now()
	if c.refLoaded && !force && now.Sub(c.refAt) < c.cfg.RefCheck {
		return nil
	}
	next := refCache{version: map[string]string{}, items: map[string][]refItem{}}
	changed := !c.refLoaded
	for _, name := range []string{refHalls, refTables} {
		if c.refLoaded {
			v, err := c.refVersion(ctx, name)
			if err != nil {
				return err
			}
			if v != "" && v == c.refs.version[name] {
				next.version[name], next.items[name] = v, c.refs.items[name]
				continue
			}
		}
		v, items, err := c.readRef(ctx, name)
		if err != nil {
			return err
		}
		next.version[name], next.items[name] = v, items
		changed = true
	}
	c.refAt = now
	if !changed {
		return nil
	}
	c.refs = c.buildRefs(next)
	c.refLoaded = true
	return nil
}

// refVersion asks for a reference's DataVersion without its items.
func (c *Connector) refVersion(ctx context.Context, name string) (string, error) {
	var res refResult
	err := c.c.call(ctx, command("GetRefData", "RefName", name, "OnlyActive", "1",
		"PropMask", "items.(Ident)", "ItemCount", "0"), &res)
	return res.Reference.DataVersion, err
}

// readRef reads a reference's active items.
func (c *Connector) readRef(ctx context.Context, name string) (string, []refItem, error) {
	mask := "items.(Ident,Code,Name,GUIDString,Status)"
	if name == refTables {
		mask = "items.(Ident,Code,Name,GUIDString,Status,Hall," + c.cfg.SeatsAttribute + ")"
	}
	var res refResult
	err := c.c.call(ctx, command("GetRefData", "RefName", name, "OnlyActive", "1",
		"IgnoreEnums", "0", "PropMask", mask), &res)
	return res.Reference.DataVersion, res.Reference.Items, err
}

// buildRefs turns reference items into halls and tables. Items without a
// GUID, or not active, are left out; a table on an unknown hall keeps the
// hall's ident as its hall id, so it is not lost.
func (c *Connector) buildRefs(r refCache) refCache {
	hallID := map[string]string{}
	for _, it := range r.items[refHalls] {
		id := normGUID(it.attr("GUIDString"))
		if id == "" || !active(it) {
			continue
		}
		hallID[it.attr("Ident")] = id
		r.halls = append(r.halls, wire.Hall{ID: id, Name: it.attr("Name")})
	}
	r.byIdent, r.byID = map[string]tableRef{}, map[string]tableRef{}
	for _, it := range r.items[refTables] {
		id := normGUID(it.attr("GUIDString"))
		if id == "" || !active(it) {
			continue
		}
		hall, ok := hallID[it.attr("Hall")]
		if !ok {
			c.log.Warn("table on an unknown hall", "table", id, "hall_ident", it.attr("Hall"))
			hall = it.attr("Hall")
		}
		seats, _ := strconv.Atoi(strings.TrimSpace(it.attr(c.cfg.SeatsAttribute)))
		t := wire.Table{ID: id, HallID: hall, Number: it.attr("Code"), Seats: seats}
		if name := it.attr("Name"); name != t.Number {
			t.Name = name
		}
		r.tables = append(r.tables, t)
		ref := tableRef{id: id, ident: it.attr("Ident"), code: it.attr("Code")}
		r.byIdent[ref.ident], r.byID[id] = ref, ref
	}
	// TODO(#5): table positions on the hall plan; the TABLES attributes
	// that hold them are not in the public material.
	return r
}

// active reports whether a reference item is in use. Items without a
// Status (a PropMask that left it out) count as active.
func active(it refItem) bool {
	s := it.attr("Status")
	return s == "" || s == "rsActive"
}
