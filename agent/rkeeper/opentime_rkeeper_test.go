package rkeeper_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/shared/wire"
)

// syncBuffer is a log sink safe to read while the connector writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A reserve whose openTime does not read is left out of the venue with a
// log line naming GetOrderList2 and the order, rather than shown at "now";
// the other reserves still read.
func TestUnreadableOpenTimeSkipsTheOrder(t *testing.T) {
	f := startFake(t, rkeepertest.Options{})
	var logs syncBuffer
	cfg := configFor(f)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := connect(t, cfg)
	tables := f.Tables()
	start := time.Now().Add(5 * time.Hour).Truncate(time.Minute)
	add := func(table string) string {
		id, err := f.AddReservation(wire.Reservation{TableIDs: []string{table}, Start: start,
			Duration: wire.Duration(2 * time.Hour), Guests: 2, Name: "Гость"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	good, bad := add(tables[0].ID), add(tables[1].ID)
	f.SetOpenTime(bad, "вчера вечером")

	st := snapshot(t, c)
	var ids []string
	for _, r := range st.Reservations {
		ids = append(ids, r.ID)
		if strings.EqualFold(strings.Trim(bad, "{}"), r.ID) {
			t.Errorf("the reserve with an unreadable openTime is in the venue, start %v", r.Start)
		}
	}
	found := false
	for _, r := range st.Reservations {
		found = found || strings.EqualFold(strings.Trim(good, "{}"), r.ID)
	}
	if !found {
		t.Errorf("reservations %v, want the readable one %s", ids, good)
	}
	line := logs.String()
	if !strings.Contains(line, "GetOrderList2") || !strings.Contains(strings.ToLower(line),
		strings.ToLower(strings.Trim(bad, "{}"))) {
		t.Errorf("log %q, want a line naming GetOrderList2 and the order %s", line, bad)
	}
}
