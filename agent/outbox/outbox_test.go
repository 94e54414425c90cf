package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/shared/wire"
)

var at = time.Date(2025, 6, 14, 16, 0, 0, 0, time.UTC)

// open opens an outbox at path and closes it when the test ends.
func open(tb testing.TB, path string, opts outbox.Options) *outbox.Outbox {
	tb.Helper()
	o, err := outbox.Open(path, opts)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := o.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return o
}

func tempPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "outbox.db")
}

// up is an upsert of table id with a small body that carries v.
func up(id string, v int) wire.Event {
	return wire.Event{
		Entity: wire.EntityTable, ID: id, Op: wire.OpUpsert, At: at,
		Data: json.RawMessage(fmt.Sprintf(`{"id":%q,"seats":%d}`, id, v)),
	}
}

// del is a delete of table id.
func del(id string) wire.Event {
	return wire.Event{Entity: wire.EntityTable, ID: id, Op: wire.OpDelete, At: at}
}

func appendOK(tb testing.TB, o *outbox.Outbox, events ...wire.Event) uint64 {
	tb.Helper()
	seq, err := o.Append(context.Background(), events)
	if err != nil {
		tb.Fatalf("append: %v", err)
	}
	return seq
}

func ackOK(tb testing.TB, o *outbox.Outbox, seq uint64) {
	tb.Helper()
	if err := o.Ack(context.Background(), seq); err != nil {
		tb.Fatalf("ack %d: %v", seq, err)
	}
}

func next(tb testing.TB, o *outbox.Outbox, after uint64, max, maxBytes int) []wire.Event {
	tb.Helper()
	events, err := o.Next(after, max, maxBytes)
	if err != nil {
		tb.Fatalf("next: %v", err)
	}
	return events
}

func seqs(events []wire.Event) []uint64 {
	out := make([]uint64, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

// fold applies events in order to an empty snapshot.
func fold(events []wire.Event) map[string][]byte {
	m := make(map[string][]byte)
	for _, e := range events {
		if e.Op == wire.OpDelete {
			delete(m, e.Key())
			continue
		}
		m[e.Key()] = e.Data
	}
	return m
}

// checkCounters verifies stored == acked + compacted + backlog, that the
// backlog is what the file holds, and that the snapshot in memory has as
// many entries as the file.
func checkCounters(tb testing.TB, o *outbox.Outbox) outbox.Stats {
	tb.Helper()
	st := o.Stats()
	c := st.Counters
	if c.Stored != c.Acked+c.Compacted+st.Backlog {
		tb.Errorf("stored %d != acked %d + compacted %d + backlog %d",
			c.Stored, c.Acked, c.Compacted, st.Backlog)
	}
	n, keys, err := outbox.StoredKeys(o)
	if err != nil {
		tb.Fatalf("count keys: %v", err)
	}
	if uint64(n) != st.Backlog {
		tb.Errorf("file holds %d events, backlog is %d", n, st.Backlog)
	}
	if m := outbox.EntryCount(o); m != keys {
		tb.Errorf("file holds %d snapshot entries, memory %d", keys, m)
	}
	return st
}

func TestAppendNextAck(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{})
	if got := appendOK(t, o, up("1", 1), up("2", 1)); got != 2 {
		t.Fatalf("first append returned %d, want 2", got)
	}
	if got := appendOK(t, o, up("3", 1), up("4", 1), up("5", 1)); got != 5 {
		t.Fatalf("second append returned %d, want 5", got)
	}

	tests := []struct {
		name          string
		after         uint64
		max, maxBytes int
		want          []uint64
	}{
		{"all", 0, 0, 0, []uint64{1, 2, 3, 4, 5}},
		{"max", 0, 2, 0, []uint64{1, 2}},
		{"after", 2, 2, 0, []uint64{3, 4}},
		{"tail", 4, 10, 0, []uint64{5}},
		{"nothing after the last", 5, 10, 0, []uint64{}},
		{"maxBytes below one event still gives one", 1, 10, 1, []uint64{2}},
		{"maxBytes fits two", 0, 10, 2 * encodedLen(t, o, 1), []uint64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := seqs(next(t, o, tt.after, tt.max, tt.maxBytes))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("seqs (-want +got):\n%s", diff)
			}
		})
	}

	got := next(t, o, 0, 1, 0)
	want := up("1", 1)
	want.Seq = 1
	if diff := cmp.Diff([]wire.Event{want}, got); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}

	ackOK(t, o, 3)
	if got := seqs(next(t, o, 0, 0, 0)); !cmp.Equal(got, []uint64{4, 5}) {
		t.Errorf("after ack 3: seqs %v, want [4 5]", got)
	}
	ackOK(t, o, 2) // older: no-op
	if err := o.Ack(context.Background(), 6); err == nil {
		t.Error("ack beyond the last seq: no error")
	}
	st := checkCounters(t, o)
	if st.AckedSeq != 3 || st.Backlog != 2 || st.Counters.Acked != 3 {
		t.Errorf("stats %+v, want acked seq 3, backlog 2, acked 3", st)
	}
}

