package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/shared/wire"
)

// start is simulated time zero in most tests: not on a 15-minute grid, not
// in UTC, with a fraction of a second, to catch sloppy time handling.
var start = time.Date(2025, 3, 14, 18, 7, 31, 250_000_000, time.FixedZone("MSK", 3*3600))

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// newVenue returns a venue on a clock standing at start.
func newVenue(tb testing.TB, cfg sim.Config) (*sim.Venue, *clock) {
	tb.Helper()
	c := &clock{t: start}
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	if cfg.Start.IsZero() {
		cfg.Start = start
	}
	v, err := sim.New(cfg)
	if err != nil {
		tb.Fatalf("sim.New: %v", err)
	}
	return v, c
}

func items(tb testing.TB, s agent.State) []agent.Item {
	tb.Helper()
	it, err := s.Items()
	if err != nil {
		tb.Fatalf("Items: %v", err)
	}
	return it
}

// same reports whether two states encode to the same items; it is much
// faster than cmp.Equal, which the loops below would spend seconds in.
func same(tb testing.TB, a, b agent.State) bool {
	tb.Helper()
	return slices.EqualFunc(items(tb, a), items(tb, b), func(x, y agent.Item) bool {
		return x.Entity == y.Entity && x.ID == y.ID && bytes.Equal(x.Data, y.Data)
	})
}

func TestDeterminism(t *testing.T) {
	a, _ := newVenue(t, sim.Config{Seed: 7})
	b, _ := newVenue(t, sim.Config{Seed: 7})
	other, _ := newVenue(t, sim.Config{Seed: 8})

	differs := false
	for n := 0; n <= 400; n++ {
		sa, sb := a.StateAt(n), b.StateAt(n)
		if !same(t, sa, sb) {
			t.Fatalf("StateAt(%d) differs between equal seeds (-a +b):\n%s",
				n, cmp.Diff(sa, sb))
		}
		if !same(t, sa, other.StateAt(n)) {
			differs = true
		}
	}
	if !differs {
		t.Error("seeds 7 and 8 gave equal states at every step")
	}

	// Going back replays the model from the seed; jumping ahead advances it.
	for _, n := range []int{3, 250, 0, 1000, 999, 17} {
		if diff := cmp.Diff(a.StateAt(n), b.StateAt(n)); diff != "" {
			t.Fatalf("StateAt(%d) after jumps differs (-a +b):\n%s", n, diff)
		}
	}
	fresh, _ := newVenue(t, sim.Config{Seed: 7})
	if diff := cmp.Diff(fresh.StateAt(999), a.StateAt(999)); diff != "" {
		t.Fatalf("StateAt(999) depends on earlier calls (-fresh +replayed):\n%s", diff)
	}

	// The caller owns what it gets.
	s := a.StateAt(10)
	s.Tables[0].Position.X = -1
	s.Tables[0].Seats = 99
	if len(s.Orders) > 0 {
		s.Orders[0].TableIDs[0] = "mutated"
	}
	if diff := cmp.Diff(b.StateAt(10), a.StateAt(10)); diff != "" {
		t.Fatalf("mutating a returned state changed the model (-want +got):\n%s", diff)
	}
}

func TestLayout(t *testing.T) {
	v, _ := newVenue(t, sim.Config{Seed: 1, Halls: 3, Tables: 10})
	s := v.StateAt(0)
	if len(s.Halls) != 3 || len(s.Tables) != 10 {
		t.Fatalf("got %d halls, %d tables, want 3, 10", len(s.Halls), len(s.Tables))
	}
	if len(s.Orders) != 0 || len(s.Reservations) != 0 {
		t.Errorf("step 0 has %d orders, %d reservations, want none",
			len(s.Orders), len(s.Reservations))
	}
	perHall := map[string]int{}
	for _, tb := range s.Tables {
		perHall[tb.HallID]++
		if tb.Seats < 2 || tb.Seats > 8 {
			t.Errorf("table %s has %d seats, want 2..8", tb.ID, tb.Seats)
		}
		if tb.Position == nil || tb.Number == "" {
			t.Errorf("table %s: position %v, number %q", tb.ID, tb.Position, tb.Number)
		}
	}
	for _, h := range s.Halls {
		if perHall[h.ID] == 0 || h.Name == "" {
			t.Errorf("hall %s (%q) has %d tables", h.ID, h.Name, perHall[h.ID])
		}
	}
	if s.Tables[6].ID != "t-07" {
		t.Errorf("seventh table id %q, want t-07", s.Tables[6].ID)
	}
}

