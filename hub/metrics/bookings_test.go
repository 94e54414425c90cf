package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/metrics"
	"github.com/stolik/stolik/shared/wire"
)

type noFleet struct{}

func (noFleet) Live(string) hub.Live { return hub.Live{} }
func (noFleet) Poke(string)          {}
func (noFleet) Disconnect(string)    {}

// TestBookingTransitions: the desk's changes, wired as stolik-hub serve
// wires them, are counted by the state entered; every state shows from
// the start, at 0.
func TestBookingTransitions(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	now := time.Now().UTC()
	var policy hub.Policy
	for d := time.Sunday; d <= time.Saturday; d++ {
		policy.Services = append(policy.Services, hub.Service{Weekday: d, Open: "10:00",
			Close: "23:00"})
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "V", TimeZone: "UTC",
		Mode: hub.ModeManual, Policy: policy, CreatedAt: now}))
	must(st.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: "ven_1",
		SecretHash: hub.HashSecret("s"), CreatedAt: now}))
	var events []wire.Event
	for i := range 3 {
		id := fmt.Sprintf("t-%d", i+1)
		data, _ := json.Marshal(wire.Table{ID: id, HallID: "h-1", Number: id, Seats: 4})
		events = append(events, wire.Event{Seq: uint64(i + 1), Entity: wire.EntityTable,
			ID: id, Op: wire.OpUpsert, Data: data})
	}
	_, err = st.ApplyBatch(ctx, "agt_1", events)
	must(err)

	m := metrics.New(metrics.Options{})
	d := desk.New(st, noFleet{}, desk.Options{OnChange: func(_ context.Context,
		from hub.BookingState, b hub.Booking) {
		m.BookingChanged(from, b)
	}})
	count := func(to string) float64 {
		t.Helper()
		fams, err := m.Registry().Gather()
		must(err)
		for _, f := range fams {
			if f.GetName() != "stolik_booking_transitions_total" {
				continue
			}
			for _, mt := range f.GetMetric() {
				if mt.GetLabel()[0].GetValue() == to {
					return mt.GetCounter().GetValue()
				}
			}
		}
		t.Fatalf("no stolik_booking_transitions_total{to=%q}", to)
		return 0
	}
	for _, to := range []string{"declined", "cancelled", "expired", "confirmed"} {
		if n := count(to); n != 0 {
			t.Errorf("%s before any booking: %v, want 0", to, n)
		}
	}

	start := now.Add(24 * time.Hour).Truncate(24 * time.Hour).Add(12 * time.Hour)
	hold := func(name string) hub.Booking {
		t.Helper()
		b, err := d.Hold(ctx, desk.Request{VenueID: "ven_1", Start: start, Party: 2,
			Name: name, Channel: desk.ChannelStaff, Actor: "staff:test"})
		must(err)
		return b
	}
	a, b := hold("A"), hold("B")
	for _, id := range []string{a.ID, b.ID} {
		_, err := d.Confirm(ctx, id, "staff:test")
		must(err)
	}
	_, err = d.Decline(ctx, a.ID, "staff:test", "Fully booked at that time")
	must(err)
	_, err = d.StaffConfirm(ctx, b.ID, "staff:test")
	must(err)
	_, err = d.Cancel(ctx, b.ID, "staff:test", "")
	must(err)

	for to, want := range map[string]float64{"requested": 2, "declined": 1, "confirmed": 1,
		"cancelled": 1, "expired": 0} {
		if n := count(to); n != want {
			t.Errorf("transitions to %s: %v, want %v", to, n, want)
		}
	}
}
