package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stolik/stolik/shared/wire"
)

// ErrInvalid is wrapped by errors about input that can never be accepted:
// a batch that cannot be applied, a booking that breaks the rules every
// store enforces.
var ErrInvalid = errors.New("invalid")

// CheckBatch validates a batch of agent events before it is applied:
// sequences above zero and strictly increasing (gaps allowed), and for every
// known entity kind an id, an op of upsert or delete, and upsert data that
// decodes as that entity with the same id. Unknown kinds pass (a newer agent
// may send them). Errors wrap ErrInvalid.
func CheckBatch(events []wire.Event) error {
	var prev uint64
	for i, e := range events {
		if e.Seq == 0 {
			return fmt.Errorf("%w batch: event %d has sequence 0", ErrInvalid, i)
		}
		if e.Seq <= prev {
			return fmt.Errorf("%w batch: sequence %d follows %d: events must be in increasing "+
				"order", ErrInvalid, e.Seq, prev)
		}
		prev = e.Seq
		if err := checkEvent(e); err != nil {
			return fmt.Errorf("%w batch: event %d (%s): %v", ErrInvalid, e.Seq, e.Key(), err)
		}
	}
	return nil
}

// checkEvent validates one event of a known entity kind.
func checkEvent(e wire.Event) error {
	if !KnownEntity(e.Entity) {
		return nil
	}
	if e.ID == "" {
		return errors.New("empty id")
	}
	switch e.Op {
	case wire.OpDelete:
		return nil
	case wire.OpUpsert:
	default:
		return fmt.Errorf("unknown op %q", e.Op)
	}

	if len(e.Data) == 0 {
		return errors.New("upsert without data")
	}
	id, err := entityID(e.Entity, e.Data)
	if err != nil {
		return fmt.Errorf("decode data: %w", err)
	}
	if id != e.ID {
		return fmt.Errorf("data has id %q", id)
	}
	return nil
}

// KnownEntity reports whether this hub understands an entity kind.
func KnownEntity(kind wire.Entity) bool {
	switch kind {
	case wire.EntityHall, wire.EntityTable, wire.EntityOrder, wire.EntityReservation:
		return true
	}
	return false
}

// entityID decodes data as an entity of a known kind and returns its id.
func entityID(kind wire.Entity, data []byte) (string, error) {
	switch kind {
	case wire.EntityHall:
		return decodeID(data, func(h wire.Hall) string { return h.ID })
	case wire.EntityTable:
		return decodeID(data, func(t wire.Table) string { return t.ID })
	case wire.EntityOrder:
		return decodeID(data, func(o wire.Order) string { return o.ID })
	case wire.EntityReservation:
		return decodeID(data, func(r wire.Reservation) string { return r.ID })
	}
	return "", fmt.Errorf("unknown entity %q", kind)
}

func decodeID[T any](data []byte, id func(T) string) (string, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return "", err
	}
	return id(v), nil
}

// Add decodes one mirror value, stored under key "kind/id", and appends it
// to its list in st.
func (st *VenueState) Add(key string, raw []byte) error {
	kind, _, _ := strings.Cut(key, "/")
	var err error
	switch wire.Entity(kind) {
	case wire.EntityHall:
		st.Halls, err = appendDecoded(st.Halls, raw)
	case wire.EntityTable:
		st.Tables, err = appendDecoded(st.Tables, raw)
	case wire.EntityOrder:
		st.Orders, err = appendDecoded(st.Orders, raw)
	case wire.EntityReservation:
		st.Reservations, err = appendDecoded(st.Reservations, raw)
	default:
		err = fmt.Errorf("unknown entity %q", kind)
	}
	return err
}

func appendDecoded[T any](list []T, raw []byte) ([]T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return list, err
	}
	return append(list, v), nil
}
