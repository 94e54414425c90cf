package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
	"go.etcd.io/bbolt"
)

// Blocks returns every block on the venue's tables that overlaps
// [from, to): active bookings, RMS reservations that are not cancelled
// over [Start, Start+Duration), and open orders from OpenedAt for the turn
// time the venue's policy gives their guests. They are ordered by table,
// start, kind and ref. An unknown venue is hub.ErrNotFound.
func (s *Store) Blocks(ctx context.Context, venueID string, from, to time.Time) (
	[]hub.Block, error) {
	var list []hub.Block
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v, err := getVenue(tx, venueID)
		if err != nil {
			return err
		}
		list, err = s.findBlocks(tx, v, from, to, nil, hub.Booking{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("blocks of venue %q: %w", venueID, err)
	}
	return list, nil
}

// findBlocks returns, in Blocks order, the blocks at venue v that overlap
// [from, to), on the given tables (every table when tables is nil). When
// self.ID is set, the blocks of booking self and of the RMS reservation made
// for it (its BookingID is self's, or it is self's ReservationID) are left
// out: they never conflict with it. An empty range blocks nothing; a
// reservation without a duration blocks for the policy's turn time.
func (s *Store) findBlocks(tx *bbolt.Tx, v hub.Venue, from, to time.Time, tables []string,
	self hub.Booking) ([]hub.Block, error) {
	var list []hub.Block
	add := func(ids []string, start, end time.Time, kind hub.BlockKind, ref string) {
		if !end.After(start) || !start.Before(to) || !end.After(from) {
			return
		}
		for _, id := range ids {
			if tables == nil || slices.Contains(tables, id) {
				list = append(list, hub.Block{TableID: id, Start: start, End: end, Kind: kind,
					Ref: ref})
			}
		}
	}

	if held := existing(tx, bucketBookingTables, v.ID); held != nil {
		addBooking := func(table []byte) {
			// Keys are end then id: seek past bookings that ended by from.
			c := held.Bucket(table).Cursor()
			for k, start := c.Seek(timeKey(from)); k != nil; k, start = c.Next() {
				if id := string(k[timeKeyLen:]); id != self.ID || self.ID == "" {
					add([]string{string(table)}, keyTime(start), keyTime(k),
						hub.BlockBooking, id)
				}
			}
		}
		if tables == nil {
			c := held.Cursor()
			for table, _ := c.First(); table != nil; table, _ = c.Next() {
				addBooking(table)
			}
		}
		for _, table := range tables {
			if held.Bucket([]byte(table)) != nil {
				addBooking([]byte(table))
			}
		}
	}

	m, err := s.mirrors.get(tx, v.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range m.reservations {
		mine := self.ID != "" && (r.BookingID == self.ID ||
			self.ReservationID != "" && r.ID == self.ReservationID)
		if r.Status != wire.ReservationCancelled && !mine {
			d := time.Duration(r.Duration)
			if d <= 0 {
				d = v.Policy.TurnTime(r.Guests)
			}
			add(r.TableIDs, r.Start, r.Start.Add(d), hub.BlockReservation, r.ID)
		}
	}
	learned := learnedTurn(tx, v.ID)
	for _, o := range m.orders {
		add(o.TableIDs, o.OpenedAt, o.OpenedAt.Add(hub.OccupancyTurn(v.Policy, o.Guests, learned)),
			hub.BlockOccupancy, o.ID)
	}
	return sortBlocks(list), nil
}

// mirrorCache keeps, for each venue, the reservations and orders of its
// mirror decoded, as of one generation of the mirror: the mirror bucket's
// sequence, which ApplyBatch and ResetMirror raise in the transaction that
// changes the mirror. A transaction that reads the generation it finds in
// the cache reads the cached lists; any other decodes the mirror once, and
// the newest generation decoded is kept. So a create decodes the mirror
// once per change of the mirror rather than once per create. Entries are
// never changed once made, so readers share them without copying.
type mirrorCache struct {
	mu     sync.Mutex
	venues map[string]*mirrorTimes // guarded by mu
}

// mirrorTimes is what findBlocks needs of one generation of a mirror.
type mirrorTimes struct {
	gen          uint64
	reservations []reservationTimes
	orders       []orderTimes
}

// get returns the venue's mirror as tx sees it.
func (c *mirrorCache) get(tx *bbolt.Tx, venueID string) (*mirrorTimes, error) {
	mirror := existing(tx, bucketMirror, venueID)
	if mirror == nil {
		return &mirrorTimes{}, nil
	}
	gen := mirror.Sequence()
	c.mu.Lock()
	m := c.venues[venueID]
	c.mu.Unlock()
	if m != nil && m.gen == gen {
		return m, nil
	}

	m = &mirrorTimes{gen: gen}
	cur := mirror.Cursor()
	prefix := []byte(wire.Key(wire.EntityReservation, ""))
	for k, raw := cur.Seek(prefix); bytes.HasPrefix(k, prefix); k, raw = cur.Next() {
		var r reservationTimes
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("venue %q: decode %s: %w", venueID, k, err)
		}
		m.reservations = append(m.reservations, r)
	}
	prefix = []byte(wire.Key(wire.EntityOrder, ""))
	for k, raw := cur.Seek(prefix); bytes.HasPrefix(k, prefix); k, raw = cur.Next() {
		var o orderTimes
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("venue %q: decode %s: %w", venueID, k, err)
		}
		m.orders = append(m.orders, o)
	}

	c.mu.Lock()
	if old := c.venues[venueID]; old == nil || old.gen < gen {
		c.venues[venueID] = m
	}
	c.mu.Unlock()
	return m, nil
}

// reservationTimes and orderTimes are what findBlocks reads of mirrored
// reservations and orders; decoding only these fields is cheaper.
type reservationTimes struct {
	ID        string                 `json:"id"`
	TableIDs  []string               `json:"table_ids"`
	Start     time.Time              `json:"start"`
	Duration  wire.Duration          `json:"duration"`
	Guests    int                    `json:"guests"`
	Status    wire.ReservationStatus `json:"status"`
	BookingID string                 `json:"booking_id"`
}

type orderTimes struct {
	ID       string    `json:"id"`
	TableIDs []string  `json:"table_ids"`
	OpenedAt time.Time `json:"opened_at"`
	Guests   int       `json:"guests"`
}

// sortBlocks orders blocks by table, start, kind, then ref.
func sortBlocks(list []hub.Block) []hub.Block {
	slices.SortFunc(list, func(a, b hub.Block) int {
		return cmp.Or(strings.Compare(a.TableID, b.TableID), a.Start.Compare(b.Start),
			strings.Compare(string(a.Kind), string(b.Kind)), strings.Compare(a.Ref, b.Ref))
	})
	return list
}
