package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/hub"
)

// testAPIKeys: a key for a chain of two venues is found by its hash, is
// revoked once, and refuses what it may not do.
func testAPIKeys(t *testing.T, s hub.Store) {
	ctx := context.Background()
	a, b := createVenue(t, s, "ven_a"), createVenue(t, s, "ven_b")
	createVenue(t, s, "ven_c")
	k := hub.APIKey{ID: "key_1", Name: "chain site", KeyHash: hub.HashSecret("k1"),
		VenueIDs: []string{b.ID, a.ID}, CreatedAt: t0}
	wantErr(t, "create key", s.CreateAPIKey(ctx, k), nil)

	got, err := s.APIKeyByHash(ctx, hub.HashSecret("k1"))
	wantErr(t, "key by hash", err, nil)
	want := k
	want.VenueIDs = []string{a.ID, b.ID}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y time.Time) bool {
		return x.Equal(y)
	})); diff != "" {
		t.Errorf("key (-want +got):\n%s", diff)
	}
	if !got.Allows(a.ID) || got.Allows("ven_c") {
		t.Errorf("key allows %v; want %s and %s only", got.VenueIDs, a.ID, b.ID)
	}

	_, err = s.APIKeyByHash(ctx, hub.HashSecret("nope"))
	wantErr(t, "unknown hash", err, hub.ErrNotFound)
	dup := k
	dup.ID = "key_2"
	wantErr(t, "same hash again", s.CreateAPIKey(ctx, dup), hub.ErrExists)
	wantErr(t, "same id again", s.CreateAPIKey(ctx, hub.APIKey{ID: "key_1",
		KeyHash: hub.HashSecret("k2"), VenueIDs: []string{a.ID}, CreatedAt: t0}), hub.ErrExists)
	wantErr(t, "unknown venue", s.CreateAPIKey(ctx, hub.APIKey{ID: "key_3",
		KeyHash: hub.HashSecret("k3"), VenueIDs: []string{"ven_x"}, CreatedAt: t0}),
		hub.ErrNotFound)
	wantErr(t, "no venues", s.CreateAPIKey(ctx, hub.APIKey{ID: "key_4",
		KeyHash: hub.HashSecret("k4"), CreatedAt: t0}), hub.ErrInvalid)
	if _, err := s.APIKeyByHash(ctx, hub.HashSecret("k3")); err == nil {
		t.Error("a refused key was stored")
	}

	wantErr(t, "revoke", s.RevokeAPIKey(ctx, k.ID, t0.Add(time.Hour)), nil)
	wantErr(t, "revoke again", s.RevokeAPIKey(ctx, k.ID, t0.Add(2*time.Hour)), nil)
	wantErr(t, "revoke unknown", s.RevokeAPIKey(ctx, "key_x", t0), hub.ErrNotFound)
	got, err = s.APIKeyByHash(ctx, hub.HashSecret("k1"))
	wantErr(t, "revoked key", err, nil)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(t0.Add(time.Hour)) || got.Allows(a.ID) {
		t.Errorf("revoked key %+v; want revoked at the first time and allowing nothing", got)
	}
}
