package booking

import (
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// Paused reports whether a venue's online sales are paused at now, and why
// in plain words: its agent has been offline (not connected, last seen at
// lastSeen), or its RMS unreadable (health), for longer than the policy's
// PauseAfter. The engine then does not guess from a stale mirror. A
// manual-mode venue has no agent and is never paused.
func Paused(mode hub.Mode, connected bool, lastSeen time.Time, health wire.ConnectorHealth,
	p hub.Policy, now time.Time) (bool, string) {
	if mode == hub.ModeManual {
		return false, ""
	}
	after := time.Duration(Effective(p).PauseAfter)
	if !connected {
		if lastSeen.IsZero() {
			return true, "the restaurant's booking link has never connected"
		}
		if gone := now.Sub(lastSeen); gone > after {
			return true, fmt.Sprintf("the restaurant's booking link has been offline for %s",
				humanDuration(gone.Truncate(time.Minute)))
		}
		return false, ""
	}

	switch {
	case health.OK && (health.LastSuccess.IsZero() || now.Sub(health.LastSuccess) <= after):
		return false, ""
	case health.OK:
		return true, fmt.Sprintf("the restaurant's system has not been read for %s",
			humanDuration(now.Sub(health.LastSuccess).Truncate(time.Minute)))
	case health.LastSuccess.IsZero():
		return true, "the restaurant's system has not been read yet" + detail(health)
	case now.Sub(health.LastSuccess) > after:
		return true, fmt.Sprintf("the restaurant's system has not been readable for %s%s",
			humanDuration(now.Sub(health.LastSuccess).Truncate(time.Minute)), detail(health))
	}
	return false, ""
}

func detail(h wire.ConnectorHealth) string {
	if h.Error == "" {
		return ""
	}
	return " (" + h.Error + ")"
}

// PredictFree returns when a table busy with open order o should be free:
// o.OpenedAt plus the venue's learned turn time when learned is positive
// (see LearnedTurnTime), else plus the policy's turn time for the order's
// guests (one when unknown). An order still open past that is expected to
// close within one slot step from now: the prediction never lies in the
// past while the table is busy.
func PredictFree(o wire.Order, p hub.Policy, learned time.Duration, now time.Time) time.Time {
	turn := learned
	if turn <= 0 {
		turn = p.TurnTime(max(o.Guests, 1))
	}
	free := o.OpenedAt.Add(turn)
	if soon := now.Add(time.Duration(Effective(p).SlotStep)); free.Before(soon) {
		return soon
	}
	return free
}

// Occupancy returns a block for each table of each open order, from its
// opening to PredictFree. The store's Blocks predict with the policy's turn
// times alone; a caller that knows a learned turn time replaces the
// store's occupancy blocks with these.
func Occupancy(orders []wire.Order, p hub.Policy, learned time.Duration,
	now time.Time) []hub.Block {
	var out []hub.Block
	for _, o := range orders {
		free := PredictFree(o, p, learned, now)
		for _, id := range o.TableIDs {
			out = append(out, hub.Block{TableID: id, Start: o.OpenedAt, End: free,
				Kind: hub.BlockOccupancy, Ref: o.ID})
		}
	}
	return out
}

// LearnedTurnTime returns the median of how long a venue's closed orders
// stayed open, once there are at least minCount of them (and at least
// one); ok is false before. durations is not changed.
func LearnedTurnTime(durations []time.Duration, minCount int) (time.Duration, bool) {
	if len(durations) == 0 || len(durations) < minCount {
		return 0, false
	}
	s := slices.Clone(durations)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return s[n/2-1] + (s[n/2]-s[n/2-1])/2, true
}
