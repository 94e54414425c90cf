package bolt

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// bookingRecord is a booking as kept in the bookings bucket. hub.Booking
// leaves its idempotency key out of JSON so that it never reaches an API
// answer; the store needs it, so the record carries it beside the booking.
type bookingRecord struct {
	hub.Booking
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

func getBooking(tx *bbolt.Tx, id string) (hub.Booking, error) {
	var r bookingRecord
	if err := getJSON(tx.Bucket(bucketBookings), "booking", id, &r); err != nil {
		return hub.Booking{}, err
	}
	b := r.Booking
	b.IdempotencyKey = r.IdempotencyKey
	return b, nil
}

func putBooking(tx *bbolt.Tx, b hub.Booking) error {
	return putJSON(tx.Bucket(bucketBookings), b.ID,
		bookingRecord{Booking: b, IdempotencyKey: b.IdempotencyKey})
}

// indexBooking writes b's entries in the start, guest and table indexes;
// unindexBooking removes them. A booking holds its tables in
// booking_tables only while it is active.
func indexBooking(tx *bbolt.Tx, b hub.Booking) error {
	startKey, end := timeIDKey(b.Start, b.ID), timeKey(b.End)
	starts, err := nested(tx, bucketBookingStarts, b.VenueID)
	if err != nil {
		return err
	}
	if err := starts.Put(startKey, end); err != nil {
		return err
	}
	if err := growSpan(tx, b.VenueID, b.End.Sub(b.Start)); err != nil {
		return err
	}
	if b.GuestID != "" {
		guest, err := nested(tx, bucketGuestBookings, b.GuestID)
		if err != nil {
			return err
		}
		if err := guest.Put(startKey, end); err != nil {
			return err
		}
	}
	if !b.State.Active() {
		return nil
	}
	endKey, start := timeIDKey(b.End, b.ID), timeKey(b.Start)
	for _, table := range b.TableIDs {
		held, err := nested(tx, bucketBookingTables, b.VenueID, table)
		if err != nil {
			return err
		}
		if err := held.Put(endKey, start); err != nil {
			return err
		}
	}
	return nil
}

func unindexBooking(tx *bbolt.Tx, b hub.Booking) error {
	startKey := timeIDKey(b.Start, b.ID)
	if starts := existing(tx, bucketBookingStarts, b.VenueID); starts != nil {
		if err := starts.Delete(startKey); err != nil {
			return err
		}
	}
	if b.GuestID != "" {
		if guest := existing(tx, bucketGuestBookings, b.GuestID); guest != nil {
			if err := guest.Delete(startKey); err != nil {
				return err
			}
		}
	}
	endKey := timeIDKey(b.End, b.ID)
	for _, table := range b.TableIDs {
		if held := existing(tx, bucketBookingTables, b.VenueID, table); held != nil {
			if err := held.Delete(endKey); err != nil {
				return err
			}
		}
	}
	return nil
}

// growSpan records d as the venue's longest booking if it is longer than
// any before. Bookings uses it to seek to the first booking that may
// overlap a range: one that starts at most that long before it.
func growSpan(tx *bbolt.Tx, venueID string, d time.Duration) error {
	spans := tx.Bucket(bucketBookingSpans)
	if span(tx, venueID) >= d {
		return nil
	}
	return spans.Put([]byte(venueID), binary.BigEndian.AppendUint64(nil, uint64(d)))
}

func span(tx *bbolt.Tx, venueID string) time.Duration {
	raw := tx.Bucket(bucketBookingSpans).Get([]byte(venueID))
	if len(raw) != 8 {
		return 0
	}
	return time.Duration(binary.BigEndian.Uint64(raw))
}

// logEvent appends a line to a booking's audit log.
func logEvent(tx *bbolt.Tx, e hub.BookingEvent) error {
	log, err := nested(tx, bucketBookingEvents, e.BookingID)
	if err != nil {
		return err
	}
	seq, err := log.NextSequence()
	if err != nil {
		return err
	}
	return putJSON(log, string(binary.BigEndian.AppendUint64(nil, seq)), e)
}

// CreateBooking stores a new booking and the first line of its audit log.
// In the same write transaction, which bbolt runs one at a time, it
// refuses with a *hub.ConflictError a booking that overlaps any block on
// its tables, other than the RMS reservation made for it.
//
// A booking with the IdempotencyKey of an earlier one at the venue returns
// that one and hub.ErrExists, whatever else it asks for. A booking with a
// taken id is hub.ErrExists, an invalid one hub.ErrInvalid, one at an
// unknown venue hub.ErrNotFound. The booking's tables need not be in the
// mirror: a venue in manual mode has none there.
func (s *Store) CreateBooking(ctx context.Context, b hub.Booking, actor string) (
	hub.Booking, error) {
	if err := b.Validate(); err != nil {
		return hub.Booking{}, fmt.Errorf("create booking %q: %w", b.ID, err)
	}
	b.TableIDs = slices.Clone(b.TableIDs)

	var earlier hub.Booking
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		v, err := getVenue(tx, b.VenueID)
		if err != nil {
			return err
		}
		if id := bookingByKey(tx, b.VenueID, b.IdempotencyKey); id != "" {
			if earlier, err = getBooking(tx, id); err != nil {
				return err
			}
			return fmt.Errorf("idempotency key of booking %q: %w", id, hub.ErrExists)
		}
		if tx.Bucket(bucketBookings).Get([]byte(b.ID)) != nil {
			return hub.ErrExists
		}

		blocks, err := s.findBlocks(tx, v, b.Start, b.End, b.TableIDs, b)
		if err != nil {
			return err
		}
		if len(blocks) > 0 {
			return &hub.ConflictError{Block: blocks[0]}
		}

		if b.IdempotencyKey != "" {
			keys, err := nested(tx, bucketBookingKeys, b.VenueID)
			if err != nil {
				return err
			}
			if err := keys.Put([]byte(b.IdempotencyKey), []byte(b.ID)); err != nil {
				return err
			}
		}
		if err := errors.Join(putBooking(tx, b), indexBooking(tx, b)); err != nil {
			return err
		}
		return logEvent(tx, hub.BookingEvent{BookingID: b.ID, At: b.CreatedAt, Actor: actor,
			To: b.State})
	})
	if err != nil {
		return earlier, fmt.Errorf("create booking %q: %w", b.ID, err)
	}
	return b, nil
}

