package agent

import (
	"bytes"
	"slices"
	"strings"

	"github.com/stolik/stolik/shared/wire"
)

// Diff is the change detector: it compares the stored snapshot prev (entity
// key, as wire.Key gives it, to encoded entity) with the items of a new state
// and returns one event per entity that appeared, changed or disappeared.
// Upserts come in dependency order, deletes after them in reverse order
// (reservations before the tables they sit on). Sequence numbers are left
// zero; the outbox assigns them.
func Diff(prev map[string][]byte, next []Item) []wire.Event {
	var events []wire.Event
	seen := make(map[string]struct{}, len(next))
	for _, it := range next {
		k := wire.Key(it.Entity, it.ID)
		seen[k] = struct{}{}
		if old, ok := prev[k]; ok && bytes.Equal(old, it.Data) {
			continue
		}
		events = append(events, wire.Event{
			Entity: it.Entity, ID: it.ID, Op: wire.OpUpsert, Data: it.Data,
		})
	}

	var gone []wire.Event
	for k := range prev {
		if _, ok := seen[k]; ok {
			continue
		}
		kind, id, ok := SplitKey(k)
		if !ok {
			continue
		}
		gone = append(gone, wire.Event{Entity: kind, ID: id, Op: wire.OpDelete})
	}
	slices.SortFunc(gone, func(a, b wire.Event) int {
		if c := kindRank(b.Entity) - kindRank(a.Entity); c != 0 {
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
	return append(events, gone...)
}

// SplitKey is the inverse of wire.Key.
func SplitKey(k string) (wire.Entity, string, bool) {
	kind, id, ok := strings.Cut(k, "/")
	if !ok || kind == "" {
		return "", "", false
	}
	return wire.Entity(kind), id, true
}
