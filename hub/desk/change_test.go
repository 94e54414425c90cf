package desk_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/shared/wire"
)

// changes records what Options.OnChange reports.
type changes struct {
	mu   sync.Mutex
	list []string
}

func (c *changes) add(_ context.Context, from hub.BookingState, b hub.Booking) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, string(from)+">"+string(b.State))
}

func (c *changes) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.list
	c.list = nil
	return l
}

// TestOnChange sees every transition: the guest's, the RMS result's, the
// mirror's and the jobs'.
func TestOnChange(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	rec := &changes{}
	e.desk = desk.New(e.store, e.fleet, desk.Options{Now: e.clock.Now, OnChange: rec.add})

	b := e.confirmed("g1")
	if d := cmp.Diff(rec.take(), []string{"held>requested", "requested>confirmed"}); d != "" {
		t.Errorf("confirm flow changes (-got +want):\n%s", d)
	}

	r := wire.Reservation{ID: "res-" + b.ID, TableIDs: b.TableIDs, Start: start,
		Duration: wire.Duration(time.Hour), Guests: 2, Status: wire.ReservationCancelled,
		BookingID: b.ID}
	e.send(wire.EntityReservation, r.ID, r)
	e.must("follow", e.desk.FollowMirror(e.ctx, "v1"))
	if d := cmp.Diff(rec.take(), []string{"confirmed>cancelled"}); d != "" {
		t.Errorf("mirror changes (-got +want):\n%s", d)
	}

	e.hold("g2")
	e.clock.Set(t0.Add(5 * time.Minute))
	e.runJobs()
	if d := cmp.Diff(rec.take(), []string{"held>expired"}); d != "" {
		t.Errorf("job changes (-got +want):\n%s", d)
	}
}