// bookingByKey returns the id of the venue's booking created with an
// idempotency key, if any.
func bookingByKey(tx *bbolt.Tx, venueID, key string) string {
	keys := existing(tx, bucketBookingKeys, venueID)
	if key == "" || keys == nil {
		return ""
	}
	return string(keys.Get([]byte(key)))
}

// BookingByKey implements hub.Store.
func (s *Store) BookingByKey(ctx context.Context, venueID, key string) (hub.Booking, error) {
	var b hub.Booking
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		id := bookingByKey(tx, venueID, key)
		if id == "" {
			return fmt.Errorf("booking with key %q at venue %q: %w", key, venueID,
				hub.ErrNotFound)
		}
		b, err = getBooking(tx, id)
		return err
	})
	return b, err
}

// Booking returns one booking; hub.ErrNotFound if there is none with id.
func (s *Store) Booking(ctx context.Context, id string) (hub.Booking, error) {
	var b hub.Booking
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		b, err = getBooking(tx, id)
		return err
	})
	if err != nil {
		return hub.Booking{}, fmt.Errorf("get booking: %w", err)
	}
	return b, nil
}

// Bookings lists the bookings q selects, by start then id. It walks the
// guest's index when q names a guest, else the venue's from the first
// booking that may overlap q.From, else every booking.
func (s *Store) Bookings(ctx context.Context, q hub.BookingQuery) ([]hub.Booking, error) {
	match := func(b hub.Booking) bool {
		return (q.VenueID == "" || b.VenueID == q.VenueID) &&
			(q.GuestID == "" || b.GuestID == q.GuestID) &&
			(q.From.IsZero() || b.End.After(q.From)) &&
			(q.To.IsZero() || b.Start.Before(q.To)) &&
			(len(q.States) == 0 || slices.Contains(q.States, b.State))
	}
	full := func(list []hub.Booking) bool { return q.Limit > 0 && len(list) >= q.Limit }

	var list []hub.Booking
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var index *bbolt.Bucket
		var from []byte
		switch {
		case q.GuestID != "":
			index = existing(tx, bucketGuestBookings, q.GuestID)
		case q.VenueID != "":
			index = existing(tx, bucketBookingStarts, q.VenueID)
			if !q.From.IsZero() {
				from = timeKey(q.From.Add(-span(tx, q.VenueID)))
			}
		default:
			return tx.Bucket(bucketBookings).ForEach(func(k, _ []byte) error {
				b, err := getBooking(tx, string(k))
				if err == nil && match(b) {
					list = append(list, b)
				}
				return err
			})
		}
		if index == nil {
			return nil
		}

		c := index.Cursor()
		k, end := c.First()
		if from != nil {
			k, end = c.Seek(from)
		}
		for ; k != nil && !full(list); k, end = c.Next() {
			if !q.To.IsZero() && !keyTime(k).Before(q.To) {
				break
			}
			if !q.From.IsZero() && !keyTime(end).After(q.From) {
				continue
			}
			b, err := getBooking(tx, string(k[timeKeyLen:]))
			if err != nil {
				return err
			}
			if match(b) {
				list = append(list, b)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list bookings: %w", err)
	}

	if q.GuestID == "" && q.VenueID == "" {
		slices.SortFunc(list, func(a, b hub.Booking) int {
			return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.ID, b.ID))
		})
		if full(list) {
			list = list[:q.Limit]
		}
	}
	return list, nil
}

