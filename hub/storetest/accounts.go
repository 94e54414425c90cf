package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stolik/stolik/hub"
)

var timeEqual = cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })

// testSupportAPIKey: a support key has no venues and allows every venue;
// one with venues, or with an unknown role, is refused.
func testSupportAPIKey(t *testing.T, s hub.Store) {
	ctx := context.Background()
	a := createVenue(t, s, "ven_a")
	k := hub.APIKey{ID: "key_s", Name: "e2e", KeyHash: hub.HashSecret("s"),
		Role: hub.RoleSupport, CreatedAt: t0}
	wantErr(t, "create support key", s.CreateAPIKey(ctx, k), nil)
	got, err := s.APIKeyByHash(ctx, k.KeyHash)
	wantErr(t, "support key by hash", err, nil)
	if diff := cmp.Diff(k, got, timeEqual, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("support key (-want +got):\n%s", diff)
	}
	if !got.Allows(a.ID) || !got.Allows("ven_other") {
		t.Error("a support key does not allow every venue")
	}
	wantErr(t, "support key with venues", s.CreateAPIKey(ctx, hub.APIKey{ID: "key_x",
		KeyHash: hub.HashSecret("x"), Role: hub.RoleSupport, VenueIDs: []string{a.ID},
		CreatedAt: t0}), hub.ErrInvalid)
	wantErr(t, "unknown role", s.CreateAPIKey(ctx, hub.APIKey{ID: "key_y",
		KeyHash: hub.HashSecret("y"), Role: "boss", CreatedAt: t0}), hub.ErrInvalid)
}

