package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// PutGuest stores a guest. A guest with a TelegramID is found by it, else
// by ID; a found guest gets g's name, phone and language (and, found by ID,
// its Telegram account) and keeps its id and creation time. A guest not
// found is created as g, which then needs an ID.
func (s *Store) PutGuest(ctx context.Context, g hub.Guest) (hub.Guest, error) {
	var stored hub.Guest
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		guests, telegram := tx.Bucket(bucketGuests), tx.Bucket(bucketTelegram)
		id := g.ID
		if g.TelegramID != 0 {
			if known := telegram.Get(telegramKey(g.TelegramID)); known != nil {
				id = string(known)
			}
		}
		if id == "" {
			return errEmptyID
		}

		err := getJSON(guests, "guest", id, &stored)
		switch {
		case err == nil:
			if g.TelegramID != 0 && stored.TelegramID != g.TelegramID {
				if stored.TelegramID != 0 {
					if err := telegram.Delete(telegramKey(stored.TelegramID)); err != nil {
						return err
					}
				}
				stored.TelegramID = g.TelegramID
			}
			stored.Name, stored.Phone, stored.Lang = g.Name, g.Phone, g.Lang
		case errors.Is(err, hub.ErrNotFound):
			stored = g
		default:
			return err
		}

		if stored.TelegramID != 0 {
			if err := telegram.Put(telegramKey(stored.TelegramID), []byte(stored.ID)); err != nil {
				return err
			}
		}
		return putJSON(guests, stored.ID, stored)
	})
	if err != nil {
		return hub.Guest{}, fmt.Errorf("put guest %q: %w", g.ID, err)
	}
	return stored, nil
}

// Guest returns one guest; hub.ErrNotFound if there is none with id.
func (s *Store) Guest(ctx context.Context, id string) (hub.Guest, error) {
	var g hub.Guest
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketGuests), "guest", id, &g)
	})
	if err != nil {
		return hub.Guest{}, fmt.Errorf("get guest: %w", err)
	}
	return g, nil
}

func telegramKey(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }
