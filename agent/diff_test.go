package agent_test

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/shared/wire"
)

// change is an event without its data: op and key.
type change struct {
	Op  wire.Op
	Key string
}

func changes(events []wire.Event) []change {
	var cs []change
	for _, e := range events {
		cs = append(cs, change{e.Op, e.Key()})
	}
	return cs
}

func up(key string) change  { return change{wire.OpUpsert, key} }
func del(key string) change { return change{wire.OpDelete, key} }

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		prev agent.State
		edit func(*agent.State) // makes next from a copy of prev
		want []change
	}{
		{"no change", venue(), func(*agent.State) {}, nil},
		{"both empty", agent.State{}, func(*agent.State) {}, nil},
		{
			"everything new, in dependency order",
			agent.State{},
			func(s *agent.State) { *s = venue() },
			[]change{
				up("hall/h1"), up("hall/h2"), up("table/t1"), up("table/t2"), up("table/t3"),
				up("order/o1"), up("order/o9"), up("reservation/r1"), up("reservation/r2"),
			},
		},
		{
			"everything gone, in reverse order",
			venue(),
			func(s *agent.State) { *s = agent.State{} },
			[]change{
				del("reservation/r1"), del("reservation/r2"), del("order/o1"), del("order/o9"),
				del("table/t1"), del("table/t2"), del("table/t3"), del("hall/h1"), del("hall/h2"),
			},
		},
		{
			"one field changed",
			venue(),
			func(s *agent.State) { s.Orders[1].Guests = 3 },
			[]change{up("order/o1")},
		},
		{
			"table id order is no change",
			venue(),
			func(s *agent.State) {
				slices.Reverse(s.Orders[0].TableIDs)
				slices.Reverse(s.Reservations[1].TableIDs)
				slices.Reverse(s.Tables)
			},
			nil,
		},
		{
			"add, change and delete at once",
			venue(),
			func(s *agent.State) {
				s.Reservations = s.Reservations[1:] // r1 stays
				s.Reservations[0].Status = wire.ReservationSeated
				s.Orders = append(s.Orders[:1], wire.Order{ID: "o5", TableIDs: []string{"t1"}})
				s.Tables = s.Tables[:2] // t3 goes
				s.Tables[1].Seats = 3
				s.Halls = append(s.Halls, wire.Hall{ID: "h0"})
			},
			[]change{
				up("hall/h0"), up("table/t1"), up("order/o5"), up("reservation/r1"),
				del("reservation/r2"), del("order/o1"), del("table/t3"),
			},
		},
		{
			"an entity replaced under a new id",
			venue(),
			func(s *agent.State) { s.Halls[0].ID = "h3" },
			[]change{up("hall/h3"), del("hall/h2")},
		},
		{
			"an id moves between kinds",
			agent.State{Tables: []wire.Table{{ID: "x"}}},
			func(s *agent.State) { *s = agent.State{Halls: []wire.Hall{{ID: "x"}}} },
			[]change{up("hall/x"), del("table/x")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := clone(tt.prev)
			tt.edit(&next)
			prev := keyed(mustItems(t, tt.prev))
			before := maps.Clone(prev)
			nextItems := mustItems(t, next)

			events := agent.Diff(prev, nextItems)
			if diff := cmp.Diff(tt.want, changes(events)); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
			checkEvents(t, events, keyed(nextItems))
			if diff := cmp.Diff(before, prev); diff != "" {
				t.Errorf("Diff changed prev (-before +after):\n%s", diff)
			}
		})
	}
}

// clone deep-copies the slices of s that the test cases edit.
func clone(s agent.State) agent.State {
	c := agent.State{
		Halls:        slices.Clone(s.Halls),
		Tables:       slices.Clone(s.Tables),
		Orders:       slices.Clone(s.Orders),
		Reservations: slices.Clone(s.Reservations),
	}
	for i := range c.Orders {
		c.Orders[i].TableIDs = slices.Clone(c.Orders[i].TableIDs)
	}
	for i := range c.Reservations {
		c.Reservations[i].TableIDs = slices.Clone(c.Reservations[i].TableIDs)
	}
	return c
}

// checkEvents checks what every Diff result must satisfy: upserts carry the
// next state's bytes, deletes carry none, no sequence numbers or times are
// set, and no key appears twice.
func checkEvents(tb testing.TB, events []wire.Event, next map[string][]byte) {
	tb.Helper()
	seen := map[string]bool{}
	for _, e := range events {
		k := e.Key()
		if seen[k] {
			tb.Errorf("%s appears twice", k)
		}
		seen[k] = true
		if e.Seq != 0 || !e.At.IsZero() {
			tb.Errorf("%s: seq %d, at %v, want both zero", k, e.Seq, e.At)
		}
		switch e.Op {
		case wire.OpUpsert:
			if string(e.Data) != string(next[k]) {
				tb.Errorf("upsert %s: data %s, want %s", k, e.Data, next[k])
			}
		case wire.OpDelete:
			if len(e.Data) != 0 {
				tb.Errorf("delete %s carries data %s", k, e.Data)
			}
		default:
			tb.Errorf("%s: op %q", k, e.Op)
		}
	}
}

