package iiko_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/iiko"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

// hintSetup is a connector on a fake with two reserves at the till, read
// once, on a clock the test moves.
func hintSetup(t *testing.T) (*iikotest.Fake, *iiko.Connector, *clock, [2]string) {
	t.Helper()
	clk := newClock()
	f := newFake(t, iikotest.Options{Now: clk.Now})
	cfg := config(f)
	cfg.Now = clk.Now
	c := newConnector(t, cfg)
	var ids [2]string
	for i := range ids {
		ids[i] = f.AddReservation(wire.Reservation{TableIDs: f.Tables()[i : i+1],
			Start: clk.Now().Add(time.Duration(i+1) * time.Hour), Duration: wire.Duration(time.Hour),
			Guests: 2, Name: "Гость", Phone: "+79990001122"})
	}
	for _, id := range ids {
		if r, ok := find(snap(t, c), id); !ok || r.Status != wire.ReservationConfirmed {
			t.Fatalf("reserve %s = %+v (found %v), want confirmed", id, r, ok)
		}
	}
	return f, c, clk, ids
}

func statusOf(t testing.TB, c *iiko.Connector, id string) wire.ReservationStatus {
	t.Helper()
	r, ok := find(snap(t, c), id)
	if !ok {
		t.Fatalf("reserve %s is not in the snapshot", id)
	}
	return r.Status
}

// TestHintedPollReadsStatusAtOnce: guests are seated (the status changes,
// the slot does not). A poll with the reserve hinted shows it at once; a
// poll without waits for DetailsMaxAge.
func TestHintedPollReadsStatusAtOnce(t *testing.T) {
	f, c, clk, ids := hintSetup(t)
	hinted, unhinted := ids[0], ids[1]
	f.Lock(hinted)
	f.Lock(unhinted)
	clk.Add(5 * time.Second)
	calls := f.Counts()["reserve/status_by_id"]

	if st := statusOf(t, c, hinted); st != wire.ReservationConfirmed {
		t.Fatalf("before any hint the status is %s, want the cached confirmed "+
			"(else this test proves nothing)", st)
	}
	// iiko's ids are UUIDs; case does not matter.
	c.HintPoll(wire.PollHints{Reservations: []string{strings.ToUpper(hinted)},
		Orders: []string{"o-1"}})
	st := snap(t, c)
	if r, _ := find(st, hinted); r.Status != wire.ReservationSeated {
		t.Errorf("after a hinted poll the reserve is %s, want seated at once", r.Status)
	}
	if r, _ := find(st, unhinted); r.Status != wire.ReservationConfirmed {
		t.Errorf("the reserve not hinted is %s, want confirmed until its details age", r.Status)
	}
	if n := f.Counts()["reserve/status_by_id"] - calls; n != 1 {
		t.Errorf("%d status_by_id calls for the hinted poll, want 1", n)
	}
	if diff := cmp.Diff(f.LastRequest("reserve/status_by_id")["reserveIds"],
		[]any{hinted}); diff != "" {
		t.Errorf("reserves read (-got +want):\n%s", diff)
	}

	// A hint is used once: the next poll reads no details.
	calls = f.Counts()["reserve/status_by_id"]
	snap(t, c)
	if n := f.Counts()["reserve/status_by_id"] - calls; n != 0 {
		t.Errorf("%d status_by_id calls on the poll after the hinted one, want 0", n)
	}

	clk.Add(iiko.DefaultDetailsMaxAge)
	if st := statusOf(t, c, unhinted); st != wire.ReservationSeated {
		t.Errorf("after DetailsMaxAge the reserve not hinted is %s, want seated", st)
	}
}

// TestHintKeptOverFailedRead: a hint taken by a poll that fails applies to
// the next poll.
func TestHintKeptOverFailedRead(t *testing.T) {
	f, c, _, ids := hintSetup(t)
	f.Lock(ids[0])
	c.HintPoll(wire.PollHints{Reservations: ids[:1]})
	f.FailNext("reserve/status_by_id", 500)
	if _, err := c.Snapshot(context.Background()); err == nil {
		t.Fatal("the snapshot with status_by_id failing worked")
	}
	if st := statusOf(t, c, ids[0]); st != wire.ReservationSeated {
		t.Errorf("after a failed hinted poll the next one shows %s, want seated", st)
	}
}

// TestHintsBounded: past the bound the connector stops collecting ids
// and reads every reserve's details once.
func TestHintsBounded(t *testing.T) {
	f, c, _, ids := hintSetup(t)
	f.Lock(ids[1])
	for i := range 11 {
		var h wire.PollHints
		for j := range wire.MaxPollHints {
			h.Reservations = append(h.Reservations, fmt.Sprintf("r-%d-%d", i, j))
		}
		c.HintPoll(h)
	}
	if st := statusOf(t, c, ids[1]); st != wire.ReservationSeated {
		t.Errorf("after 1,100 hints the reserve is %s, want seated (every detail read)", st)
	}
	if got := f.LastRequest("reserve/status_by_id")["reserveIds"].([]any); len(got) != 2 {
		t.Errorf("status_by_id asked for %v, want the two reserves in the window", got)
	}
}
