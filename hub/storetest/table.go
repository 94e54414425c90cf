package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// fullPolicy returns a policy with every field set.
func fullPolicy() hub.Policy {
	return hub.Policy{
		SlotStep: wire.Duration(15 * time.Minute),
		TurnTimes: []hub.TurnTime{
			{MaxParty: 2, Duration: wire.Duration(90 * time.Minute)},
			{MaxParty: 6, Duration: wire.Duration(2 * time.Hour)},
		},
		Buffer:         wire.Duration(15 * time.Minute),
		MinLead:        wire.Duration(time.Hour),
		Horizon:        wire.Duration(60 * 24 * time.Hour),
		MaxOnlineParty: 8,
		Pacing:         20,
		Services: []hub.Service{
			{Weekday: time.Friday, Name: "lunch", Open: "12:00", Close: "16:00"},
			{Weekday: time.Friday, Name: "dinner", Open: "18:00", Close: "02:00"},
		},
		Exceptions: []hub.Exception{
			{Date: "2025-12-31", Services: []hub.Service{
				{Weekday: time.Wednesday, Open: "18:00", Close: "04:00"},
			}, Note: "New Year's Eve"},
			{Date: "2026-01-01", Closed: true},
		},
		MaxActivePerGuest: 3,
		HoldTTL:           wire.Duration(5 * time.Minute),
		ConfirmTimeout:    wire.Duration(10 * time.Minute),
		CancelCutoff:      wire.Duration(2 * time.Hour),
		PauseAfter:        wire.Duration(3 * time.Minute),
	}
}

func testUpdateVenue(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := hub.Venue{ID: "ven_1", Name: "Pelmeni", TimeZone: "Europe/Moscow",
		Mode: hub.ModeAPI, Policy: fullPolicy(), Chain: "pelmeni", CreatedAt: t0}
	wantErr(t, "create venue", s.CreateVenue(ctx, v), nil)
	got, err := s.Venue(ctx, v.ID)
	wantErr(t, "get venue", err, nil)
	diff(t, "venue with a policy", got, v)
	other := createVenue(t, s, "ven_2")

	up := hub.Venue{ID: v.ID, Name: "Pelmeni & Co", TimeZone: "Asia/Yekaterinburg",
		Mode: hub.ModeManual, Policy: hub.Policy{SlotStep: wire.Duration(30 * time.Minute)},
		Chain: "pelmeni-co", CreatedAt: t0.Add(time.Hour)}
	wantErr(t, "update venue", s.UpdateVenue(ctx, up), nil)
	up.CreatedAt = t0 // a venue keeps its creation time
	got, err = s.Venue(ctx, v.ID)
	wantErr(t, "get venue", err, nil)
	diff(t, "updated venue", got, up)
	got, err = s.Venue(ctx, other.ID)
	wantErr(t, "get other venue", err, nil)
	diff(t, "other venue", got, other)
	up.Chain = "" // leaving the chain
	wantErr(t, "update venue out of its chain", s.UpdateVenue(ctx, up), nil)
	got, err = s.Venue(ctx, v.ID)
	wantErr(t, "get venue", err, nil)
	diff(t, "venue out of its chain", got, up)

	wantErr(t, "update unknown venue",
		s.UpdateVenue(ctx, hub.Venue{ID: "ven_missing", Name: "x"}), hub.ErrNotFound)
	if err := s.UpdateVenue(ctx, hub.Venue{Name: "x"}); err == nil {
		t.Error("no error updating a venue without id")
	}
	list, err := s.Venues(ctx)
	wantErr(t, "list venues", err, nil)
	if len(list) != 2 {
		t.Errorf("%d venues after updates, want 2", len(list))
	}
}

func wantTables(t testing.TB, s hub.Store, venueID string, want ...hub.Table) {
	t.Helper()
	got, err := s.Tables(context.Background(), venueID)
	wantErr(t, "tables of "+venueID, err, nil)
	diff(t, "tables of "+venueID, got, want)
}