// encodedLen is the stored JSON size of event seq.
func encodedLen(tb testing.TB, o *outbox.Outbox, seq uint64) int {
	tb.Helper()
	events := next(tb, o, seq-1, 1, 0)
	b, err := json.Marshal(events[0])
	if err != nil {
		tb.Fatal(err)
	}
	return len(b)
}

func TestAppendInvalidStoresNothing(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{})
	appendOK(t, o, up("1", 1))
	valid := up("2", 2)

	tests := []struct {
		name string
		bad  func(e *wire.Event)
	}{
		{"seq set", func(e *wire.Event) { e.Seq = 7 }},
		{"no entity", func(e *wire.Event) { e.Entity = "" }},
		{"slash in entity", func(e *wire.Event) { e.Entity = "a/b" }},
		{"no id", func(e *wire.Event) { e.ID = "" }},
		{"upsert without data", func(e *wire.Event) { e.Data = nil }},
		{"delete with data", func(e *wire.Event) { e.Op = wire.OpDelete }},
		{"unknown op", func(e *wire.Event) { e.Op = "merge" }},
		{"data not json", func(e *wire.Event) { e.Data = json.RawMessage(`{oops`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := up("3", 3)
			tt.bad(&bad)
			if _, err := o.Append(context.Background(), []wire.Event{valid, bad}); err == nil {
				t.Fatal("no error")
			}
			if st := o.Stats(); st.LastSeq != 1 || st.Counters.Stored != 1 {
				t.Errorf("stats %+v after a failed append", st)
			}
		})
	}
	if _, ok := o.Snapshot()["table/2"]; ok {
		t.Error("snapshot holds an entity of a failed append")
	}
}

