package iiko

import (
	"strings"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// maxHinted bounds the reserve ids waiting for the next Snapshot. Past it
// the next Snapshot reads the details of every reserve in the window, which
// costs one status_by_id call per 100 reserves.
const maxHinted = 1000

// hints are reserve ids whose details the next Snapshot reads again.
type hints struct {
	ids map[string]bool // lower case
	all bool
}

func (h hints) has(id string) bool {
	return h.all || len(h.ids) > 0 && h.ids[strings.ToLower(id)]
}

var _ agent.PollHinter = (*Connector)(nil)

// HintPoll makes the next Snapshot read the details (status, guest,
// comment) of the reserves in h again, though their slot did not move and
// their details are younger than DetailsMaxAge: the hub hints them after
// an iiko ReserveUpdate webhook. Order hints are not needed (open orders
// are read in full on every Snapshot), nor are ids outside the window.
func (c *Connector) HintPoll(h wire.PollHints) {
	c.hintMu.Lock()
	defer c.hintMu.Unlock()
	for _, id := range h.Reservations {
		if c.hinted.all {
			return
		}
		if len(c.hinted.ids) >= maxHinted {
			c.hinted = hints{all: true}
			return
		}
		if c.hinted.ids == nil {
			c.hinted.ids = map[string]bool{}
		}
		c.hinted.ids[strings.ToLower(id)] = true
	}
}

// takeHints returns the hints waiting and clears them.
func (c *Connector) takeHints() hints {
	c.hintMu.Lock()
	defer c.hintMu.Unlock()
	h := c.hinted
	c.hinted = hints{}
	return h
}

// restoreHints puts back hints a failed read could not act on.
func (c *Connector) restoreHints(h hints) {
	if !h.all && len(h.ids) == 0 {
		return
	}
	ids := make([]string, 0, len(h.ids))
	for id := range h.ids {
		ids = append(ids, id)
	}
	c.HintPoll(wire.PollHints{Reservations: ids})
	if h.all {
		c.hintMu.Lock()
		c.hinted = hints{all: true}
		c.hintMu.Unlock()
	}
}