// testUsers: accounts are found by id and by email (in any case), keep
// their password hash, sorted venues and language, and refuse a taken id or email,
// an unknown venue and what Validate refuses, storing nothing then.
func testUsers(t *testing.T, s hub.Store) {
	ctx := context.Background()
	a, b := createVenue(t, s, "ven_a"), createVenue(t, s, "ven_b")
	staff := hub.User{ID: "usr_1", Email: "anna@cafe.ru", PasswordHash: []byte("hash1"),
		Role: hub.RoleStaff, VenueIDs: []string{b.ID, a.ID}, Lang: "ru", CreatedAt: t0}
	support := hub.User{ID: "usr_2", Email: "sup@stolik.ru", PasswordHash: []byte("hash2"),
		Role: hub.RoleSupport, CreatedAt: t0}
	wantErr(t, "create staff", s.CreateUser(ctx, staff), nil)
	wantErr(t, "create support", s.CreateUser(ctx, support), nil)

	want := staff
	want.VenueIDs = []string{a.ID, b.ID}
	got, err := s.User(ctx, staff.ID)
	wantErr(t, "user", err, nil)
	if diff := cmp.Diff(want, got, timeEqual, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	got, err = s.UserByEmail(ctx, " Anna@Cafe.RU ")
	wantErr(t, "user by email", err, nil)
	if diff := cmp.Diff(want, got, timeEqual, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("user by email (-want +got):\n%s", diff)
	}
	got, err = s.UserByEmail(ctx, support.Email)
	wantErr(t, "support by email", err, nil)
	if diff := cmp.Diff(support, got, timeEqual, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("support (-want +got):\n%s", diff)
	}
	if !got.Allows("ven_any") || want.Allows("ven_c") || !want.Allows(a.ID) {
		t.Error("Allows: support must see every venue, staff only theirs")
	}

	_, err = s.User(ctx, "usr_x")
	wantErr(t, "unknown user", err, hub.ErrNotFound)
	_, err = s.UserByEmail(ctx, "nobody@x.ru")
	wantErr(t, "unknown email", err, hub.ErrNotFound)
	dup := staff
	dup.ID = "usr_3"
	wantErr(t, "taken email", s.CreateUser(ctx, dup), hub.ErrExists)
	dup = staff
	dup.Email = "other@cafe.ru"
	wantErr(t, "taken id", s.CreateUser(ctx, dup), hub.ErrExists)
	bad := hub.User{ID: "usr_4", Email: "x@cafe.ru", PasswordHash: []byte("h"),
		Role: hub.RoleStaff, VenueIDs: []string{"ven_x"}, CreatedAt: t0}
	wantErr(t, "unknown venue", s.CreateUser(ctx, bad), hub.ErrNotFound)
	for name, u := range map[string]hub.User{
		"staff without venues": {ID: "usr_5", Email: "y@cafe.ru", PasswordHash: []byte("h"),
			Role: hub.RoleStaff},
		"no hash": {ID: "usr_6", Email: "z@cafe.ru", Role: hub.RoleSupport},
		"bad email": {ID: "usr_7", Email: "not an email", PasswordHash: []byte("h"),
			Role: hub.RoleSupport},
		"unknown role": {ID: "usr_8", Email: "w@cafe.ru", PasswordHash: []byte("h"),
			Role: "boss"},
		"unknown lang": {ID: "usr_9", Email: "v@cafe.ru", PasswordHash: []byte("h"),
			Role: hub.RoleSupport, Lang: "de"},
	} {
		wantErr(t, name, s.CreateUser(ctx, u), hub.ErrInvalid)
	}
	_, err = s.UserByEmail(ctx, "x@cafe.ru")
	wantErr(t, "refused user", err, hub.ErrNotFound)
}

// testSessions: a session is found by its id hash until it expires (an
// Expires equal to now has expired), is deleted on sign-out, and expired
// ones are swept.
func testSessions(t *testing.T, s hub.Store) {
	ctx := context.Background()
	u := hub.User{ID: "usr_1", Email: "sup@stolik.ru", PasswordHash: []byte("h"),
		Role: hub.RoleSupport, CreatedAt: t0}
	wantErr(t, "create user", s.CreateUser(ctx, u), nil)
	se := hub.Session{IDHash: hub.HashSecret("sid1"), UserID: u.ID, CSRF: "tok1",
		CreatedAt: t0, Expires: t0.Add(time.Hour)}
	wantErr(t, "create session", s.CreateSession(ctx, se), nil)
	wantErr(t, "same id again", s.CreateSession(ctx, se), hub.ErrExists)
	wantErr(t, "unknown user", s.CreateSession(ctx, hub.Session{IDHash: hub.HashSecret("x"),
		UserID: "usr_x", CreatedAt: t0, Expires: t0.Add(time.Hour)}), hub.ErrNotFound)

	got, err := s.Session(ctx, se.IDHash, t0.Add(time.Minute))
	wantErr(t, "session", err, nil)
	if diff := cmp.Diff(se, got, timeEqual); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	_, err = s.Session(ctx, se.IDHash, t0.Add(time.Hour))
	wantErr(t, "session at its expiry", err, hub.ErrNotFound)
	_, err = s.Session(ctx, hub.HashSecret("nope"), t0)
	wantErr(t, "unknown session", err, hub.ErrNotFound)

	old := hub.Session{IDHash: hub.HashSecret("sid2"), UserID: u.ID, CSRF: "tok2",
		CreatedAt: t0, Expires: t0.Add(time.Minute)}
	wantErr(t, "create old session", s.CreateSession(ctx, old), nil)
	n, err := s.DeleteExpiredSessions(ctx, t0.Add(time.Minute))
	wantErr(t, "delete expired", err, nil)
	if n != 1 {
		t.Errorf("deleted %d expired sessions, want 1", n)
	}
	_, err = s.Session(ctx, se.IDHash, t0.Add(time.Minute))
	wantErr(t, "live session after the sweep", err, nil)

	wantErr(t, "sign out", s.DeleteSession(ctx, se.IDHash), nil)
	wantErr(t, "sign out again", s.DeleteSession(ctx, se.IDHash), nil)
	_, err = s.Session(ctx, se.IDHash, t0)
	wantErr(t, "session after sign-out", err, hub.ErrNotFound)
}

// testAgentSamples: one sample per agent and minute (the later replaces
// the earlier), listed oldest first from a time on, pruned before a time;
// samples of unknown agents are skipped.
func testAgentSamples(t *testing.T, s hub.Store) {
	ctx := context.Background()
	createVenue(t, s, "ven_a")
	createAgent(t, s, "agt_a", "ven_a")
	createAgent(t, s, "agt_b", "ven_a")
	var batch []hub.AgentSample
	for i := range 5 {
		batch = append(batch, hub.AgentSample{AgentID: "agt_a",
			Minute: t0.Add(time.Duration(i) * time.Minute), AppliedEvents: uint64(10 * i),
			Backlog: uint64(i), Connected: i%2 == 0, ConnectedSince: t0})
	}
	batch = append(batch, hub.AgentSample{AgentID: "agt_x", Minute: t0},
		hub.AgentSample{AgentID: "agt_b", Minute: t0, AppliedEvents: 7})
	wantErr(t, "record", s.RecordAgentSamples(ctx, batch), nil)
	// The same minute again, a few seconds later: it replaces.
	again := hub.AgentSample{AgentID: "agt_a", Minute: t0.Add(4*time.Minute + 30*time.Second),
		AppliedEvents: 45, Backlog: 9}
	wantErr(t, "record again", s.RecordAgentSamples(ctx, []hub.AgentSample{again}), nil)

	got, err := s.AgentSamples(ctx, "agt_a", t0.Add(2*time.Minute))
	wantErr(t, "samples", err, nil)
	want := []hub.AgentSample{batch[2], batch[3],
		{AgentID: "agt_a", Minute: t0.Add(4 * time.Minute), AppliedEvents: 45, Backlog: 9}}
	if diff := cmp.Diff(want, got, timeEqual); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
	got, err = s.AgentSamples(ctx, "agt_x", t0)
	wantErr(t, "samples of an unknown agent", err, nil)
	if len(got) != 0 {
		t.Errorf("unknown agent has %d samples, want 0", len(got))
	}

	wantErr(t, "prune", s.PruneAgentSamples(ctx, t0.Add(3*time.Minute)), nil)
	got, err = s.AgentSamples(ctx, "agt_a", t0)
	wantErr(t, "samples after prune", err, nil)
	if len(got) != 2 || !got[0].Minute.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("after prune %v, want the minutes 3 and 4", got)
	}
	got, err = s.AgentSamples(ctx, "agt_b", t0)
	wantErr(t, "other agent after prune", err, nil)
	if len(got) != 0 {
		t.Errorf("agt_b keeps %d samples older than the prune time", len(got))
	}
}

