package booking_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
)

func TestAssign(t *testing.T) {
	v := cafe(t, "Europe/Moscow")
	v.Tables = []hub.Table{
		table("a", "10", 4), table("b", "2", 4), table("c", "2", 4), table("d", "1", 2),
		table("e", "3", 6), table("f", "7", 8), table("g", "8", 2), table("h", "9", 2),
		table("i", "Bar", 2),
	}
	v.Tables[5].Online = false // the 8-top is not booked online
	v.Groups = []hub.TableGroup{
		{ID: "gh", TableIDs: []string{"g", "h"}},                    // 4 seats
		{ID: "bc", TableIDs: []string{"b", "c"}},                    // 8 seats
		{ID: "abc", TableIDs: []string{"a", "b", "c"}},              // 12 seats
		{ID: "ae", TableIDs: []string{"a", "e"}},                    // 10 seats
		{ID: "ef", TableIDs: []string{"e", "f"}, MaxParty: 14},      // f offline
		{ID: "dgh", TableIDs: []string{"d", "g", "h"}, MinParty: 5}, // 6 seats
	}
	start := at(v.Zone, 2026, 6, 10, 19, 0)
	end := start.Add(2 * time.Hour)
	busy := func(ids ...string) []hub.Block {
		var out []hub.Block
		for _, id := range ids {
			out = append(out, hub.Block{TableID: id, Start: start.Add(-time.Hour),
				End: start.Add(time.Minute), Kind: hub.BlockReservation, Ref: "r-" + id})
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		party  int
		blocks []hub.Block
		tables []string
		group  string
	}{
		{"a 2-top for two", 2, nil, []string{"d"}, ""},
		{"2-tops by number", 2, busy("d"), []string{"g"}, ""},
		{"numbers before names", 2, busy("d", "g", "h"), []string{"i"}, ""},
		{"then a 4-top", 2, busy("d", "g", "h", "i"), []string{"b"}, ""},
		{"4-tops: number 2 before 10, then id", 4, nil, []string{"b"}, ""},
		{"the other number 2", 4, busy("b"), []string{"c"}, ""},
		{"then number 10", 4, busy("b", "c"), []string{"a"}, ""},
		{"then the 6-top", 4, busy("a", "b", "c"), []string{"e"}, ""},
		{"then the group with fewest seats left", 4, busy("a", "b", "c", "e", "d"),
			[]string{"g", "h"}, "gh"},
		{"a party of seven: fewest left over", 7, nil, []string{"b", "c"}, "bc"},
		{"ties on seats left: fewer tables", 6, busy("e"), []string{"d", "g", "h"}, "dgh"},
		{"ten", 10, nil, []string{"a", "e"}, "ae"},
		{"ten, ae busy", 10, busy("e"), []string{"a", "b", "c"}, "abc"},
		{"none for thirteen", 13, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 3 { // deterministic: same answer each time and in any order
				tables, group, ok := booking.Assign(v, tc.blocks, tc.party, start, end)
				if ok != (tc.tables != nil) {
					t.Fatalf("ok = %v", ok)
				}
				if diff := cmp.Diff(tables, tc.tables); diff != "" || group != tc.group {
					t.Fatalf("group %q, want %q; tables (-got +want):\n%s", group, tc.group, diff)
				}
				v.Tables = append(v.Tables[1:], v.Tables[0])
				v.Groups = append(v.Groups[1:], v.Groups[0])
			}
		})
	}
}

func TestAlternatives(t *testing.T) {
	v := cafe(t, "Asia/Vladivostok")
	v.Tables = v.Tables[2:3] // one 4-top
	v.Groups = nil
	v.Policy.Buffer = 0
	v.Policy.SlotStep = minutes(60)
	v.Policy.Horizon = minutes(4*24*60 + 4*60)
	now := at(v.Zone, 2026, 6, 10, 9, 0)
	day := func(d, h int) time.Time { return at(v.Zone, 2026, 6, d, h, 0) }
	book := booking.Book{Blocks: []hub.Block{
		// June 10: free 12-13 and 21 only; the refused 19:00 is taken.
		{TableID: "t3", Start: day(10, 14), End: day(10, 21), Kind: hub.BlockReservation},
		// June 11: free from 19:00.
		{TableID: "t3", Start: day(11, 10), End: day(11, 19), Kind: hub.BlockReservation},
	}}
	got := booking.Alternatives(v, book, booking.Query{Party: 4, Now: now}, day(10, 19), 6)
	var local []string
	for _, s := range got {
		local = append(local, s.Start.In(v.Zone).Format("02 15:04"))
	}
	want := []string{"10 21:00", "10 12:00", "11 19:00", "11 20:00", "11 21:00", "12 12:00"}
	if diff := cmp.Diff(local, want); diff != "" {
		t.Errorf("alternatives (-got +want):\n%s", diff)
	}
	// The horizon ends on June 14 at 13:00.
	got = booking.Alternatives(v, book, booking.Query{Party: 4, Now: now}, day(13, 23), 100)
	if n := len(got); n != 10+2 {
		t.Errorf("%d alternatives to the end of the horizon, want 12 (10 on the 13th, 2 "+
			"on the 14th)", n)
	}
	if got := booking.Alternatives(v, book, booking.Query{Party: 40, Now: now}, day(10, 19),
		3); got != nil {
		t.Errorf("a party no table takes: %v", got)
	}
}