func TestSnapshotIsFoldOfEvents(t *testing.T) {
	path := tempPath(t)
	o := open(t, path, outbox.Options{})
	rng := rand.New(rand.NewPCG(1, 2))

	var all []wire.Event
	var sent uint64
	for range 50 {
		batch := make([]wire.Event, 1+rng.IntN(6))
		for i := range batch {
			id := fmt.Sprint(rng.IntN(12))
			if rng.IntN(4) == 0 {
				batch[i] = del(id)
			} else {
				batch[i] = up(id, rng.IntN(100))
			}
		}
		appendOK(t, o, batch...)
		all = append(all, batch...)
		if rng.IntN(5) == 0 { // hand some out: they must not be compacted
			if events := next(t, o, sent, 3, 0); len(events) > 0 {
				sent = events[len(events)-1].Seq
			}
		}
	}
	want := fold(all)

	stored := next(t, o, 0, 0, 0)
	if diff := cmp.Diff(want, fold(stored)); diff != "" {
		t.Errorf("fold of stored events differs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, o.Snapshot()); diff != "" {
		t.Errorf("snapshot differs from the fold (-want +got):\n%s", diff)
	}
	st := checkCounters(t, o)
	if st.Counters.Compacted == 0 {
		t.Error("nothing compacted; the test should exercise compaction")
	}

	ackOK(t, o, st.LastSeq)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = open(t, path, outbox.Options{})
	if diff := cmp.Diff(want, o.Snapshot()); diff != "" {
		t.Errorf("snapshot after ack and reopen (-want +got):\n%s", diff)
	}
	_, keys, err := outbox.StoredKeys(o)
	if err != nil {
		t.Fatal(err)
	}
	if keys != len(want) {
		t.Errorf("snapshot bucket holds %d keys, want %d: tombstones of acked deletes "+
			"must go", keys, len(want))
	}
	checkCounters(t, o)
}

func TestReopenKeepsEverything(t *testing.T) {
	path := tempPath(t)
	o, err := outbox.Open(path, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendOK(t, o, up("1", 1), up("2", 1), del("3"))
	appendOK(t, o, up("1", 2)) // compacts seq 1
	ackOK(t, o, 2)
	appendOK(t, o, up("4", 1), up("5", 1))
	next(t, o, 2, 2, 0)

	events := next(t, o, 0, 0, 0)
	snap := o.Snapshot()
	before := checkCounters(t, o)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o = open(t, path, outbox.Options{})
	if diff := cmp.Diff(events, next(t, o, 0, 0, 0)); diff != "" {
		t.Errorf("events after reopen (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(snap, o.Snapshot()); diff != "" {
		t.Errorf("snapshot after reopen (-before +after):\n%s", diff)
	}
	after := o.Stats()
	after.Counters.Sent -= uint64(len(events)) // the Next above
	before.Commits, after.Commits = 0, 0
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("stats after reopen (-before +after):\n%s", diff)
	}
	if got := appendOK(t, o, up("6", 1)); got != before.LastSeq+1 {
		t.Errorf("append after reopen got seq %d, want %d", got, before.LastSeq+1)
	}
	checkCounters(t, o)
}

func TestCompaction(t *testing.T) {
	t.Run("pending upsert replaced", func(t *testing.T) {
		o := open(t, tempPath(t), outbox.Options{})
		appendOK(t, o, up("1", 1), up("2", 1))
		appendOK(t, o, up("1", 2))
		appendOK(t, o, up("1", 3))
		if got := seqs(next(t, o, 0, 0, 0)); !cmp.Equal(got, []uint64{2, 4}) {
			t.Errorf("seqs %v, want [2 4]", got)
		}
		if st := checkCounters(t, o); st.Counters.Compacted != 2 {
			t.Errorf("compacted %d, want 2", st.Counters.Compacted)
		}
	})

	t.Run("delete replaces pending upsert", func(t *testing.T) {
		o := open(t, tempPath(t), outbox.Options{})
		appendOK(t, o, up("1", 1))
		appendOK(t, o, del("1"))
		got := next(t, o, 0, 0, 0)
		if len(got) != 1 || got[0].Seq != 2 || got[0].Op != wire.OpDelete {
			t.Errorf("events %+v, want only the delete at seq 2", got)
		}
		checkCounters(t, o)
	})

	t.Run("within one append", func(t *testing.T) {
		o := open(t, tempPath(t), outbox.Options{})
		appendOK(t, o, up("1", 1), up("1", 2), del("1"), up("1", 4))
		if got := seqs(next(t, o, 0, 0, 0)); !cmp.Equal(got, []uint64{4}) {
			t.Errorf("seqs %v, want [4]", got)
		}
		if st := checkCounters(t, o); st.Counters.Compacted != 3 {
			t.Errorf("compacted %d, want 3", st.Counters.Compacted)
		}
	})

	t.Run("not at or below the sent watermark", func(t *testing.T) {
		o := open(t, tempPath(t), outbox.Options{})
		appendOK(t, o, up("1", 1), up("2", 1))
		next(t, o, 0, 1, 0) // hands out seq 1
		appendOK(t, o, up("1", 2), up("2", 2))
		if got := seqs(next(t, o, 1, 0, 0)); !cmp.Equal(got, []uint64{3, 4}) {
			t.Errorf("seqs after 1: %v, want [3 4] (2 compacted, 1 kept)", got)
		}
		// Everything up to 4 is handed out now: nothing more compacts.
		appendOK(t, o, up("1", 3), up("2", 3))
		if got := seqs(next(t, o, 0, 0, 0)); !cmp.Equal(got, []uint64{1, 3, 4, 5, 6}) {
			t.Errorf("seqs %v, want [1 3 4 5 6]", got)
		}
		if st := checkCounters(t, o); st.Counters.Compacted != 1 {
			t.Errorf("compacted %d, want 1", st.Counters.Compacted)
		}
	})

	t.Run("again after rewind", func(t *testing.T) {
		o := open(t, tempPath(t), outbox.Options{})
		appendOK(t, o, up("1", 1), up("2", 1))
		next(t, o, 0, 0, 0)
		appendOK(t, o, up("1", 2), up("2", 2)) // 3, 4: 1 and 2 were sent, kept
		o.Rewind(1)                            // the hub applied 1; 2 will be sent again
		appendOK(t, o, up("1", 3), up("2", 3)) // 5 compacts 3, 6 compacts 4
		if got := seqs(next(t, o, 0, 0, 0)); !cmp.Equal(got, []uint64{1, 2, 5, 6}) {
			t.Errorf("seqs %v, want [1 2 5 6]", got)
		}
		if st := checkCounters(t, o); st.Counters.Compacted != 2 {
			t.Errorf("compacted %d, want 2", st.Counters.Compacted)
		}
	})

	t.Run("not after a restart until the hub says what it applied", func(t *testing.T) {
		path := tempPath(t)
		o := open(t, path, outbox.Options{})
		appendOK(t, o, up("1", 1), up("2", 1))
		next(t, o, 0, 0, 0) // sent; the process dies before the acks
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		o = open(t, path, outbox.Options{})
		appendOK(t, o, up("1", 2)) // 3: 1 may be at the hub, so it stays
		if st := checkCounters(t, o); st.Counters.Compacted != 0 {
			t.Errorf("compacted %d before the hub's welcome, want 0", st.Counters.Compacted)
		}
		o.Rewind(2)                // the hub applied 1 and 2
		appendOK(t, o, up("1", 3)) // 4 compacts 3, never sent
		if got := seqs(next(t, o, 0, 0, 0)); !cmp.Equal(got, []uint64{1, 2, 4}) {
			t.Errorf("seqs %v, want [1 2 4]", got)
		}
		if st := checkCounters(t, o); st.Counters.Compacted != 1 {
			t.Errorf("compacted %d, want 1", st.Counters.Compacted)
		}
	})

	t.Run("tombstone goes with the ack of its delete", func(t *testing.T) {
		o := open(t, tempPath(t), outbox.Options{})
		appendOK(t, o, up("1", 1), up("2", 1))
		appendOK(t, o, del("1")) // 3
		ackOK(t, o, 2)
		if _, keys, _ := outbox.StoredKeys(o); keys != 2 {
			t.Errorf("before the delete is acked: %d snapshot keys, want 2", keys)
		}
		ackOK(t, o, 3)
		if _, keys, _ := outbox.StoredKeys(o); keys != 1 {
			t.Errorf("after the delete is acked: %d snapshot keys, want 1", keys)
		}
		appendOK(t, o, up("1", 5))
		want := map[string][]byte{"table/1": up("1", 5).Data, "table/2": up("2", 1).Data}
		if diff := cmp.Diff(want, o.Snapshot()); diff != "" {
			t.Errorf("snapshot (-want +got):\n%s", diff)
		}
		checkCounters(t, o)
	})

	t.Run("upsert after pending delete keeps tombstone queue right", func(t *testing.T) {
		o := open(t, tempPath(t), outbox.Options{})
		appendOK(t, o, up("1", 1))
		next(t, o, 0, 0, 0)
		appendOK(t, o, del("1"))   // 2, tombstone
		appendOK(t, o, up("1", 3)) // 3 compacts 2
		ackOK(t, o, 3)
		if got := o.Snapshot(); len(got) != 1 {
			t.Errorf("snapshot %v, want table/1 only", got)
		}
		checkCounters(t, o)
	})
}

func TestErrFull(t *testing.T) {
	path := tempPath(t)
	o := open(t, path, outbox.Options{MaxPending: 5})
	appendOK(t, o, up("1", 1), up("2", 1), up("3", 1), up("4", 1))
	before := o.Stats()
	snap := o.Snapshot()

	_, err := o.Append(context.Background(), []wire.Event{up("5", 1), up("6", 1)})
	if !errors.Is(err, outbox.ErrFull) {
		t.Fatalf("append beyond max pending: %v, want ErrFull", err)
	}
	if diff := cmp.Diff(before, o.Stats()); diff != "" {
		t.Errorf("stats changed by a refused append (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(snap, o.Snapshot()); diff != "" {
		t.Errorf("snapshot changed by a refused append (-before +after):\n%s", diff)
	}
	checkCounters(t, o)

	// One of the two replaces a pending event, so the backlog stays at 5.
	if got := appendOK(t, o, up("1", 2), up("5", 1)); got != 6 {
		t.Errorf("append that compacts: seq %d, want 6", got)
	}
	ackOK(t, o, 3)
	appendOK(t, o, up("6", 1), up("7", 1))
	if st := checkCounters(t, o); st.Backlog != 5 {
		t.Errorf("backlog %d, want 5", st.Backlog)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := tempPath(t)
	first, err := outbox.Open(path, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	second, err := outbox.Open(path, outbox.Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("second open of a locked file succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second open took %v", d)
	}
	t.Logf("second open: %v", err)
	if !errors.Is(err, outbox.ErrLocked) {
		t.Errorf("error %v does not wrap ErrLocked", err)
	}
	for _, want := range []string{"another agent", filepath.Dir(path), "stop the other agent"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, path, outbox.Options{Timeout: 100 * time.Millisecond})
}

func TestClosed(t *testing.T) {
	o, err := outbox.Open(tempPath(t), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendOK(t, o, up("1", 1))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := o.Append(context.Background(), []wire.Event{up("2", 1)}); !errors.Is(err,
		outbox.ErrClosed) {
		t.Errorf("append after close: %v, want ErrClosed", err)
	}
	if _, err := o.Next(0, 0, 0); !errors.Is(err, outbox.ErrClosed) {
		t.Errorf("next after close: %v, want ErrClosed", err)
	}
}

func TestNotify(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{})
	select {
	case <-o.Notify():
		t.Fatal("notified before any append")
	default:
	}
	appendOK(t, o, up("1", 1))
	appendOK(t, o, up("2", 1))
	select {
	case <-o.Notify():
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after append")
	}
	select {
	case <-o.Notify():
		t.Fatal("two notifications buffered; want at most one")
	default:
	}
}

func TestCancelledAppendStoresNothing(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.Append(ctx, []wire.Event{up("1", 1)}); !errors.Is(err, context.Canceled) {
		t.Errorf("append with a cancelled context: %v", err)
	}
	if st := o.Stats(); st.LastSeq != 0 {
		t.Errorf("stats %+v after a cancelled append", st)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommitMerges(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{MaxPending: 12})
	entered, release := outbox.HoldWriter(o)

	type answer struct {
		seq uint64
		err error
	}
	answers := make(chan answer, 20)
	go func() {
		seq, err := o.Append(context.Background(), []wire.Event{up("first", 1)})
		answers <- answer{seq, err}
	}()
	<-entered // the writer holds the first request

	// Ten appends of two events queue up behind it. Five fit under
	// MaxPending; the other five must fail alone, in the same group.
	for i := range 10 {
		go func() {
			seq, err := o.Append(context.Background(),
				[]wire.Event{up(fmt.Sprint(i), 1), up(fmt.Sprint(i+100), 1)})
			answers <- answer{seq, err}
		}()
	}
	waitFor(t, "10 queued requests", func() bool { return outbox.QueueLen(o) == 10 })
	release()

	got := map[uint64]bool{}
	full := 0
	for range 11 {
		a := <-answers
		switch {
		case errors.Is(a.err, outbox.ErrFull):
			full++
		case a.err != nil:
			t.Errorf("append: %v", a.err)
		default:
			got[a.seq] = true
		}
	}
	// 1 + 5*2 events fit under 12; the remaining five appends find it full.
	if len(got) != 6 || full != 5 {
		t.Errorf("%d appends stored, %d full; want 6 and 5", len(got), full)
	}
	st := checkCounters(t, o)
	if st.Commits != 1 {
		t.Errorf("%d commits for 11 queued appends, want 1", st.Commits)
	}
	if st.LastSeq != 11 {
		t.Errorf("last seq %d, want 11", st.LastSeq)
	}
}

func TestConcurrentAppendAckNext(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{MaxGroup: 8})
	const appenders, batches, size = 4, 40, 5

	type done struct {
		last   uint64
		events []wire.Event
	}
	results := make(chan done, appenders*batches)
	var wg sync.WaitGroup
	for a := range appenders {
		wg.Go(func() {
			for b := range batches {
				batch := make([]wire.Event, size)
				for i := range batch {
					id := fmt.Sprint((a*7 + b + i) % 15) // shared ids: compaction
					if (b+i)%6 == 0 {
						batch[i] = del(id)
					} else {
						batch[i] = up(id, a*1000+b*10+i)
					}
				}
				last, err := o.Append(context.Background(), batch)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				results <- done{last, batch}
			}
		})
	}

	// The consumer plays the uplink: send what is new, ack it, sometimes
	// rewind as after a reconnect.
	stop := make(chan struct{})
	consumed := make(chan error, 1)
	go func() {
		var sent uint64
		for round := 0; ; round++ {
			events, err := o.Next(sent, 7, 0)
			if err != nil {
				consumed <- err
				return
			}
			for _, e := range events {
				if e.Seq <= sent {
					consumed <- fmt.Errorf("seq %d after %d", e.Seq, sent)
					return
				}
				sent = e.Seq
			}
			if len(events) > 0 && round%3 == 0 {
				if err := o.Ack(context.Background(), sent); err != nil {
					consumed <- err
					return
				}
			}
			if round%11 == 0 {
				sent = o.Stats().AckedSeq
				o.Rewind(sent)
			}
			select {
			case <-stop:
				consumed <- nil
				return
			default:
			}
		}
	}()

	wg.Wait()
	close(stop)
	if err := <-consumed; err != nil {
		t.Fatalf("consumer: %v", err)
	}
	close(results)

	// Batches got consecutive seqs ending at their last, so ordering them
	// by last replays the appends in commit order.
	var all []done
	for r := range results {
		all = append(all, r)
	}
	var events []wire.Event
	for len(all) > 0 {
		first := 0
		for i := range all {
			if all[i].last < all[first].last {
				first = i
			}
		}
		events = append(events, all[first].events...)
		all = append(all[:first], all[first+1:]...)
	}
	if diff := cmp.Diff(fold(events), o.Snapshot()); diff != "" {
		t.Errorf("snapshot differs from the fold (-want +got):\n%s", diff)
	}

	st := checkCounters(t, o)
	if st.LastSeq != appenders*batches*size {
		t.Errorf("last seq %d, want %d", st.LastSeq, appenders*batches*size)
	}
	ackOK(t, o, st.LastSeq)
	if st := checkCounters(t, o); st.Backlog != 0 {
		t.Errorf("backlog %d after acking everything", st.Backlog)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	o := open(t, tempPath(t), outbox.Options{})
	moscow := time.FixedZone("MSK", 3*60*60)
	in := []wire.Event{
		{Entity: wire.EntityReservation, ID: `quote " and \ back`, Op: wire.OpUpsert,
			Data: json.RawMessage(`{"name":"Анна <b>&</b>","n":[1, 2]}`), At: at},
		{Entity: wire.EntityHall, ID: "зал\t1\n", Op: wire.OpDelete,
			At: time.Date(2025, 1, 2, 3, 4, 5, 6, moscow)},
		{Entity: wire.EntityOrder, ID: "o-1", Op: wire.OpUpsert, Data: json.RawMessage(`"x"`)},
	}
	before := time.Now()
	appendOK(t, o, in...)

	got := next(t, o, 0, 0, 0)
	if len(got) != len(in) {
		t.Fatalf("%d events, want %d", len(got), len(in))
	}
	for i, e := range got {
		want := in[i]
		want.Seq = uint64(i + 1)
		if want.At.IsZero() { // the outbox sets the time of the append
			if e.At.Before(before.Add(-time.Second)) || e.At.After(time.Now()) {
				t.Errorf("event %d: at %v, want the time of the append", i, e.At)
			}
			want.At = e.At
		}
		if diff := cmp.Diff(want, e); diff != "" {
			t.Errorf("event %d (-want +got):\n%s", i, diff)
		}
	}
}
