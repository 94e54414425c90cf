package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// TestMigrateIndexesCommands: a file of schema 6, whose commands have no
// index by agent and time, is indexed on open: the history lists them,
// newest first, and pruning finds the old ones.
func TestMigrateIndexesCommands(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	seed(t, s)
	at := time.Date(2025, time.March, 1, 18, 0, 0, 0, time.UTC)
	for i, agent := range []string{"agt_1", "agt_1", "agt_2", "agt_1"} {
		if i == 2 {
			if err := s.CreateAgent(ctx, hub.Agent{ID: "agt_2", VenueID: "ven_1",
				SecretHash: hub.HashSecret("s2"), CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		c := hub.Command{ID: fmt.Sprintf("cmd_%d", i+2), AgentID: agent,
			Kind: wire.CommandResync, CreatedAt: at.Add(time.Duration(i+1) * time.Hour)}
		if err := s.EnqueueCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishCommand(ctx, "agt_1", wire.Result{CommandID: "cmd_2",
		OK: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Make the file what schema 6 wrote: no command index.
	setSchema(t, path, "6", "command_times")

	s = open(t, path)
	defer s.Close()
	recent := func(agent string, limit int) []string {
		t.Helper()
		list, err := s.RecentCommands(ctx, agent, limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got, want := recent("agt_1", 0), []string{"cmd_5", "cmd_3", "cmd_2",
		"cmd_1"}; !slices.Equal(got, want) {
		t.Errorf("agt_1 after migration: %v, want %v", got, want)
	}
	if got, want := recent("agt_1", 2), []string{"cmd_5", "cmd_3"}; !slices.Equal(got, want) {
		t.Errorf("agt_1's two newest after migration: %v, want %v", got, want)
	}
	if got, want := recent("agt_2", 0), []string{"cmd_4"}; !slices.Equal(got, want) {
		t.Errorf("agt_2 after migration: %v, want %v", got, want)
	}

	// cmd_1 (pending) and cmd_2 (done) are older than the cut: only the
	// done one goes.
	n, err := s.PruneCommands(ctx, at.Add(150*time.Minute))
	if err != nil || n != 1 {
		t.Errorf("prune after migration: %d, %v; want 1", n, err)
	}
	if got, want := recent("agt_1", 0), []string{"cmd_5", "cmd_3",
		"cmd_1"}; !slices.Equal(got, want) {
		t.Errorf("agt_1 after pruning: %v, want %v", got, want)
	}
}
