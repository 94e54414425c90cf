package agent_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

var opened = time.Date(2025, 3, 14, 17, 0, 0, 0, time.UTC)

// venue is a small state with one entity of every kind and more, each slice
// out of id order.
func venue() agent.State {
	return agent.State{
		Halls: []wire.Hall{{ID: "h2", Name: "Веранда"}, {ID: "h1", Name: "Основной зал"}},
		Tables: []wire.Table{
			{ID: "t2", HallID: "h1", Number: "2", Seats: 4},
			{ID: "t1", HallID: "h1", Number: "1", Seats: 2, Position: &wire.Position{X: 1, Y: 2}},
			{ID: "t3", HallID: "h2", Number: "3", Seats: 6},
		},
		Orders: []wire.Order{
			{ID: "o9", TableIDs: []string{"t3", "t2"}, OpenedAt: opened, Guests: 7},
			{ID: "o1", TableIDs: []string{"t1"}, OpenedAt: opened, Guests: 2},
		},
		Reservations: []wire.Reservation{
			{
				ID: "r2", TableIDs: []string{"t2"}, Start: opened.Add(3 * time.Hour),
				Duration: wire.Duration(2 * time.Hour), Guests: 3,
				Status: wire.ReservationConfirmed,
			},
			{
				ID: "r1", TableIDs: []string{"t3", "t1"}, Start: opened.Add(time.Hour),
				Duration: wire.Duration(90 * time.Minute), Guests: 5,
				Name: "Анна", Phone: "+79990001122", Status: wire.ReservationNew,
				BookingID: "bk-1",
			},
		},
	}
}

// mustItems returns s.Items() and fails the test on an error.
func mustItems(tb testing.TB, s agent.State) []agent.Item {
	tb.Helper()
	items, err := s.Items()
	if err != nil {
		tb.Fatalf("Items: %v", err)
	}
	return items
}

// keyed turns items into a stored snapshot, as agent.Diff takes it.
func keyed(items []agent.Item) map[string][]byte {
	m := make(map[string][]byte, len(items))
	for _, it := range items {
		m[wire.Key(it.Entity, it.ID)] = it.Data
	}
	return m
}

// keys lists the items' keys in order.
func keys(items []agent.Item) []string {
	var ks []string
	for _, it := range items {
		ks = append(ks, wire.Key(it.Entity, it.ID))
	}
	return ks
}

func TestItemsOrder(t *testing.T) {
	tests := []struct {
		name  string
		state agent.State
		want  []string
	}{
		{"empty", agent.State{}, nil},
		{"one hall", agent.State{Halls: []wire.Hall{{ID: "h1"}}}, []string{"hall/h1"}},
		{
			"kinds in dependency order, ids sorted",
			venue(),
			[]string{
				"hall/h1", "hall/h2", "table/t1", "table/t2", "table/t3",
				"order/o1", "order/o9", "reservation/r1", "reservation/r2",
			},
		},
		{
			"ids sort as strings",
			agent.State{Tables: []wire.Table{{ID: "10"}, {ID: "9"}, {ID: "1"}}},
			[]string{"table/1", "table/10", "table/9"},
		},
		{
			"one id in several kinds",
			agent.State{
				Reservations: []wire.Reservation{{ID: "7"}},
				Halls:        []wire.Hall{{ID: "7"}},
				Orders:       []wire.Order{{ID: "7"}},
			},
			[]string{"hall/7", "order/7", "reservation/7"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, keys(mustItems(t, tt.state))); diff != "" {
				t.Errorf("item keys (-want +got):\n%s", diff)
			}
		})
	}
}

// TestItemsData checks that each item holds its entity, table ids sorted,
// and that the state itself is left as it was.
func TestItemsData(t *testing.T) {
	s := venue()
	items := mustItems(t, s)
	byKey := keyed(items)

	var o9 wire.Order
	if err := json.Unmarshal(byKey["order/o9"], &o9); err != nil {
		t.Fatalf("decode order/o9: %v", err)
	}
	want := s.Orders[0]
	want.TableIDs = []string{"t2", "t3"}
	if diff := cmp.Diff(want, o9); diff != "" {
		t.Errorf("order/o9 (-want +got):\n%s", diff)
	}

	var r1 wire.Reservation
	if err := json.Unmarshal(byKey["reservation/r1"], &r1); err != nil {
		t.Fatalf("decode reservation/r1: %v", err)
	}
	wantR := s.Reservations[1]
	wantR.TableIDs = []string{"t1", "t3"}
	if diff := cmp.Diff(wantR, r1); diff != "" {
		t.Errorf("reservation/r1 (-want +got):\n%s", diff)
	}

	var t1 wire.Table
	if err := json.Unmarshal(byKey["table/t1"], &t1); err != nil {
		t.Fatalf("decode table/t1: %v", err)
	}
	if diff := cmp.Diff(s.Tables[1], t1); diff != "" {
		t.Errorf("table/t1 (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff(venue(), s); diff != "" {
		t.Errorf("Items changed the state (-before +after):\n%s", diff)
	}
}

// TestItemsDeterministic checks that equal states give equal bytes however
// their slices and table id lists are ordered.
func TestItemsDeterministic(t *testing.T) {
	a := venue()
	b := venue()
	b.Halls[0], b.Halls[1] = b.Halls[1], b.Halls[0]
	b.Tables[0], b.Tables[2] = b.Tables[2], b.Tables[0]
	b.Orders[0].TableIDs = []string{"t2", "t3"}
	b.Orders[0], b.Orders[1] = b.Orders[1], b.Orders[0]
	b.Reservations[1].TableIDs = []string{"t1", "t3"}

	ia, ib := mustItems(t, a), mustItems(t, b)
	if diff := cmp.Diff(ia, ib); diff != "" {
		t.Errorf("equal states, different items (-a +b):\n%s", diff)
	}
	if events := agent.Diff(keyed(ia), ib); len(events) != 0 {
		t.Errorf("Diff of equal states: %+v", events)
	}

	// And a real difference shows.
	b.Reservations[0].Guests++
	if cmp.Equal(ia, mustItems(t, b)) {
		t.Error("a changed guest count gave equal items")
	}
}

func TestItemsErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*agent.State)
		want string
	}{
		{"duplicate hall", func(s *agent.State) {
			s.Halls = append(s.Halls, wire.Hall{ID: "h1", Name: "again"})
		}, "hall h1 appears twice"},
		{"duplicate table", func(s *agent.State) {
			s.Tables = append(s.Tables, s.Tables[0])
		}, "table t2 appears twice"},
		{"duplicate order", func(s *agent.State) {
			s.Orders = append(s.Orders, wire.Order{ID: "o1", Guests: 9})
		}, "order o1 appears twice"},
		{"duplicate reservation", func(s *agent.State) {
			s.Reservations = append(s.Reservations, wire.Reservation{ID: "r2"})
		}, "reservation r2 appears twice"},
		{"hall without id", func(s *agent.State) {
			s.Halls = append(s.Halls, wire.Hall{Name: "Бар"})
		}, "hall without id"},
		{"table without id", func(s *agent.State) {
			s.Tables = append(s.Tables, wire.Table{Number: "4"})
		}, "table without id"},
		{"order without id", func(s *agent.State) {
			s.Orders = append(s.Orders, wire.Order{Guests: 1})
		}, "order without id"},
		{"reservation without id", func(s *agent.State) {
			s.Reservations = append(s.Reservations, wire.Reservation{Guests: 1})
		}, "reservation without id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := venue()
			tt.edit(&s)
			items, err := s.Items()
			if err == nil {
				t.Fatalf("Items accepted the state: %v", keys(items))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}
