package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// The Telegram bot's buckets:
//
//	tg_chats/<chat id>           hub.TelegramChat
//	tg_bookings/<booking id>     hub.TelegramBooking
//	tg_open/<booking id>         empty: links not Done, for the sweep
//	tg_links/<code hash>         staffLinkRecord, used or not
//	tg_staff/<venue id>          the linked staff chat id
//
// They are created by the first write that needs them, so files of every
// schema version read them as empty until then, and no migration is needed.
var (
	bucketTgChats    = []byte("tg_chats")
	bucketTgBookings = []byte("tg_bookings")
	bucketTgOpen     = []byte("tg_open")
	bucketTgLinks    = []byte("tg_links")
	bucketTgStaff    = []byte("tg_staff")
)

// staffLinkRecord is a staff link code as kept under its hash.
type staffLinkRecord struct {
	hub.StaffLink
	UsedAt time.Time `json:"used_at,omitzero"`
	ChatID int64     `json:"chat_id,omitempty"`
}

func chatKey(id int64) string { return strconv.FormatInt(id, 10) }

// TelegramChat returns a chat's state; hub.ErrNotFound for a new chat.
func (s *Store) TelegramChat(ctx context.Context, chatID int64) (hub.TelegramChat, error) {
	var c hub.TelegramChat
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTgChats)
		if b == nil {
			return fmt.Errorf("telegram chat %d: %w", chatID, hub.ErrNotFound)
		}
		return getJSON(b, "telegram chat", chatKey(chatID), &c)
	})
	return c, err
}

// PutTelegramChat stores a chat's state if its stored version (0 for a
// record of an older schema) is c.Version; hub.ErrStaleChat otherwise.
func (s *Store) PutTelegramChat(ctx context.Context, c hub.TelegramChat) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := createBuckets(tx, bucketTgChats); err != nil {
			return err
		}
		b := tx.Bucket(bucketTgChats)
		var old hub.TelegramChat
		err := getJSON(b, "telegram chat", chatKey(c.ChatID), &old)
		if err != nil && !errors.Is(err, hub.ErrNotFound) {
			return err
		}
		if old.Version != c.Version {
			return fmt.Errorf("at version %d: %w", c.Version, hub.ErrStaleChat)
		}
		c.Version++
		return putJSON(b, chatKey(c.ChatID), c)
	})
	if err != nil {
		return fmt.Errorf("put telegram chat %d: %w", c.ChatID, err)
	}
	return nil
}

// PutTelegramBooking stores a booking's link to its chat and keeps the
// index of open links.
func (s *Store) PutTelegramBooking(ctx context.Context, tb hub.TelegramBooking) error {
	if tb.BookingID == "" {
		return fmt.Errorf("put telegram booking: %w", errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := createBuckets(tx, bucketTgBookings, bucketTgOpen); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bucketTgBookings), tb.BookingID, tb); err != nil {
			return err
		}
		open := tx.Bucket(bucketTgOpen)
		if tb.Done {
			return open.Delete([]byte(tb.BookingID))
		}
		return open.Put([]byte(tb.BookingID), nil)
	})
	if err != nil {
		return fmt.Errorf("put telegram booking %s: %w", tb.BookingID, err)
	}
	return nil
}

// TelegramBooking returns a booking's link; hub.ErrNotFound if none.
func (s *Store) TelegramBooking(ctx context.Context, bookingID string) (hub.TelegramBooking,
	error) {
	var tb hub.TelegramBooking
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTgBookings)
		if b == nil {
			return fmt.Errorf("telegram booking %q: %w", bookingID, hub.ErrNotFound)
		}
		return getJSON(b, "telegram booking", bookingID, &tb)
	})
	return tb, err
}

// OpenTelegramBookings lists the links not Done, by booking id.
func (s *Store) OpenTelegramBookings(ctx context.Context) ([]hub.TelegramBooking, error) {
	var list []hub.TelegramBooking
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		open, all := tx.Bucket(bucketTgOpen), tx.Bucket(bucketTgBookings)
		if open == nil || all == nil {
			return nil
		}
		return open.ForEach(func(k, _ []byte) error {
			var tb hub.TelegramBooking
			if err := getJSON(all, "telegram booking", string(k), &tb); err != nil {
				return err
			}
			list = append(list, tb)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list open telegram bookings: %w", err)
	}
	return list, nil
}

// CreateStaffLink stores a one-time code's hash; hub.ErrExists if the
// hash is taken, hub.ErrNotFound for an unknown venue.
func (s *Store) CreateStaffLink(ctx context.Context, l hub.StaffLink) error {
	if len(l.CodeHash) == 0 || l.VenueID == "" {
		return fmt.Errorf("create staff link of venue %q: empty code hash or venue", l.VenueID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := venueExists(tx, l.VenueID); err != nil {
			return err
		}
		if err := createBuckets(tx, bucketTgLinks); err != nil {
			return err
		}
		links := tx.Bucket(bucketTgLinks)
		if links.Get(l.CodeHash) != nil {
			return hub.ErrExists
		}
		raw, err := json.Marshal(staffLinkRecord{StaffLink: l})
		if err != nil {
			return err
		}
		return links.Put(l.CodeHash, raw)
	})
	if err != nil {
		return fmt.Errorf("create staff link of venue %q: %w", l.VenueID, err)
	}
	return nil
}

// RedeemStaffLink uses a code once to link chatID to the code's venue.
func (s *Store) RedeemStaffLink(ctx context.Context, codeHash []byte, chatID int64,
	now time.Time) (string, error) {
	var venueID string
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		links := tx.Bucket(bucketTgLinks)
		if links == nil {
			return hub.ErrStaffLink
		}
		raw := links.Get(codeHash)
		if raw == nil {
			return hub.ErrStaffLink
		}
		var r staffLinkRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("decode staff link: %w", err)
		}
		if !r.UsedAt.IsZero() || !now.Before(r.Expires) {
			return hub.ErrStaffLink
		}
		r.UsedAt, r.ChatID = now, chatID
		if err := putJSON(links, string(codeHash), r); err != nil {
			return err
		}
		if err := createBuckets(tx, bucketTgStaff); err != nil {
			return err
		}
		venueID = r.VenueID
		return tx.Bucket(bucketTgStaff).Put([]byte(r.VenueID), []byte(chatKey(chatID)))
	})
	if err != nil {
		return "", fmt.Errorf("redeem staff link: %w", err)
	}
	return venueID, nil
}

// MoveStaffChat links the venues of staff chat from to chat to.
func (s *Store) MoveStaffChat(ctx context.Context, from, to int64) (int, error) {
	moved := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		staff := tx.Bucket(bucketTgStaff)
		if staff == nil {
			return nil
		}
		var venues [][]byte
		err := staff.ForEach(func(k, v []byte) error {
			if string(v) == chatKey(from) {
				venues = append(venues, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range venues {
			if err := staff.Put(k, []byte(chatKey(to))); err != nil {
				return err
			}
		}
		moved = len(venues)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("move staff chat %d: %w", from, err)
	}
	return moved, nil
}

// StaffChat returns the venue's linked staff chat; hub.ErrNotFound if none.
func (s *Store) StaffChat(ctx context.Context, venueID string) (int64, error) {
	var id int64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var raw []byte
		if b := tx.Bucket(bucketTgStaff); b != nil {
			raw = b.Get([]byte(venueID))
		}
		if raw == nil {
			return fmt.Errorf("staff chat of venue %q: %w", venueID, hub.ErrNotFound)
		}
		var err error
		id, err = strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return errors.New("decode staff chat id")
		}
		return nil
	})
	return id, err
}
