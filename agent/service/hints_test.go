package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/shared/wire"
)

// hintedVenue is the simulator with the hint capability, recording hints.
type hintedVenue struct {
	*sim.Venue
	mu    sync.Mutex
	hints []wire.PollHints
}

func (v *hintedVenue) HintPoll(h wire.PollHints) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.hints = append(v.hints, h)
}

func (v *hintedVenue) taken() []wire.PollHints {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := v.hints
	v.hints = nil
	return out
}

var _ agent.PollHinter = (*hintedVenue)(nil)

func TestPollCommandPassesHints(t *testing.T) {
	f := newFixture(t)
	v := &hintedVenue{Venue: f.venue}
	exec := service.NewExecutor(v, f.ob, f.poller, quiet)
	ctx := context.Background()
	service.Poked(f.poller)

	want := wire.PollHints{Reservations: []string{"r-1", "r-2"}, Orders: []string{"o-1"}}
	body, _ := json.Marshal(want)
	if r := exec.Run(ctx, wire.Command{ID: "p1", Kind: wire.CommandPoll, Body: body}); !r.OK {
		t.Fatalf("poll with hints: %+v", r)
	}
	if diff := cmp.Diff(v.taken(), []wire.PollHints{want}); diff != "" {
		t.Errorf("hints the connector got (-got +want):\n%s", diff)
	}
	if !service.Poked(f.poller) {
		t.Error("a poll with hints did not ask the poller to read the RMS")
	}

	// Without a body, or with hints out of bounds, the poll still runs
	// and the connector is told nothing.
	long := `{"reservations":["` + strings.Repeat("x", wire.MaxPollHintLen+1) + `"]}`
	for _, body := range []string{"", `{}`, long, `{"reservations":7}`} {
		r := exec.Run(ctx, wire.Command{ID: "p2", Kind: wire.CommandPoll,
			Body: json.RawMessage(body)})
		if !r.OK {
			t.Errorf("poll with body %.30q: %+v, want ok", body, r)
		}
		if got := v.taken(); len(got) != 0 {
			t.Errorf("poll with body %.30q handed %+v to the connector, want nothing", body, got)
		}
		if !service.Poked(f.poller) {
			t.Errorf("poll with body %.30q did not poke the poller", body)
		}
	}

	// A connector without the capability polls as before.
	if r := f.exec.Run(ctx, wire.Command{ID: "p3", Kind: wire.CommandPoll, Body: body}); !r.OK ||
		!service.Poked(f.poller) {
		t.Errorf("hinted poll on the plain simulator: %+v, want ok and a poke", r)
	}
}
