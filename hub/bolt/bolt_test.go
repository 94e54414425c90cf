package bolt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/storetest"
	"github.com/stolik/stolik/shared/wire"
	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
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

// setSchema writes a schema version into a closed store file, after
// deleting the buckets that version did not have (missing ones are
// skipped): the file then reads as that version wrote it.
func setSchema(t testing.TB, path, version string, buckets ...string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range buckets {
			err := tx.DeleteBucket([]byte(name))
			if err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return fmt.Errorf("delete bucket %s: %w", name, err)
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte(version))
	})
	if err := errors.Join(err, db.Close()); err != nil {
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

// schema2Buckets are the buckets schema 2 added.
var schema2Buckets = []string{
	"settings", "groups", "bookings", "booking_starts", "booking_spans", "guest_bookings",
	"booking_tables", "booking_keys", "booking_events", "guests", "telegram", "jobs",
	"job_times", "enrollments",
}

// TestMigrateFromSchema1 opens a file as the first release left it: its
// data stays, and the new buckets work.
func TestMigrateFromSchema1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	seed(t, s)
	before := read(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Make the file what schema 1 wrote.
	setSchema(t, path, "1", append(schema2Buckets, "api_keys", "api_key_hashes", "turns")...)

	s = open(t, path)
	if d := cmp.Diff(read(t, s), before); d != "" {
		t.Errorf("after migration (-got +want):\n%s", d)
	}
	b := hub.Booking{ID: "bkg_1", VenueID: "ven_1", TableIDs: []string{"t1"},
		Start: time.Date(2025, time.March, 1, 19, 0, 0, 0, time.UTC), Party: 2,
		State: hub.BookingHeld}
	b.End = b.Start.Add(time.Hour)
	if _, err := s.CreateBooking(ctx, b, "guest:1"); err != nil {
		t.Errorf("create booking after migration: %v", err)
	}
	if err := s.ScheduleJob(ctx, hub.Job{ID: "job_1", RunAt: b.Start}); err != nil {
		t.Errorf("schedule job after migration: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema_version")); string(v) !=
			fmt.Sprint(bolt.SchemaVersion) {
			t.Errorf("schema version after migration: %q, want %d", v, bolt.SchemaVersion)
		}
		for _, name := range append(schema2Buckets, "api_keys", "api_key_hashes", "turns") {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("no bucket %s after migration", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReopenKeepsBookings reopens a store and finds its bookings, their
// indexes and audit log, guests and jobs as they were.
func TestReopenKeepsBookings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path)
	seed(t, s)
	at := time.Date(2025, time.March, 1, 19, 0, 0, 0, time.UTC)
	b := hub.Booking{ID: "bkg_1", VenueID: "ven_1", TableIDs: []string{"t1"}, Start: at,
		End: at.Add(2 * time.Hour), Party: 2, State: hub.BookingRequested, GuestID: "gst_1",
		IdempotencyKey: "key-1", CreatedAt: at.Add(-time.Hour)}
	g := hub.Guest{ID: "gst_1", TelegramID: 77, Name: "Anna", CreatedAt: at}
	steps := []error{
		errOf(s.CreateBooking(ctx, b, "guest:77")),
		errOf(s.TransitionBooking(ctx, b.ID, hub.Transition{To: hub.BookingConfirmed,
			Actor: "rms", At: at, ReservationID: "r1"})),
		errOf(s.PutGuest(ctx, g)),
		s.ScheduleJob(ctx, hub.Job{ID: "job_1", Kind: "reminder", RunAt: at}),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	b.State, b.ReservationID, b.UpdatedAt = hub.BookingConfirmed, "r1", at
	retry := b
	retry.ID = "bkg_2"
	got, err := s.CreateBooking(ctx, retry, "guest:77")
	if !errors.Is(err, hub.ErrExists) {
		t.Errorf("retry with the key after reopen: %v, want ErrExists", err)
	}
	if d := cmp.Diff(got, b); d != "" {
		t.Errorf("booking returned to the retry (-got +want):\n%s", d)
	}
	other := b
	other.ID, other.IdempotencyKey = "bkg_3", ""
	if _, err := s.CreateBooking(ctx, other, "guest:1"); !errors.Is(err, hub.ErrConflict) {
		t.Errorf("create over the booking after reopen: %v, want ErrConflict", err)
	}
	list, err := s.Bookings(ctx, hub.BookingQuery{GuestID: g.ID, From: at.Add(time.Hour)})
	if err != nil || len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("bookings of the guest after reopen: %v, %v", list, err)
	}
	history, err := s.BookingHistory(ctx, b.ID)
	if err != nil || len(history) != 2 {
		t.Errorf("history after reopen: %v, %v", history, err)
	}
	found, err := s.PutGuest(ctx, hub.Guest{TelegramID: 77, Name: "Anna K."})
	if err != nil || found.ID != g.ID {
		t.Errorf("guest by Telegram id after reopen: %+v, %v", found, err)
	}
	jobs, err := s.ClaimJobs(ctx, at, 10, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Errorf("jobs after reopen: %v, %v", jobs, err)
	}
}

func errOf[T any](_ T, err error) error { return err }

// TestBlocksAfterResetMirror: the blocks a store read from a venue's mirror
// before ResetMirror must not come back after it, however many batches
// follow (the store caches decoded mirrors by generation).
func TestBlocksAfterResetMirror(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "hub.db"))
	defer s.Close()
	seed(t, s) // agent agt_1 has applied sequence 1: the mirror's generation is 1
	at := time.Date(2025, time.March, 1, 19, 0, 0, 0, time.UTC)
	reservation := func(seq uint64, id string) []wire.Event {
		data, err := json.Marshal(wire.Reservation{ID: id, TableIDs: []string{"t1"}, Start: at,
			Duration: wire.Duration(time.Hour), Guests: 2, Status: wire.ReservationNew})
		if err != nil {
			t.Fatal(err)
		}
		return []wire.Event{{Seq: seq, Entity: wire.EntityReservation, ID: id,
			Op: wire.OpUpsert, Data: data}}
	}
	blocks := func() []string {
		t.Helper()
		list, err := s.Blocks(ctx, "ven_1", at, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for _, b := range list {
			refs = append(refs, b.Ref)
		}
		return refs
	}

	if _, err := s.ApplyBatch(ctx, "agt_1", reservation(2, "r-old")); err != nil {
		t.Fatal(err)
	}
	if got := blocks(); !slices.Equal(got, []string{"r-old"}) {
		t.Fatalf("blocks before the reset: %v", got)
	}
	if err := s.ResetMirror(ctx, "agt_1", 0); err != nil {
		t.Fatal(err)
	}
	if got := blocks(); len(got) != 0 {
		t.Errorf("blocks after the reset: %v, want none", got)
	}
	for seq := uint64(1); seq <= 3; seq++ {
		if _, err := s.ApplyBatch(ctx, "agt_1", reservation(seq, "r-new")); err != nil {
			t.Fatal(err)
		}
		if got := blocks(); !slices.Equal(got, []string{"r-new"}) {
			t.Errorf("blocks after %d batches since the reset: %v, want r-new", seq, got)
		}
	}
}
