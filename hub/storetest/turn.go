package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// testLearnedTurnTime: closed orders teach the venue how long tables stay
// occupied. Until enough are known an open order blocks for the policy's
// turn time; from then on for the learned median.
func testLearnedTurnTime(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createPolicyVenue(t, s, "ven_1")
	a := createAgent(t, s, "agt_1", v.ID)
	feed := newFeed(t, s, a.ID)
	h := time.Hour

	// Orders of 6 guests (policy: hub.DefaultTurnTime) that stay 40 min.
	closeOrders := func(from, n int) {
		for i := from; i < from+n; i++ {
			id := fmt.Sprintf("old-%02d", i)
			opened := t0.Add(time.Duration(i) * h)
			feed.send(orderEvent(t, 0, wire.Order{ID: id, TableIDs: []string{"t09"},
				OpenedAt: opened, Guests: 6}))
			feed.send(wire.Event{Entity: wire.EntityOrder, ID: id, Op: wire.OpDelete,
				At: opened.Add(40 * time.Minute)})
		}
	}
	// A delete without its time, and one of an order never seen, teach
	// nothing.
	feed.send(orderEvent(t, 0, wire.Order{ID: "no-at", TableIDs: []string{"t09"},
		OpenedAt: t0, Guests: 6}))
	feed.send(wire.Event{Entity: wire.EntityOrder, ID: "no-at", Op: wire.OpDelete})
	feed.send(wire.Event{Entity: wire.EntityOrder, ID: "ghost", Op: wire.OpDelete, At: t0})

	closeOrders(0, hub.LearnedMinOrders-1)
	now := t0.Add(100 * h)
	feed.send(orderEvent(t, 0, wire.Order{ID: "open", TableIDs: []string{"t01"},
		OpenedAt: now, Guests: 6}))
	first, err := s.Blocks(ctx, v.ID, now, now.Add(24*h))
	wantErr(t, "blocks", err, nil)
	diff(t, "block while too few orders are known", first,
		[]hub.Block{{TableID: "t01", Start: now, End: now.Add(hub.DefaultTurnTime),
			Kind: hub.BlockOccupancy, Ref: "open"}})

	closeOrders(hub.LearnedMinOrders-1, 1)
	turns, err := s.TurnTimes(ctx, v.ID, 100)
	wantErr(t, "turn times", err, nil)
	if len(turns) != hub.LearnedMinOrders {
		t.Fatalf("%d turn times, want %d", len(turns), hub.LearnedMinOrders)
	}
	for _, d := range turns {
		if d != 40*time.Minute {
			t.Fatalf("turn times %v, want 40m each", turns)
		}
	}
	if got, err := s.TurnTimes(ctx, v.ID, 3); err != nil || len(got) != 3 {
		t.Errorf("3 turn times: %v %v", got, err)
	}
	_, err = s.TurnTimes(ctx, "ven_nowhere", 3)
	wantErr(t, "turn times of an unknown venue", err, hub.ErrNotFound)

	// A new order now blocks for the learned 40 minutes, and a booking
	// right after it fits.
	later := now.Add(2 * h)
	feed.send(orderEvent(t, 0, wire.Order{ID: "new", TableIDs: []string{"t02"},
		OpenedAt: later, Guests: 6}))
	got, err := s.Blocks(ctx, v.ID, later, later.Add(24*h))
	wantErr(t, "blocks", err, nil)
	var newBlock *hub.Block
	for i := range got {
		if got[i].Ref == "new" {
			newBlock = &got[i]
		}
	}
	if newBlock == nil || !newBlock.End.Equal(later.Add(40*time.Minute)) {
		t.Fatalf("blocks %+v, want order new to block for the learned 40m", got)
	}
	createBooking(t, s, booking("bkg_after", v.ID, later.Sub(t0)+40*time.Minute, h, "t02"))
}