func TestSnapshotFollowsClock(t *testing.T) {
	ctx := context.Background()
	v, c := newVenue(t, sim.Config{Seed: 3, Step: 2 * time.Second})

	tests := []struct {
		at   time.Time
		step int
	}{
		{start.Add(-time.Hour), 0},
		{start, 0},
		{start.Add(1999 * time.Millisecond), 0},
		{start.Add(2 * time.Second), 1},
		{start.Add(21 * time.Second), 10},
		{start.Add(5 * time.Second), 2}, // the clock may go back
		{start.Add(2 * time.Hour), 3600},
	}
	for _, tt := range tests {
		c.Set(tt.at)
		if got := v.CurrentStep(); got != tt.step {
			t.Errorf("at %v: CurrentStep() = %d, want %d", tt.at.Sub(start), got, tt.step)
		}
		got, err := v.Snapshot(ctx)
		if err != nil {
			t.Fatalf("Snapshot: %v", err)
		}
		if diff := cmp.Diff(v.StateAt(tt.step), got); diff != "" {
			t.Errorf("at %v: Snapshot differs from StateAt(%d) (-want +got):\n%s",
				tt.at.Sub(start), tt.step, diff)
		}
	}

	// Within one step the state does not move.
	c.Set(start.Add(40 * time.Second))
	first, _ := v.Snapshot(ctx)
	c.Set(start.Add(41*time.Second + 900*time.Millisecond))
	second, _ := v.Snapshot(ctx)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two snapshots in step 20 differ (-first +second):\n%s", diff)
	}
	if cmp.Equal(first, v.StateAt(0)) {
		t.Error("the state at step 20 equals step 0")
	}
}

func TestStepsCap(t *testing.T) {
	v, c := newVenue(t, sim.Config{Seed: 5, Steps: 30})
	if got, want := v.ChangesAt(1000), 30*sim.DefaultChangesPerStep; got != want {
		t.Errorf("ChangesAt(1000) = %d, want %d", got, want)
	}
	if diff := cmp.Diff(v.StateAt(30), v.StateAt(100_000)); diff != "" {
		t.Errorf("the model changed after Steps (-30 +100000):\n%s", diff)
	}
	if cmp.Equal(v.StateAt(29), v.StateAt(30)) {
		t.Error("step 30 made no change")
	}

	c.Set(start.Add(24 * time.Hour))
	got, err := v.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if v.CurrentStep() != 30 {
		t.Errorf("CurrentStep() = %d a day later, want 30", v.CurrentStep())
	}
	if diff := cmp.Diff(v.StateAt(30), got); diff != "" {
		t.Errorf("Snapshot after the last step (-want +got):\n%s", diff)
	}
}

// TestStepChanges checks each step's changes: every change is one event (no
// entity changes twice in a step), and what a step creates carries the
// step's time.
func TestStepChanges(t *testing.T) {
	for _, cfg := range []sim.Config{
		{Seed: 11, Step: time.Second},
		{Seed: 12, Tables: 3, Halls: 1, ChangesPerStep: 3, Step: time.Second},
		{Seed: 13, Tables: 40, ChangesPerStep: 40, Step: time.Hour},
		{Seed: 14, Tables: 5, ChangesPerStep: 2, Steps: 100, Step: 7 * time.Minute},
	} {
		v, _ := newVenue(t, cfg)
		prev := keyed(items(t, v.StateAt(0)))
		for n := 1; n <= 400; n++ {
			next := items(t, v.StateAt(n))
			events := agent.Diff(prev, next)
			if got, want := len(events), v.ChangesAt(n)-v.ChangesAt(n-1); got != want {
				t.Fatalf("seed %d step %d: %d events, ChangesAt says %d changes",
					cfg.Seed, n, got, want)
			}
			at := start.Add(time.Duration(n) * cfg.Step).Truncate(time.Second).UTC()
			for _, e := range events {
				if _, seen := prev[e.Key()]; !seen {
					checkNew(t, e, at)
				}
			}
			prev = keyed(next)
		}
		perStep := cfg.ChangesPerStep
		if perStep == 0 {
			perStep = sim.DefaultChangesPerStep
		}
		want := perStep * 400
		if cfg.Steps > 0 {
			want = perStep * cfg.Steps
		}
		if got := v.ChangesAt(400); got != want {
			t.Errorf("seed %d: ChangesAt(400) = %d, want %d", cfg.Seed, got, want)
		}
	}
}

