package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// testNotices: a notice is stored once by its id (a second put is
// ErrExists and changes nothing), listed with the venue's open notices in
// CreatedAt order, and leaves the list when done; done twice keeps the
// first time; another venue's notice is ErrNotFound and stays open.
func testNotices(t *testing.T, s hub.Store) {
	ctx := context.Background()
	createVenue(t, s, "ven_1")
	createVenue(t, s, "ven_2")
	if got, err := s.VenueNotices(ctx, "ven_x"); err != nil || len(got) != 0 {
		t.Fatalf("notices of an unknown venue = %v, %v; want none", got, err)
	}

	late := hub.Notice{ID: "late/bkg_1", VenueID: "ven_1", Kind: hub.NoticeLate,
		BookingID: "bkg_1", GuestName: "Анна", Party: 2, Wanted: t0.Add(time.Hour),
		CreatedAt: t0.Add(time.Minute)}
	large := hub.Notice{ID: "large/f1", VenueID: "ven_1", Kind: hub.NoticeLargeParty,
		GuestName: "Иван", Phone: "+79161234567", Comment: "у окна", CreatedAt: t0}
	other := hub.Notice{ID: "late/bkg_2", VenueID: "ven_2", Kind: hub.NoticeLate,
		BookingID: "bkg_2", GuestName: "Ольга", Party: 4, Wanted: t0, CreatedAt: t0}
	till := hub.Notice{ID: "till/bkg_3", VenueID: "ven_1", Kind: hub.NoticeTillTask,
		BookingID: "bkg_3", GuestName: "Пётр", Party: 3, Wanted: t0.Add(2 * time.Hour),
		Comment: "reservation 77, table 5: no cancel call", CreatedAt: t0.Add(2 * time.Minute)}
	for _, n := range []hub.Notice{late, large, other, till} {
		wantErr(t, "put "+n.ID, s.PutNotice(ctx, n), nil)
	}
	again := late
	again.GuestName, again.CreatedAt = "Кто-то", t0.Add(time.Hour)
	wantErr(t, "put a taken id", s.PutNotice(ctx, again), hub.ErrExists)
	got, err := s.VenueNotices(ctx, "ven_1")
	wantErr(t, "venue notices", err, nil)
	diff(t, "venue notices", got, []hub.Notice{large, late, till})

	bad := hub.Notice{ID: "n_bad", VenueID: "ven_1", Kind: "party", CreatedAt: t0}
	wantErr(t, "unknown kind", s.PutNotice(ctx, bad), hub.ErrInvalid)
	noVenue := hub.Notice{ID: "n_nv", VenueID: "ven_x", Kind: hub.NoticeLate, CreatedAt: t0}
	wantErr(t, "unknown venue", s.PutNotice(ctx, noVenue), hub.ErrNotFound)

	wantErr(t, "finish another venue's notice",
		s.FinishNotice(ctx, "ven_1", other.ID, t0), hub.ErrNotFound)
	wantErr(t, "finish an unknown notice",
		s.FinishNotice(ctx, "ven_1", "n_x", t0), hub.ErrNotFound)
	if got, _ := s.VenueNotices(ctx, "ven_2"); len(got) != 1 {
		t.Errorf("venue 2's notice after another venue tried to finish it = %v", got)
	}

	done := t0.Add(2 * time.Hour)
	wantErr(t, "finish", s.FinishNotice(ctx, "ven_1", large.ID, done), nil)
	wantErr(t, "finish again", s.FinishNotice(ctx, "ven_1", large.ID, done.Add(time.Hour)),
		nil)
	got, _ = s.VenueNotices(ctx, "ven_1")
	diff(t, "venue notices after one is done", got, []hub.Notice{late, till})

	// A done notice keeps its id: the same event noticed again stays done.
	if err := s.PutNotice(ctx, large); !errors.Is(err, hub.ErrExists) {
		t.Errorf("put a done notice again: %v, want ErrExists", err)
	}
	got, _ = s.VenueNotices(ctx, "ven_1")
	diff(t, "venue notices after a done one was put again", got, []hub.Notice{late, till})
}
