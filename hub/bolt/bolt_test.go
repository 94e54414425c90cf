package bolt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/storetest"
	"github.com/stolik/stolik/shared/wire"
	"go.etcd.io/bbolt"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hub.Store {
		return open(t, filepath.Join(t.TempDir(), "hub.db"))
	})
}

// open opens a store at path that the caller closes.
func open(t testing.TB, path string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seed fills a store with a venue, an agent, one applied batch and a command.
func seed(t testing.TB, s hub.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, time.March, 1, 18, 0, 0, 0, time.UTC)
	hall, _ := json.Marshal(wire.Hall{ID: "h1", Name: "Main"})
	steps := []error{
		s.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Pelmeni", CreatedAt: at}),
		s.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: "ven_1",
			SecretHash: hub.HashSecret("s"), CreatedAt: at}),
		s.EnqueueCommand(ctx, hub.Command{ID: "cmd_1", AgentID: "agt_1",
			Kind: wire.CommandResync, CreatedAt: at}),
	}
	_, err := s.ApplyBatch(ctx, "agt_1", []wire.Event{
		{Seq: 1, Entity: wire.EntityHall, ID: "h1", Op: wire.OpUpsert, Data: hall},
	})
	for _, err := range append(steps, err) {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot reads everything seed wrote.
type snapshot struct {
	Venues  []hub.Venue
	Agents  []hub.Agent
	State   hub.VenueState
	Pending []hub.Command
}

func read(t testing.TB, s hub.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var snap snapshot
	var errs [4]error
	snap.Venues, errs[0] = s.Venues(ctx)
	snap.Agents, errs[1] = s.Agents(ctx)
	snap.State, errs[2] = s.VenueState(ctx, "ven_1")
	snap.Pending, errs[3] = s.PendingCommands(ctx, "agt_1")
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	seed(t, s)
	before := read(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	after := read(t, s)
	if d := cmp.Diff(after, before); d != "" {
		t.Errorf("after reopen (-got +want):\n%s", d)
	}
	if len(after.Agents) != 1 || after.Agents[0].AppliedSeq != 1 ||
		!hub.CheckSecret(after.Agents[0].SecretHash, "s") {
		t.Errorf("agent after reopen: %+v", after.Agents)
	}
}

func TestLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	defer s.Close()

	start := time.Now()
	second, err := bolt.Open(path, bolt.Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("a second store opened a file in use")
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("Open gave up after %v, want about the timeout", waited)
	}
	for _, want := range []string{path, "locked", "another hub"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// setSchema writes a schema version into a closed store file.
func setSchema(t testing.TB, path, version string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte(version))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSchemaVersion(t *testing.T) {
	tests := []struct {
		name    string
		version string
		want    string // in the error; empty for success
	}{
		{"current", fmt.Sprint(bolt.SchemaVersion), ""},
		{"newer", fmt.Sprint(bolt.SchemaVersion + 1), "newer than this hub build"},
		{"garbage", "v2", "not a version number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hub.db")
			s := open(t, path)
			seed(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			setSchema(t, path, tc.version)

			s, err := bolt.Open(path, bolt.Options{})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				read(t, s)
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("opened a file with a schema this build does not know")
			}
			for _, want := range []string{tc.want, path} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestCorruptMirrorValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	seed(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		m := tx.Bucket([]byte("mirror")).Bucket([]byte("ven_1"))
		return m.Put([]byte("table/t7"), []byte(`{"id":"t7","seats":"many"}`))
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	_, err = s.VenueState(context.Background(), "ven_1")
	if err == nil {
		t.Fatal("no error for a corrupt mirror value")
	}
	for _, want := range []string{"ven_1", "table/t7"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "hub.db"))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := s.CreateVenue(ctx, hub.Venue{ID: "ven_1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("create venue with a cancelled context: %v", err)
	}
	if _, err := s.Venue(context.Background(), "ven_1"); !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("venue after a cancelled create: %v", err)
	}
}