// checkNew checks an entity that appeared in the step at time at.
func checkNew(tb testing.TB, e wire.Event, at time.Time) {
	tb.Helper()
	switch e.Entity {
	case wire.EntityOrder:
		var o wire.Order
		if err := json.Unmarshal(e.Data, &o); err != nil {
			tb.Fatal(err)
		}
		if !o.OpenedAt.Equal(at) {
			tb.Fatalf("order %s opened at %v in the step at %v", o.ID, o.OpenedAt, at)
		}
	case wire.EntityReservation:
		var r wire.Reservation
		if err := json.Unmarshal(e.Data, &r); err != nil {
			tb.Fatal(err)
		}
		if ahead := r.Start.Sub(at); ahead < time.Hour || ahead > 48*time.Hour {
			tb.Fatalf("reservation %s made at %v starts %v ahead", r.ID, at, ahead)
		}
	default:
		tb.Fatalf("the model made %s", e.Key())
	}
}

// keyed turns items into the stored snapshot agent.Diff compares with.
func keyed(items []agent.Item) map[string][]byte {
	m := make(map[string][]byte, len(items))
	for _, it := range items {
		m[wire.Key(it.Entity, it.ID)] = it.Data
	}
	return m
}

// TestModelInvariants runs the model for many steps and checks that the
// state stays bounded and sensible, with short steps (where reservations
// are cancelled long before they start) and long ones (where they expire).
func TestModelInvariants(t *testing.T) {
	tests := []struct {
		cfg   sim.Config
		steps int
	}{
		{sim.Config{Seed: 21, Step: time.Second}, 100_000},
		{
			sim.Config{Seed: 22, Halls: 1, Tables: 8, ChangesPerStep: 8, Step: 15 * time.Minute},
			20_000,
		},
		{sim.Config{Seed: 23, Tables: 60, ChangesPerStep: 2, Step: 2 * time.Hour}, 5_000},
	}
	for _, tt := range tests {
		if testing.Short() {
			tt.steps /= 10
		}
		v, _ := newVenue(t, tt.cfg)
		checkInvariants(t, v, tt.cfg.Step, tt.steps)
	}
}