// TransitionBooking moves a booking to tr.To and logs the move. A booking
// already in tr.To is returned unchanged, and nothing is logged, unless
// tr.Changes it (see hub.Transition). A move
// hub.CanMove refuses is hub.ErrBadTransition; new tables or times that
// overlap a block (other than the booking itself and the RMS reservations
// made for it) are a *hub.ConflictError, and an empty time range
// hub.ErrInvalid. Leaving an active state frees the tables.
func (s *Store) TransitionBooking(ctx context.Context, id string, tr hub.Transition) (
	hub.Booking, error) {
	var b hub.Booking
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := getBooking(tx, id)
		if err != nil {
			return err
		}
		b = old
		if old.State == tr.To && !tr.Changes(old) {
			return errRollback
		}
		if old.State != tr.To && !hub.CanMove(old.State, tr.To) {
			return fmt.Errorf("%w: from %s to %q", hub.ErrBadTransition, old.State, tr.To)
		}

		moved := len(tr.TableIDs) > 0 || !tr.Start.IsZero() || !tr.End.IsZero()
		if len(tr.TableIDs) > 0 {
			b.TableIDs = slices.Clone(tr.TableIDs)
		}
		if !tr.Start.IsZero() {
			b.Start = tr.Start
		}
		if !tr.End.IsZero() {
			b.End = tr.End
		}
		if !b.End.After(b.Start) {
			return fmt.Errorf("%w: end must be after start", hub.ErrInvalid)
		}
		b.State, b.Reason, b.UpdatedAt = tr.To, tr.Reason, tr.At
		if tr.ReservationID != "" {
			b.ReservationID = tr.ReservationID
		}

		if b.State.Active() && (moved || !old.State.Active()) {
			v, err := getVenue(tx, b.VenueID)
			if err != nil {
				return err
			}
			blocks, err := s.findBlocks(tx, v, b.Start, b.End, b.TableIDs, b)
			if err != nil {
				return err
			}
			if len(blocks) > 0 {
				return &hub.ConflictError{Block: blocks[0]}
			}
		}

		err = errors.Join(unindexBooking(tx, old), indexBooking(tx, b), putBooking(tx, b))
		if err != nil {
			return err
		}
		return logEvent(tx, hub.BookingEvent{BookingID: id, At: tr.At, Actor: tr.Actor,
			From: old.State, To: tr.To, Reason: tr.Reason})
	})
	if errors.Is(err, errRollback) {
		return b, nil
	}
	if err != nil {
		return hub.Booking{}, fmt.Errorf("move booking %q to %q: %w", id, tr.To, err)
	}
	return b, nil
}

// BookingHistory returns a booking's audit log, oldest first; hub.ErrNotFound
// for an unknown booking.
func (s *Store) BookingHistory(ctx context.Context, id string) ([]hub.BookingEvent, error) {
	var list []hub.BookingEvent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketBookings).Get([]byte(id)) == nil {
			return fmt.Errorf("booking %q: %w", id, hub.ErrNotFound)
		}
		log := existing(tx, bucketBookingEvents, id)
		if log == nil {
			return nil
		}
		return log.ForEach(func(k, raw []byte) error {
			var e hub.BookingEvent
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("decode event %x: %w", k, err)
			}
			list = append(list, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("booking history: %w", err)
	}
	return list, nil
}
