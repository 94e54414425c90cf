package bolt_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// TestMigrateIndexesAgentVenues: a file of schema 7, whose agents have no
// index by venue, is indexed on open, and agents created afterwards join
// the index.
func TestMigrateIndexesAgentVenues(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	seed(t, s) // ven_1 with agt_1
	at := time.Date(2025, time.March, 1, 18, 0, 0, 0, time.UTC)
	if err := s.CreateVenue(ctx, hub.Venue{ID: "ven_2", Name: "Blini", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []hub.Agent{{ID: "agt_3", VenueID: "ven_2"}, {ID: "agt_2", VenueID: "ven_1"}} {
		a.CreatedAt = at
		if err := s.CreateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Make the file what schema 7 wrote: no agent index.
	setSchema(t, path, "7", "agent_venues")

	s = open(t, path)
	defer s.Close()
	ids := func(venueID string) []string {
		t.Helper()
		list, err := s.AgentsOfVenue(ctx, venueID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range list {
			if a.VenueID != venueID {
				t.Errorf("agent %s of %s listed for %s", a.ID, a.VenueID, venueID)
			}
			ids = append(ids, a.ID)
		}
		return ids
	}
	if got, want := ids("ven_1"), []string{"agt_1", "agt_2"}; !slices.Equal(got, want) {
		t.Errorf("ven_1's agents after migration: %v, want %v", got, want)
	}
	if got, want := ids("ven_2"), []string{"agt_3"}; !slices.Equal(got, want) {
		t.Errorf("ven_2's agents after migration: %v, want %v", got, want)
	}
	if err := s.CreateAgent(ctx, hub.Agent{ID: "agt_0", VenueID: "ven_2",
		CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if got, want := ids("ven_2"), []string{"agt_0", "agt_3"}; !slices.Equal(got, want) {
		t.Errorf("ven_2's agents after a new one: %v, want %v", got, want)
	}
}