// checkInvariants checks the model's state every 97 steps up to steps.
func checkInvariants(t *testing.T, v *sim.Venue, step time.Duration, steps int) {
	t.Helper()
	layout := v.StateAt(0)
	tables := len(layout.Tables)
	seats := map[string]int{}
	for _, tb := range layout.Tables {
		seats[tb.ID] = tb.Seats
	}

	stepStart := start.UTC().Truncate(time.Second)
	for n := 0; n <= steps; n += 97 {
		s := v.StateAt(n)
		at := stepStart.Add(time.Duration(n) * step)
		if len(s.Orders) > tables || len(s.Reservations) > 2*tables {
			t.Fatalf("step %d: %d orders, %d reservations for %d tables",
				n, len(s.Orders), len(s.Reservations), tables)
		}
		if diff := cmp.Diff(layout.Tables, s.Tables); diff != "" {
			t.Fatalf("step %d: tables changed:\n%s", n, diff)
		}

		busy := map[string]bool{}
		for _, o := range s.Orders {
			tb := o.TableIDs[0]
			if len(o.TableIDs) != 1 || busy[tb] || seats[tb] == 0 {
				t.Fatalf("step %d: order %s on %v", n, o.ID, o.TableIDs)
			}
			busy[tb] = true
			if o.Guests < 1 || o.Guests > seats[tb] || o.OpenedAt.After(at) {
				t.Fatalf("step %d: order %+v", n, o)
			}
		}

		byTable := map[string][]wire.Reservation{}
		for _, r := range s.Reservations {
			checkReservation(t, n, at, step, r, seats)
			tb := r.TableIDs[0]
			d := time.Duration(r.Duration)
			for _, o := range byTable[tb] {
				oEnd := o.Start.Add(time.Duration(o.Duration))
				if r.Start.Before(oEnd) && o.Start.Before(r.Start.Add(d)) {
					t.Fatalf("step %d: reservations %s and %s overlap on %s", n, o.ID, r.ID, tb)
				}
			}
			byTable[tb] = append(byTable[tb], r)
			if len(byTable[tb]) > 2 {
				t.Fatalf("step %d: %d reservations on %s", n, len(byTable[tb]), tb)
			}
		}
	}
}

// checkReservation checks one model reservation at step n (time at).
func checkReservation(t *testing.T, n int, at time.Time, step time.Duration,
	r wire.Reservation, seats map[string]int) {
	t.Helper()
	d := time.Duration(r.Duration)
	// A reservation leaves in the first step at or after its start, or one
	// step later when more start at once than a step changes.
	lag := 2 * step
	switch tb := r.TableIDs[0]; {
	case len(r.TableIDs) != 1 || seats[tb] == 0:
		t.Fatalf("step %d: reservation %s on %v", n, r.ID, r.TableIDs)
	case r.Start.Unix()%900 != 0 || r.Start.Location() != time.UTC:
		t.Fatalf("step %d: reservation %s starts at %v", n, r.ID, r.Start)
	case r.Start.After(at.Add(48 * time.Hour)):
		t.Fatalf("step %d: reservation %s more than 48h ahead", n, r.ID)
	case !r.Start.After(at.Add(-lag)):
		t.Fatalf("step %d (%v): reservation %s started at %v", n, at, r.ID, r.Start)
	case d < 90*time.Minute || d > 180*time.Minute || d%(15*time.Minute) != 0:
		t.Fatalf("step %d: reservation %s lasts %v", n, r.ID, d)
	case r.Guests < 1 || r.Guests > seats[tb]:
		t.Fatalf("step %d: reservation %s for %d at %d seats", n, r.ID, r.Guests, seats[tb])
	case r.Name == "" || !strings.HasPrefix(r.Phone, "+79") || len(r.Phone) != 12:
		t.Fatalf("step %d: reservation %s guest %q %q", n, r.ID, r.Name, r.Phone)
	case r.Status != wire.ReservationConfirmed || r.BookingID != "":
		t.Fatalf("step %d: reservation %+v", n, r)
	}
}

