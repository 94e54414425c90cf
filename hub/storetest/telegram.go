package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// testTelegramChats stores and replaces a chat's state.
func testTelegramChats(t *testing.T, s hub.Store) {
	ctx := context.Background()
	_, err := s.TelegramChat(ctx, 42)
	wantErr(t, "unknown chat", err, hub.ErrNotFound)

	c := hub.TelegramChat{ChatID: 42, Lang: "ru", Flow: json.RawMessage(`{"step":"party"}`),
		UpdatedAt: t0}
	wantErr(t, "put chat", s.PutTelegramChat(ctx, c), nil)
	got, err := s.TelegramChat(ctx, 42)
	wantErr(t, "get chat", err, nil)
	c.Version = 1 // the first save
	diff(t, "chat", got, c)

	c.Lang, c.Flow, c.UpdatedAt = "en", nil, t0.Add(time.Minute)
	wantErr(t, "replace chat", s.PutTelegramChat(ctx, c), nil)
	got, err = s.TelegramChat(ctx, 42)
	wantErr(t, "get replaced chat", err, nil)
	c.Version = 2
	diff(t, "replaced chat", got, c)

	// A save from an older read is refused and changes nothing.
	stale := c
	stale.Version, stale.Lang = 1, "ru"
	wantErr(t, "save from an older read", s.PutTelegramChat(ctx, stale), hub.ErrStaleChat)
	ahead := c
	ahead.Version = 5
	wantErr(t, "save at a version never stored", s.PutTelegramChat(ctx, ahead),
		hub.ErrStaleChat)
	fresh := hub.TelegramChat{ChatID: 42, Lang: "ru", UpdatedAt: t0}
	wantErr(t, "save of a new chat over a stored one", s.PutTelegramChat(ctx, fresh),
		hub.ErrStaleChat)
	got, err = s.TelegramChat(ctx, 42)
	wantErr(t, "get chat after refused saves", err, nil)
	diff(t, "chat after refused saves", got, c)
}

// testTelegramBookings keeps each booking's chat and the index of open
// links the bot's sweep reads.
func testTelegramBookings(t *testing.T, s hub.Store) {
	ctx := context.Background()
	list, err := s.OpenTelegramBookings(ctx)
	wantErr(t, "open links of an empty store", err, nil)
	diff(t, "open links of an empty store", list, nil)
	_, err = s.TelegramBooking(ctx, "bkg_x")
	wantErr(t, "unknown link", err, hub.ErrNotFound)

	b1 := hub.TelegramBooking{BookingID: "bkg_2", VenueID: "ven_1", ChatID: 7, Lang: "en",
		MessageKey: "flow/7/1", Told: hub.BookingRequested, ToldStart: t0.Add(time.Hour),
		UpdatedAt: t0}
	b2 := b1
	b2.BookingID, b2.ChatID = "bkg_1", 8
	for _, tb := range []hub.TelegramBooking{b1, b2} {
		wantErr(t, "put link "+tb.BookingID, s.PutTelegramBooking(ctx, tb), nil)
	}
	got, err := s.TelegramBooking(ctx, "bkg_2")
	wantErr(t, "get link", err, nil)
	diff(t, "link", got, b1)
	list, err = s.OpenTelegramBookings(ctx)
	wantErr(t, "open links", err, nil)
	diff(t, "open links", list, []hub.TelegramBooking{b2, b1})

	b1.Told, b1.Done, b1.UpdatedAt = hub.BookingCancelled, true, t0.Add(time.Hour)
	wantErr(t, "close link", s.PutTelegramBooking(ctx, b1), nil)
	list, err = s.OpenTelegramBookings(ctx)
	wantErr(t, "open links after one closed", err, nil)
	diff(t, "open links after one closed", list, []hub.TelegramBooking{b2})
	got, err = s.TelegramBooking(ctx, "bkg_2")
	wantErr(t, "get closed link", err, nil)
	diff(t, "closed link", got, b1)
	if err := s.PutTelegramBooking(ctx, hub.TelegramBooking{}); err == nil {
		t.Error("no error putting a link without a booking id")
	}
}

