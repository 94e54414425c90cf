package uplink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/agent/uplink"
	"github.com/stolik/stolik/shared/wire"
)

// store is what the tests need from the agent's outbox: what the uplink
// uses, plus appending and inspecting.
type store interface {
	uplink.Outbox
	uplink.Commands
	// add appends n upserts of distinct tables and returns the last seq.
	add(t testing.TB, n int) uint64
	// addSized is add with tables of about size bytes.
	addSized(t testing.TB, n, size int) uint64
	lastSeq() uint64
	backlog() uint64
}

// boltStore is the real outbox in a bbolt file of the test, plugged in
// through the adapter the package documentation describes.
type boltStore struct {
	*outbox.Outbox

	mu  sync.Mutex
	ids int
}

func newStore(t testing.TB) store {
	t.Helper()
	ob, err := outbox.Open(filepath.Join(t.TempDir(), "outbox.db"), outbox.Options{})
	if err != nil {
		t.Fatalf("open outbox: %v", err)
	}
	t.Cleanup(func() {
		if err := ob.Close(); err != nil {
			t.Errorf("close outbox: %v", err)
		}
	})
	return &boltStore{Outbox: ob}
}

// BeginCommand converts the outbox's Begin into the uplink's.
func (s *boltStore) BeginCommand(ctx context.Context, c wire.Command) (uplink.Begin, error) {
	b, err := s.Outbox.BeginCommand(ctx, c)
	return uplink.Begin{Run: b.Run, Result: b.Result}, err
}

func (s *boltStore) add(t testing.TB, n int) uint64 {
	t.Helper()
	return s.addSized(t, n, 0)
}

func (s *boltStore) addSized(t testing.TB, n, size int) uint64 {
	t.Helper()
	s.mu.Lock()
	events := make([]wire.Event, n)
	for i := range events {
		s.ids++
		id := fmt.Sprintf("%08d", s.ids)
		data, _ := json.Marshal(wire.Table{ID: id, HallID: "h1", Name: strings.Repeat("x", size)})
		events[i] = wire.Event{Entity: wire.EntityTable, ID: id, Op: wire.OpUpsert, Data: data}
	}
	s.mu.Unlock()
	last, err := s.Append(context.Background(), events)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return last
}

func (s *boltStore) lastSeq() uint64 { return s.Stats().LastSeq }

func (s *boltStore) backlog() uint64 { return s.Stats().Backlog }
