package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// testOutgoingFallBack: an edit falling back to a new message becomes a
// plain send only under its sender's live claim; once it has, a claim
// that runs out leaves it in doubt, not pending to be sent again.
func testOutgoingFallBack(t *testing.T, s hub.Store) {
	ctx := context.Background()
	fallBack := func(key string, attempts int, now time.Time, want bool) {
		t.Helper()
		got, err := s.FallBackOutgoing(ctx, key, attempts, now)
		wantErr(t, "fall back "+key, err, nil)
		if got != want {
			t.Errorf("fall back %s as claim %d at %s = %v, want %v", key, attempts,
				now.Sub(t0), got, want)
		}
	}
	_, err := s.FallBackOutgoing(ctx, "nope", 1, t0)
	wantErr(t, "fall back an unknown message", err, hub.ErrNotFound)

	enqueueOut(t, s, hub.Outgoing{Key: "e1", ChatID: 501, Text: "a", EditKey: "gone",
		CreatedAt: t0})
	enqueueOut(t, s, hub.Outgoing{Key: "e2", ChatID: 502, Text: "b", EditKey: "gone",
		CreatedAt: t0})
	fallBack("e1", 0, t0, false) // pending: nobody's claim
	claimOut(t, s, t0, 10, time.Minute, "e1", "e2")

	fallBack("e1", 2, t0, false)                  // another claim's
	fallBack("e1", 1, t0.Add(time.Minute), false) // the claim ran out
	if m := getOut(t, s, "e1"); m.EditKey != "gone" {
		t.Fatalf("a refused fall back changed the edit key to %q", m.EditKey)
	}
	fallBack("e1", 1, t0.Add(59*time.Second), true)
	fallBack("e1", 1, t0.Add(59*time.Second), true) // again: still a plain send
	if m := getOut(t, s, "e1"); m.EditKey != "" || m.State != hub.OutgoingSending {
		t.Fatalf("after fall back: %+v, want sending without edit key", m)
	}

	doubts, err := s.ExpireOutgoing(ctx, t0.Add(time.Minute))
	wantErr(t, "expire", err, nil)
	diff(t, "in doubt after the claims ran out", outKeys(doubts), []string{"e1"})
	if m := getOut(t, s, "e2"); m.State != hub.OutgoingPending {
		t.Errorf("the edit that did not fall back is %s, want pending", m.State)
	}
	fallBack("e1", 1, t0, false) // in doubt now
}