// testStaffLinks links a venue's staff chat with a one-time code.
func testStaffLinks(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createVenue(t, s, "ven_1")
	_, err := s.StaffChat(ctx, v.ID)
	wantErr(t, "staff chat before a link", err, hub.ErrNotFound)

	link := func(code string) {
		t.Helper()
		wantErr(t, "create link "+code, s.CreateStaffLink(ctx, hub.StaffLink{
			CodeHash: hub.HashSecret(code), VenueID: v.ID, Expires: t0.Add(time.Hour),
			CreatedAt: t0}), nil)
	}
	link("code-1")
	wantErr(t, "create link twice", s.CreateStaffLink(ctx, hub.StaffLink{
		CodeHash: hub.HashSecret("code-1"), VenueID: v.ID, Expires: t0.Add(time.Hour)}),
		hub.ErrExists)
	wantErr(t, "create link at unknown venue", s.CreateStaffLink(ctx, hub.StaffLink{
		CodeHash: hub.HashSecret("code-x"), VenueID: "ven_missing", Expires: t0.Add(time.Hour)}),
		hub.ErrNotFound)

	venue, err := s.RedeemStaffLink(ctx, hub.HashSecret("code-1"), -100, t0.Add(time.Minute))
	wantErr(t, "redeem", err, nil)
	diff(t, "redeemed venue", venue, v.ID)
	chat, err := s.StaffChat(ctx, v.ID)
	wantErr(t, "staff chat", err, nil)
	diff(t, "staff chat", chat, int64(-100))

	_, err = s.RedeemStaffLink(ctx, hub.HashSecret("code-1"), -200, t0.Add(2*time.Minute))
	wantErr(t, "redeem twice", err, hub.ErrStaffLink)
	_, err = s.RedeemStaffLink(ctx, hub.HashSecret("code-unknown"), -200, t0)
	wantErr(t, "redeem unknown", err, hub.ErrStaffLink)
	link("code-2")
	_, err = s.RedeemStaffLink(ctx, hub.HashSecret("code-2"), -200, t0.Add(time.Hour))
	wantErr(t, "redeem at expiry", err, hub.ErrStaffLink)

	// A new code moves the venue to another chat.
	link("code-3")
	if _, err := s.RedeemStaffLink(ctx, hub.HashSecret("code-3"), -300, t0); err != nil {
		t.Fatalf("redeem code-3: %v", err)
	}
	chat, err = s.StaffChat(ctx, v.ID)
	wantErr(t, "staff chat after relink", err, nil)
	diff(t, "staff chat after relink", chat, int64(-300))

	// The group becomes a supergroup: every venue of the chat follows.
	v2 := createVenue(t, s, "ven_2")
	wantErr(t, "create link of venue 2", s.CreateStaffLink(ctx, hub.StaffLink{
		CodeHash: hub.HashSecret("code-4"), VenueID: v2.ID, Expires: t0.Add(time.Hour)}), nil)
	if _, err := s.RedeemStaffLink(ctx, hub.HashSecret("code-4"), -300, t0); err != nil {
		t.Fatalf("redeem code-4: %v", err)
	}
	n, err := s.MoveStaffChat(ctx, -300, -100300)
	wantErr(t, "move staff chat", err, nil)
	diff(t, "venues moved", n, 2)
	for _, id := range []string{v.ID, v2.ID} {
		chat, err = s.StaffChat(ctx, id)
		wantErr(t, "staff chat after the move", err, nil)
		diff(t, "staff chat of "+id+" after the move", chat, int64(-100300))
	}
	n, err = s.MoveStaffChat(ctx, -999, -1000)
	wantErr(t, "move an unknown chat", err, nil)
	diff(t, "venues moved from an unknown chat", n, 0)
}