// checkOrder checks that upserts come first in dependency order and deletes
// after them in reverse dependency order.
func checkOrder(tb testing.TB, events []wire.Event) {
	tb.Helper()
	rank := func(e wire.Event) int { return slices.Index(wire.Entities, e.Entity) }
	deleting := false
	for i, e := range events {
		if e.Op == wire.OpDelete {
			deleting = true
		} else if deleting {
			tb.Fatalf("event %d: upsert %s after a delete", i, e.Key())
		}
		if i == 0 || e.Op != events[i-1].Op {
			continue
		}
		prev := events[i-1]
		if e.Op == wire.OpUpsert && rank(e) < rank(prev) {
			tb.Fatalf("event %d: upsert %s after upsert %s", i, e.Key(), prev.Key())
		}
		if e.Op == wire.OpDelete && rank(e) > rank(prev) {
			tb.Fatalf("event %d: delete %s after delete %s", i, e.Key(), prev.Key())
		}
	}
}

// apply is what the hub does with events: it upserts and deletes.
func apply(prev map[string][]byte, events []wire.Event) map[string][]byte {
	m := maps.Clone(prev)
	for _, e := range events {
		switch e.Op {
		case wire.OpUpsert:
			m[e.Key()] = e.Data
		case wire.OpDelete:
			delete(m, e.Key())
		}
	}
	return m
}

// TestDiffApplies is a property test over random simulated venues: applying
// Diff(prev, next) to prev gives next, for states a step apart, many steps
// apart, going back in time, and with slices shuffled.
func TestDiffApplies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for seed := range int64(8) {
		v, err := sim.New(sim.Config{
			Seed:           seed,
			Halls:          1 + int(seed%3),
			Tables:         5 + int(seed)*4,
			ChangesPerStep: 1 + int(seed)%5,
			Start:          opened,
			Now:            func() time.Time { return opened },
		})
		if err != nil {
			t.Fatal(err)
		}

		prevState := agent.State{} // the agent's first diff is against nothing
		n := 0
		for range 150 {
			switch rng.IntN(4) {
			case 0:
				n += 1 + rng.IntN(500)
			case 1:
				n = max(0, n-rng.IntN(50))
			default:
				n++
			}
			nextState := v.StateAt(n)
			shuffle(rng, &nextState)

			prev, next := keyed(mustItems(t, prevState)), mustItems(t, nextState)
			events := agent.Diff(prev, next)
			// maps.EqualFunc first: cmp.Diff on bytes would take seconds.
			want, got := keyed(next), apply(prev, events)
			if !maps.EqualFunc(want, got, bytes.Equal) {
				t.Fatalf("seed %d step %d: prev plus Diff is not next (-want +got):\n%s",
					seed, n, cmp.Diff(text(want), text(got)))
			}
			checkEvents(t, events, keyed(next))
			checkOrder(t, events)
			if again := agent.Diff(keyed(next), next); len(again) != 0 {
				t.Fatalf("seed %d step %d: Diff(next, next) = %v", seed, n, changes(again))
			}
			prevState = nextState
		}
	}
}

// text makes a snapshot readable in a diff.
func text(m map[string][]byte) map[string]string {
	t := make(map[string]string, len(m))
	for k, v := range m {
		t[k] = string(v)
	}
	return t
}

// shuffle reorders every slice of s; Items must not care.
func shuffle(rng *rand.Rand, s *agent.State) {
	rng.Shuffle(len(s.Halls), func(i, j int) {
		s.Halls[i], s.Halls[j] = s.Halls[j], s.Halls[i]
	})
	rng.Shuffle(len(s.Tables), func(i, j int) {
		s.Tables[i], s.Tables[j] = s.Tables[j], s.Tables[i]
	})
	rng.Shuffle(len(s.Orders), func(i, j int) {
		s.Orders[i], s.Orders[j] = s.Orders[j], s.Orders[i]
	})
	rng.Shuffle(len(s.Reservations), func(i, j int) {
		s.Reservations[i], s.Reservations[j] = s.Reservations[j], s.Reservations[i]
	})
}

func TestSplitKey(t *testing.T) {
	tests := []struct {
		key  string
		kind wire.Entity
		id   string
		ok   bool
	}{
		{"table/42", wire.EntityTable, "42", true},
		{"reservation/a/b", wire.EntityReservation, "a/b", true},
		{wire.Key(wire.EntityOrder, "x/y/z"), wire.EntityOrder, "x/y/z", true},
		{"hall/", wire.EntityHall, "", true},
		{"/42", "", "", false},
		{"table", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		kind, id, ok := agent.SplitKey(tt.key)
		if kind != tt.kind || id != tt.id || ok != tt.ok {
			t.Errorf("SplitKey(%q) = %q, %q, %v, want %q, %q, %v",
				tt.key, kind, id, ok, tt.kind, tt.id, tt.ok)
		}
	}
}

// TestDiffSkipsMalformedKeys pins that a stored key without a kind is left
// alone rather than turned into a delete no hub could apply.
func TestDiffSkipsMalformedKeys(t *testing.T) {
	prev := map[string][]byte{"garbage": []byte("{}"), "hall/h1": []byte(`{"id":"h1"}`)}
	events := agent.Diff(prev, nil)
	if diff := cmp.Diff([]change{del("hall/h1")}, changes(events)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
}
