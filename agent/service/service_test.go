package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/shared/wire"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	clock  *clock
	venue  *sim.Venue
	ob     *outbox.Outbox
	poller *service.Poller
	exec   *service.Executor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &clock{t: start}
	v, err := sim.New(sim.Config{
		Seed: 9, Halls: 2, Tables: 10, Start: start, Step: time.Second, ChangesPerStep: 3,
		Now: c.now, StateFile: filepath.Join(t.TempDir(), "sim.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.Open(filepath.Join(t.TempDir(), "outbox.db"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	p := service.NewPoller(v, ob, time.Second, quiet)
	return &fixture{clock: c, venue: v, ob: ob, poller: p,
		exec: service.NewExecutor(v, ob, p, quiet)}
}

func TestPollerStoresOnlyChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	n, err := f.poller.Poll(ctx)
	if err != nil || n == 0 {
		t.Fatalf("first poll: %d events, %v; want the whole venue", n, err)
	}
	if n2, err := f.poller.Poll(ctx); err != nil || n2 != 0 {
		t.Fatalf("poll of an unchanged venue: %d events, %v", n2, err)
	}
	f.clock.add(5 * time.Second)
	if n3, err := f.poller.Poll(ctx); err != nil || n3 == 0 {
		t.Fatalf("poll after five steps: %d events, %v", n3, err)
	}
	if st := f.ob.Stats(); st.LastSeq == 0 || st.Backlog != st.LastSeq-st.Counters.Compacted {
		t.Errorf("stats %+v", st)
	}
	if !f.poller.Health().OK {
		t.Errorf("health %+v after good polls", f.poller.Health())
	}
}

func TestPollerKeepsSnapshotWhileRMSDown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.poller.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	before := f.ob.Stats().LastSeq

	f.venue.SetDown(errors.New("connection refused"))
	f.clock.add(10 * time.Second)
	if _, err := f.poller.Poll(ctx); err == nil {
		t.Fatal("poll of a down RMS succeeded")
	}
	h := f.poller.Health()
	if h.OK || h.Error == "" || h.LastSuccess.IsZero() {
		t.Errorf("health while down = %+v", h)
	}
	if got := f.ob.Stats().LastSeq; got != before {
		t.Errorf("events stored while the RMS was down: seq %d -> %d", before, got)
	}

	f.venue.SetDown(nil)
	if n, err := f.poller.Poll(ctx); err != nil || n == 0 {
		t.Fatalf("poll after recovery: %d, %v; want the changes made meanwhile", n, err)
	}
	if !f.poller.Health().OK {
		t.Error("still unhealthy after recovery")
	}
}

func command(t *testing.T, kind wire.CommandKind, body any) wire.Command {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return wire.Command{ID: "cmd_" + string(kind), Kind: kind, Body: b}
}

func TestExecutor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	start := f.clock.now().Add(72 * time.Hour).Truncate(time.Hour)
	req := wire.ReservationRequest{
		BookingID: "bk_1", TableIDs: []string{"t-01"}, Start: start,
		Duration: wire.Duration(2 * time.Hour), Guests: 2, Name: "Анна",
	}

	r := f.exec.Run(ctx, command(t, wire.CommandCreateReservation, req))
	if !r.OK {
		t.Fatalf("create: %+v", r)
	}
	var res wire.Reservation
	if err := json.Unmarshal(r.Body, &res); err != nil || res.BookingID != "bk_1" {
		t.Fatalf("create body %s: %v", r.Body, err)
	}

	other := req
	other.BookingID = "bk_2"
	if r := f.exec.Run(ctx, command(t, wire.CommandCreateReservation, other)); r.OK ||
		r.Code != wire.CodeRefused || r.Message == "" {
		t.Errorf("overlapping create = %+v, want refused with a reason", r)
	}

	for name, c := range map[string]wire.Command{
		"not json":      {ID: "c1", Kind: wire.CommandCreateReservation, Body: []byte(`{`)},
		"missing table": command(t, wire.CommandCreateReservation, wire.ReservationRequest{BookingID: "x"}),
		"cancel empty":  command(t, wire.CommandCancelReservation, wire.CancelRequest{}),
	} {
		if r := f.exec.Run(ctx, c); r.OK || r.Code != wire.CodeBadRequest {
			t.Errorf("%s: %+v, want bad_request", name, r)
		}
	}
	if r := f.exec.Run(ctx, wire.Command{ID: "c9", Kind: "teleport"}); r.Code != wire.CodeUnsupported {
		t.Errorf("unknown kind: %+v", r)
	}

	cancel := wire.CancelRequest{BookingID: "bk_1", ReservationID: res.ID}
	if r := f.exec.Run(ctx, command(t, wire.CommandCancelReservation, cancel)); !r.OK {
		t.Errorf("cancel: %+v", r)
	}
}

func TestResyncSendsWholeState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.poller.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	entities := len(f.ob.Snapshot())
	before := f.ob.Stats().LastSeq

	if r := f.exec.Run(ctx, wire.Command{ID: "rs", Kind: wire.CommandResync}); !r.OK {
		t.Fatalf("resync: %+v", r)
	}
	if got := f.ob.Stats().LastSeq - before; got != uint64(entities) {
		t.Errorf("resync appended %d events, want one per entity (%d)", got, entities)
	}
}

func TestPollCommandPokesThePoller(t *testing.T) {
	f := newFixture(t)
	service.Poked(f.poller) // whatever the fixture left
	if r := f.exec.Run(context.Background(), wire.Command{ID: "p1", Kind: wire.CommandPoll}); !r.OK {
		t.Fatalf("poll: %+v", r)
	}
	if !service.Poked(f.poller) {
		t.Error("a poll command did not ask the poller to read the RMS")
	}
}

func TestNewConnectorIiko(t *testing.T) {
	c := config.Default()
	c.Connector.Kind = "iiko"
	c.Connector.Iiko.APILogin = "login"
	conn, err := service.NewConnector(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if conn.Kind() != "iiko" || !slices.Equal(agent.Capabilities(conn),
		[]string{agent.CapabilityReservations, agent.CapabilityUpdate,
			agent.CapabilityWebhook}) {
		t.Errorf("connector %s with %v, want iiko writing and moving reservations "+
			"and setting webhooks",
			conn.Kind(), agent.Capabilities(conn))
	}
}