// testRecentCommands: an agent's commands, newest first, done or not,
// without other agents' commands, at most limit.
func testRecentCommands(t *testing.T, s hub.Store) {
	ctx := context.Background()
	createVenue(t, s, "ven_a")
	createAgent(t, s, "agt_a", "ven_a")
	createAgent(t, s, "agt_b", "ven_a")
	for i, id := range []string{"cmd_1", "cmd_2", "cmd_3"} {
		c := hub.Command{ID: id, AgentID: "agt_a", Kind: "resync",
			CreatedAt: t0.Add(time.Duration(i) * time.Minute), State: hub.CommandPending}
		wantErr(t, "enqueue "+id, s.EnqueueCommand(ctx, c), nil)
	}
	wantErr(t, "enqueue other", s.EnqueueCommand(ctx, hub.Command{ID: "cmd_9",
		AgentID: "agt_b", Kind: "resync", CreatedAt: t0.Add(time.Hour)}), nil)
	got, err := s.RecentCommands(ctx, "agt_a", 2)
	wantErr(t, "recent", err, nil)
	var ids []string
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	if diff := cmp.Diff([]string{"cmd_3", "cmd_2"}, ids); diff != "" {
		t.Errorf("recent commands (-want +got):\n%s", diff)
	}
	all, err := s.RecentCommands(ctx, "agt_a", 0)
	wantErr(t, "recent without a limit", err, nil)
	if len(all) != 3 {
		t.Errorf("%d commands without a limit, want 3", len(all))
	}
	none, err := s.RecentCommands(ctx, "agt_x", 5)
	wantErr(t, "recent of an unknown agent", err, nil)
	if len(none) != 0 {
		t.Errorf("unknown agent has %d commands, want 0", len(none))
	}
}