// testTables joins the mirror's tables with the settings staff gave them.
func testTables(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	f := newFeed(t, s, a.ID)
	t1 := wire.Table{ID: "t01", HallID: "h1", Number: "1", Seats: 2}
	t2 := wire.Table{ID: "t02", HallID: "h1", Number: "2", Name: "window", Seats: 4,
		Position: &wire.Position{X: 3, Y: 1, W: 1, H: 2}}
	t9 := wire.Table{ID: "t09", HallID: "h2", Number: "9", Seats: 8}
	table := func(tb wire.Table, st hub.TableSettings) hub.Table {
		return hub.Table{VenueID: v.ID, Table: tb, TableSettings: st}
	}
	def := hub.DefaultTableSettings

	wantTables(t, s, v.ID)
	f.send(hallEvent(t, 0, wire.Hall{ID: "h1", Name: "Main"}), tableEvent(t, 0, t2),
		tableEvent(t, 0, t1))
	wantTables(t, s, v.ID, table(t1, def), table(t2, def))

	s1 := hub.TableSettings{MinParty: 1, MaxParty: 2, Online: false}
	s9 := hub.TableSettings{MinParty: 4, MaxParty: 10, Online: true}
	wantErr(t, "set settings", s.SetTableSettings(ctx, v.ID, t1.ID, s1), nil)
	// t09 is not in the mirror yet: its settings wait for it.
	wantErr(t, "set settings of a future table", s.SetTableSettings(ctx, v.ID, t9.ID, s9), nil)
	wantTables(t, s, v.ID, table(t1, s1), table(t2, def))
	f.send(tableEvent(t, 0, t9))
	wantTables(t, s, v.ID, table(t1, s1), table(t2, def), table(t9, s9))

	// Settings are replaced as a whole.
	s1 = hub.TableSettings{Online: true, MaxParty: 3}
	wantErr(t, "replace settings", s.SetTableSettings(ctx, v.ID, t1.ID, s1), nil)
	wantTables(t, s, v.ID, table(t1, s1), table(t2, def), table(t9, s9))

	// A table that leaves the mirror keeps its settings for its return.
	f.send(remove(0, wire.EntityTable, t1.ID))
	wantTables(t, s, v.ID, table(t2, def), table(t9, s9))
	t1.Seats = 3
	f.send(tableEvent(t, 0, t1))
	wantTables(t, s, v.ID, table(t1, s1), table(t2, def), table(t9, s9))

	// The same table id at another venue has its own settings.
	w := createVenue(t, s, "ven_2")
	newFeed(t, s, createAgent(t, s, "agt_2", w.ID).ID).send(tableEvent(t, 0, t1))
	wantTables(t, s, w.ID, hub.Table{VenueID: w.ID, Table: t1, TableSettings: def})

	_, err := s.Tables(ctx, "ven_missing")
	wantErr(t, "tables of unknown venue", err, hub.ErrNotFound)
	wantErr(t, "settings at unknown venue", s.SetTableSettings(ctx, "ven_missing", "t01", s1),
		hub.ErrNotFound)
	if err := s.SetTableSettings(ctx, v.ID, "", s1); err == nil {
		t.Error("no error setting settings of a table without id")
	}
}

func wantGroups(t testing.TB, s hub.Store, venueID string, want ...hub.TableGroup) {
	t.Helper()
	got, err := s.TableGroups(context.Background(), venueID)
	wantErr(t, "groups of "+venueID, err, nil)
	diff(t, "groups of "+venueID, got, want)
}

func testTableGroups(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, w := createVenue(t, s, "ven_1"), createVenue(t, s, "ven_2")
	g2 := hub.TableGroup{ID: "g2", VenueID: v.ID, TableIDs: []string{"t03", "t04"},
		MinParty: 5, MaxParty: 8}
	g1 := hub.TableGroup{ID: "g1", VenueID: v.ID, TableIDs: []string{"t02", "t01"},
		MinParty: 3, MaxParty: 6}
	gw := hub.TableGroup{ID: "g1", VenueID: w.ID, TableIDs: []string{"t01", "t02", "t03"},
		MinParty: 6, MaxParty: 12}

	wantGroups(t, s, v.ID)
	for _, g := range []hub.TableGroup{g2, g1, gw} {
		wantErr(t, "put group "+g.ID, s.PutTableGroup(ctx, g), nil)
	}
	wantGroups(t, s, v.ID, g1, g2)
	wantGroups(t, s, w.ID, gw)

	g1.TableIDs, g1.MaxParty = []string{"t01", "t02", "t05"}, 10
	wantErr(t, "replace group", s.PutTableGroup(ctx, g1), nil)
	wantGroups(t, s, v.ID, g1, g2)

	wantErr(t, "delete group", s.DeleteTableGroup(ctx, v.ID, g2.ID), nil)
	wantGroups(t, s, v.ID, g1)
	wantErr(t, "delete group again", s.DeleteTableGroup(ctx, v.ID, g2.ID), nil)
	wantErr(t, "delete missing group", s.DeleteTableGroup(ctx, v.ID, "g9"), nil)
	wantErr(t, "delete at unknown venue", s.DeleteTableGroup(ctx, "ven_missing", "g1"), nil)
	wantGroups(t, s, w.ID, gw)

	_, err := s.TableGroups(ctx, "ven_missing")
	wantErr(t, "groups of unknown venue", err, hub.ErrNotFound)
	missing := hub.TableGroup{ID: "g1", VenueID: "ven_missing", TableIDs: []string{"t01"}}
	wantErr(t, "put group at unknown venue", s.PutTableGroup(ctx, missing), hub.ErrNotFound)
	if err := s.PutTableGroup(ctx, hub.TableGroup{VenueID: v.ID}); err == nil {
		t.Error("no error putting a group without id")
	}
}
