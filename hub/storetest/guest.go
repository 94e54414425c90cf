package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

func putGuest(t testing.TB, s hub.Store, g hub.Guest, want hub.Guest) {
	t.Helper()
	got, err := s.PutGuest(context.Background(), g)
	wantErr(t, "put guest "+g.ID, err, nil)
	diff(t, "put guest "+g.ID, got, want)
	got, err = s.Guest(context.Background(), want.ID)
	wantErr(t, "get guest "+want.ID, err, nil)
	diff(t, "guest "+want.ID, got, want)
}

// testGuests finds guests by their Telegram account, else by id.
func testGuests(t *testing.T, s hub.Store) {
	ctx := context.Background()
	anna := hub.Guest{ID: "gst_1", TelegramID: 1001, Name: "Anna", Phone: "+79990000001",
		Lang: "ru", CreatedAt: t0}
	putGuest(t, s, anna, anna)

	// The same Telegram account under a new id is the same guest: name,
	// phone and language change, id and creation time stay.
	putGuest(t, s, hub.Guest{ID: "gst_new", TelegramID: 1001, Name: "Anna K.", Lang: "en",
		CreatedAt: t0.Add(time.Hour)},
		hub.Guest{ID: anna.ID, TelegramID: 1001, Name: "Anna K.", Lang: "en", CreatedAt: t0})
	_, err := s.Guest(ctx, "gst_new")
	wantErr(t, "get guest under the new id", err, hub.ErrNotFound)
	putGuest(t, s, hub.Guest{TelegramID: 1001, Name: "Anna", Phone: "+79990000002", Lang: "ru"},
		hub.Guest{ID: anna.ID, TelegramID: 1001, Name: "Anna", Phone: "+79990000002",
			Lang: "ru", CreatedAt: t0})

	// Without a Telegram account a guest is found by id.
	boris := hub.Guest{ID: "gst_2", Name: "Boris", Phone: "+79990000003", CreatedAt: t0}
	putGuest(t, s, boris, boris)
	putGuest(t, s, hub.Guest{ID: boris.ID, Name: "Boris B.", Lang: "ru",
		CreatedAt: t0.Add(time.Hour)},
		hub.Guest{ID: boris.ID, Name: "Boris B.", Lang: "ru", CreatedAt: t0})

	// Another Telegram account is another guest.
	vera := hub.Guest{ID: "gst_3", TelegramID: 1002, Name: "Vera", CreatedAt: t0}
	putGuest(t, s, vera, vera)

	if _, err := s.PutGuest(ctx, hub.Guest{Name: "Nobody"}); err == nil {
		t.Error("no error creating a guest without id")
	}
	if _, err := s.PutGuest(ctx, hub.Guest{TelegramID: 1003, Name: "Nobody"}); err == nil {
		t.Error("no error creating a guest without id from an unknown Telegram account")
	}
	_, err = s.Guest(ctx, "gst_missing")
	wantErr(t, "get unknown guest", err, hub.ErrNotFound)
}