func TestTimesAreUTCSeconds(t *testing.T) {
	v, _ := newVenue(t, sim.Config{Seed: 2, Step: 1500 * time.Millisecond})
	s := v.StateAt(7)
	// Step 7 is 10.5s after a start with .25s: 18:07:41.75 MSK.
	want := time.Date(2025, 3, 14, 15, 7, 41, 0, time.UTC)
	found := false
	for _, o := range s.Orders {
		if o.OpenedAt.Location() != time.UTC || o.OpenedAt.Nanosecond() != 0 {
			t.Errorf("order %s opened at %v", o.ID, o.OpenedAt)
		}
		if o.OpenedAt.Equal(want) {
			found = true
		}
	}
	if !found {
		t.Errorf("no order opened at step 7 (%v): %+v", want, s.Orders)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  sim.Config
		want []string // substrings of the error; none means valid
	}{
		{"zero", sim.Config{}, nil},
		{"one table", sim.Config{Halls: 1, Tables: 1, ChangesPerStep: 1}, nil},
		{"negative halls", sim.Config{Halls: -1}, []string{"Halls is -1"}},
		{"negative tables", sim.Config{Tables: -2}, []string{"Tables is -2"}},
		{"too many tables", sim.Config{Tables: sim.MaxTables + 1}, []string{"Tables is 10001"}},
		{"negative step", sim.Config{Step: -time.Second}, []string{"Step is -1s"}},
		{"negative changes", sim.Config{ChangesPerStep: -1}, []string{"ChangesPerStep is -1"}},
		{"negative steps", sim.Config{Steps: -5}, []string{"Steps is -5"}},
		{"halls without tables", sim.Config{Halls: 3, Tables: 2}, []string{"Halls is 3"}},
		{"changes over tables", sim.Config{Tables: 4}, []string{"ChangesPerStep is 5"}},
		{
			"every problem at once",
			sim.Config{Halls: -1, Steps: -1, Step: -1},
			[]string{"Halls", "Steps", "Step is"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := sim.New(tt.cfg)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if v.Kind() != "sim" {
					t.Errorf("Kind() = %q", v.Kind())
				}
				return
			}
			if err == nil {
				t.Fatalf("New accepted %+v", tt.cfg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	before := time.Now()
	v, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := v.StateAt(0)
	if len(s.Halls) != sim.DefaultHalls || len(s.Tables) != sim.DefaultTables {
		t.Errorf("got %d halls, %d tables", len(s.Halls), len(s.Tables))
	}
	if v.ChangesAt(3) != 3*sim.DefaultChangesPerStep {
		t.Errorf("ChangesAt(3) = %d", v.ChangesAt(3))
	}
	// Start defaults to now, so a fresh venue is at step 0 or 1.
	if n := v.CurrentStep(); n > int(time.Since(before)/time.Second)+1 {
		t.Errorf("CurrentStep() = %d right after New", n)
	}
}

func TestSetDown(t *testing.T) {
	ctx := context.Background()
	v, _ := newVenue(t, sim.Config{Seed: 4})
	errDown := errors.New("rms: connection refused")

	v.SetDown(errDown)
	if _, err := v.Snapshot(ctx); !errors.Is(err, errDown) {
		t.Errorf("Snapshot while down: %v", err)
	}
	if _, err := v.CreateReservation(ctx, request("b-1", "t-01")); !errors.Is(err, errDown) {
		t.Errorf("CreateReservation while down: %v", err)
	}
	err := v.CancelReservation(ctx, wire.CancelRequest{BookingID: "b-1"})
	if !errors.Is(err, errDown) {
		t.Errorf("CancelReservation while down: %v", err)
	}

	v.SetDown(nil)
	if _, err := v.Snapshot(ctx); err != nil {
		t.Errorf("Snapshot after SetDown(nil): %v", err)
	}
	if _, err := v.CreateReservation(ctx, request("b-1", "t-01")); err != nil {
		t.Errorf("CreateReservation after SetDown(nil): %v", err)
	}
}

func TestContextDone(t *testing.T) {
	v, _ := newVenue(t, sim.Config{Seed: 4})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Snapshot(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Snapshot: %v", err)
	}
	_, err := v.CreateReservation(ctx, request("b-1", "t-01"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("CreateReservation: %v", err)
	}
	err = v.CancelReservation(ctx, wire.CancelRequest{BookingID: "b-1"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("CancelReservation: %v", err)
	}
}

func BenchmarkAdvance(b *testing.B) {
	const steps = 100_000
	for b.Loop() {
		v, _ := newVenue(b, sim.Config{Seed: 1})
		v.StateAt(steps)
	}
	perRun := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perRun.Milliseconds()), "ms/100k-steps")
	b.ReportMetric(float64(perRun.Nanoseconds())/(steps*sim.DefaultChangesPerStep), "ns/change")
}

func BenchmarkSnapshot(b *testing.B) {
	ctx := context.Background()
	v, c := newVenue(b, sim.Config{Seed: 1})
	n := 0
	for b.Loop() {
		n++
		c.Set(start.Add(time.Duration(n) * time.Second))
		if _, err := v.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/snapshot")
}
