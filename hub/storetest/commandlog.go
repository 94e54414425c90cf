package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// testPruneCommands: commands with a result created before the cut go,
// pending ones stay whatever their age, newer ones stay; the history and
// Command agree.
func testPruneCommands(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, a := setup(t, s)
	b := createAgent(t, s, "agt_2", v.ID)

	// Created at t0, t0+1m, ...: cut at t0+3m.
	oldDone := command("cmd_0", a.ID, 0)
	oldExpired := command("cmd_1", b.ID, time.Minute)
	oldPending := command("cmd_2", a.ID, 2*time.Minute)
	oldPending.Expires = time.Time{}
	atCut := command("cmd_3", a.ID, 3*time.Minute)
	newDone := command("cmd_4", b.ID, 4*time.Minute)
	for _, c := range []hub.Command{oldDone, oldExpired, oldPending, atCut, newDone} {
		enqueue(t, s, c)
	}
	for _, c := range []hub.Command{oldDone, atCut, newDone} {
		wantErr(t, "finish "+c.ID, s.FinishCommand(ctx, c.AgentID,
			wire.Result{CommandID: c.ID, OK: true}), nil)
	}
	expired, err := s.ExpireCommands(ctx, oldExpired.Expires)
	wantErr(t, "expire", err, nil)
	if len(expired) != 1 || expired[0].ID != oldExpired.ID {
		t.Fatalf("expired %d commands, want only %s", len(expired), oldExpired.ID)
	}

	n, err := s.PruneCommands(ctx, t0.Add(3*time.Minute))
	wantErr(t, "prune", err, nil)
	if n != 2 {
		t.Errorf("pruned %d commands, want 2 (cmd_0 done, cmd_1 expired)", n)
	}
	for _, id := range []string{"cmd_0", "cmd_1"} {
		_, err := s.Command(ctx, id)
		wantErr(t, "pruned "+id, err, hub.ErrNotFound)
	}
	for _, id := range []string{"cmd_2", "cmd_3", "cmd_4"} {
		_, err := s.Command(ctx, id)
		wantErr(t, "kept "+id, err, nil)
	}
	wantRecent(t, s, a.ID, "cmd_3", "cmd_2")
	wantRecent(t, s, b.ID, "cmd_4")
	wantPending(t, s, a.ID, oldPending)

	// Again: nothing left to prune.
	n, err = s.PruneCommands(ctx, t0.Add(3*time.Minute))
	wantErr(t, "prune again", err, nil)
	if n != 0 {
		t.Errorf("pruned %d commands again, want 0", n)
	}
	// An id of a pruned command may be used again.
	enqueue(t, s, command("cmd_0", a.ID, 5*time.Minute))
	wantRecent(t, s, a.ID, "cmd_0", "cmd_3", "cmd_2")
}

func wantRecent(t testing.TB, s hub.Store, agentID string, want ...string) {
	t.Helper()
	got, err := s.RecentCommands(context.Background(), agentID, 0)
	wantErr(t, "recent commands of "+agentID, err, nil)
	var ids []string
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("recent commands of %s: %v, want %v", agentID, ids, want)
	}
}
