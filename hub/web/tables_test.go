package web_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

func TestTables(t *testing.T) {
	a := setupAPI(t)
	var got []hub.Table
	a.call(t, "GET", "/api/v1/venues/ven_1/tables", keyPushkin, nil, http.StatusOK, &got)
	table := func(id string, seats int, st hub.TableSettings) hub.Table {
		return hub.Table{VenueID: "ven_1", Table: wire.Table{ID: id, HallID: "h-1", Number: id,
			Seats: seats}, TableSettings: st}
	}
	want := []hub.Table{table("t-1", 4, hub.DefaultTableSettings),
		table("t-2", 2, hub.DefaultTableSettings)}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("tables (-got +want):\n%s", diff)
	}

	var st hub.TableSettings
	set := web.TableSettingsRequest{MinParty: 2, MaxParty: 5, Online: new(false)}
	a.call(t, "PUT", "/api/v1/venues/ven_1/tables/t-1/settings", keyPushkin, set,
		http.StatusOK, &st)
	wantSt := hub.TableSettings{MinParty: 2, MaxParty: 5, Online: false}
	if diff := cmp.Diff(st, wantSt); diff != "" {
		t.Errorf("settings (-got +want):\n%s", diff)
	}
	a.call(t, "GET", "/api/v1/venues/ven_1/tables", keyChain, nil, http.StatusOK, &got)
	want[0].TableSettings = wantSt
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("tables after PUT (-got +want):\n%s", diff)
	}

	path := "/api/v1/venues/ven_1/tables/t-2/settings"
	for _, tc := range []struct {
		name  string
		req   any
		field string
		bad   bool // the document refuses it too
	}{
		{"min over max", web.TableSettingsRequest{MinParty: 4, MaxParty: 3, Online: new(true)},
			"min_party", false},
		{"min over seats", web.TableSettingsRequest{MinParty: 3, Online: new(true)},
			"min_party", false},
		{"negative min", map[string]any{"min_party": -1, "online": true}, "min_party", true},
		{"negative max", map[string]any{"max_party": -2, "online": true}, "max_party", true},
		{"no online", map[string]any{"min_party": 1}, "online", true},
		{"misspelt", map[string]any{"onlin": true, "online": true}, "onlin", true},
		{"max as text", map[string]any{"max_party": "4", "online": true}, "max_party", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.bad {
				hdr = []string{badHeader, "1"}
			}
			var e apiError
			a.call(t, "PUT", path, keyPushkin, tc.req, http.StatusBadRequest, &e, hdr...)
			if e.Field != tc.field || e.Error == "" {
				t.Errorf("error = %+v, want field %q", e, tc.field)
			}
		})
	}
	a.call(t, "GET", "/api/v1/venues/ven_1/tables", keyPushkin, nil, http.StatusOK, &got)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("tables after refused PUTs (-got +want):\n%s", diff)
	}

	on := web.TableSettingsRequest{Online: new(true)}
	var e apiError
	a.call(t, "PUT", "/api/v1/venues/ven_1/tables/t-9/settings", keyPushkin, on,
		http.StatusNotFound, &e)
	if e.Field != "table" {
		t.Errorf("unknown table: %+v", e)
	}
	a.call(t, "PUT", "/api/v1/venues/ven_x/tables/t-1/settings", keyPushkin, on,
		http.StatusNotFound, nil)
	a.call(t, "GET", "/api/v1/venues/ven_x/tables", keyPushkin, nil, http.StatusNotFound, nil)
}

func TestGroups(t *testing.T) {
	a := setupAPI(t)
	var list []hub.TableGroup
	a.call(t, "GET", "/api/v1/venues/ven_1/groups", keyPushkin, nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("groups before any: %+v", list)
	}
	var g hub.TableGroup
	a.call(t, "PUT", "/api/v1/venues/ven_1/groups/g-1", keyPushkin, web.TableGroupRequest{
		TableIDs: []string{"t-1", "t-2"}, MinParty: 5, MaxParty: 7}, http.StatusOK, &g)
	want := hub.TableGroup{ID: "g-1", VenueID: "ven_1", TableIDs: []string{"t-1", "t-2"},
		MinParty: 5, MaxParty: 7}
	if diff := cmp.Diff(g, want); diff != "" {
		t.Errorf("PUT group (-got +want):\n%s", diff)
	}
	a.call(t, "GET", "/api/v1/venues/ven_1/groups", keyPushkin, nil, http.StatusOK, &list)
	if diff := cmp.Diff(list, []hub.TableGroup{want}); diff != "" {
		t.Errorf("groups (-got +want):\n%s", diff)
	}
	// The group seats a party of 6 that no table seats alone.
	var av web.AvailabilityResponse
	a.call(t, "GET", "/api/v1/venues/ven_1/availability?party=6&date="+a.tomorrow(),
		keyPushkin, nil, http.StatusOK, &av)
	if len(av.Slots) == 0 || !slices.Equal(av.Slots[0].TableIDs, []string{"t-1", "t-2"}) {
		t.Errorf("party of 6 with the group: %d slots, first %+v", len(av.Slots), av.Slots)
	}

	for _, tc := range []struct {
		name  string
		req   any
		field string
		bad   bool // the document refuses it too
	}{
		{"one table", web.TableGroupRequest{TableIDs: []string{"t-1"}}, "table_ids", true},
		{"no tables", map[string]any{"min_party": 2}, "table_ids", true},
		{"twice", web.TableGroupRequest{TableIDs: []string{"t-1", "t-1"}}, "table_ids", true},
		{"unknown table", web.TableGroupRequest{TableIDs: []string{"t-1", "t-9"}}, "table_ids",
			false},
		{"min over max", web.TableGroupRequest{TableIDs: []string{"t-1", "t-2"}, MinParty: 6,
			MaxParty: 5}, "min_party", false},
		{"min over seats", web.TableGroupRequest{TableIDs: []string{"t-1", "t-2"},
			MinParty: 7}, "min_party", false},
		{"negative max", map[string]any{"table_ids": []string{"t-1", "t-2"}, "max_party": -1},
			"max_party", true},
		{"misspelt", map[string]any{"table_ids": []string{"t-1", "t-2"}, "min": 1}, "min",
			true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.bad {
				hdr = []string{badHeader, "1"}
			}
			var e apiError
			a.call(t, "PUT", "/api/v1/venues/ven_1/groups/g-2", keyPushkin, tc.req,
				http.StatusBadRequest, &e, hdr...)
			if e.Field != tc.field || e.Error == "" {
				t.Errorf("error = %+v, want field %q", e, tc.field)
			}
		})
	}
	a.call(t, "GET", "/api/v1/venues/ven_1/groups", keyPushkin, nil, http.StatusOK, &list)
	if len(list) != 1 {
		t.Errorf("%d groups after refused PUTs, want 1", len(list))
	}

	a.call(t, "DELETE", "/api/v1/venues/ven_1/groups/g-1", keyPushkin, nil,
		http.StatusNoContent, nil)
	a.call(t, "DELETE", "/api/v1/venues/ven_1/groups/g-1", keyPushkin, nil,
		http.StatusNoContent, nil)
	a.call(t, "GET", "/api/v1/venues/ven_1/groups", keyPushkin, nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("groups after DELETE: %+v", list)
	}
	var e apiError
	a.call(t, "GET", "/api/v1/venues/ven_1/availability?party=6&date="+a.tomorrow(),
		keyPushkin, nil, http.StatusBadRequest, &e)
	if e.Field != "party" {
		t.Errorf("party of 6 without the group: %+v", e)
	}
	a.call(t, "PUT", "/api/v1/venues/ven_x/groups/g-1", keyPushkin,
		web.TableGroupRequest{TableIDs: []string{"t-1", "t-2"}}, http.StatusNotFound, nil)
	a.call(t, "DELETE", "/api/v1/venues/ven_x/groups/g-1", keyPushkin, nil,
		http.StatusNotFound, nil)
	a.call(t, "GET", "/api/v1/venues/ven_x/groups", keyPushkin, nil, http.StatusNotFound, nil)
}

func TestTablesAuth(t *testing.T) {
	a := setupAPI(t)
	on := web.TableSettingsRequest{Online: new(true)}
	grp := web.TableGroupRequest{TableIDs: []string{"t-1", "t-2"}}
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/venues/ven_1/tables", nil},
		{"PUT", "/api/v1/venues/ven_1/tables/t-1/settings", on},
		{"GET", "/api/v1/venues/ven_1/groups", nil},
		{"PUT", "/api/v1/venues/ven_1/groups/g-1", grp},
		{"DELETE", "/api/v1/venues/ven_1/groups/g-1", nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			for _, k := range []struct {
				key  string
				want int
			}{
				{"", http.StatusUnauthorized}, {"sk_nope", http.StatusUnauthorized},
				{keyRevoked, http.StatusUnauthorized}, {keyOther, http.StatusForbidden},
			} {
				var e apiError
				a.call(t, tc.method, tc.path, k.key, tc.body, k.want, &e)
				if e.Error == "" {
					t.Errorf("key %q: %d without words", k.key, k.want)
				}
			}
		})
	}
	// Nothing changed.
	var tables []hub.Table
	a.call(t, "GET", "/api/v1/venues/ven_1/tables", keyPushkin, nil, http.StatusOK, &tables)
	var groups []hub.TableGroup
	a.call(t, "GET", "/api/v1/venues/ven_1/groups", keyPushkin, nil, http.StatusOK, &groups)
	if len(tables) != 2 || !tables[0].Online || !tables[1].Online || len(groups) != 0 {
		t.Errorf("refused requests changed something: %+v, %+v", tables, groups)
	}
}

// TestOfflineTableNotOffered shows a table set online=false leaving
// /availability, and coming back with online=true.
func TestOfflineTableNotOffered(t *testing.T) {
	a := setupAPI(t)
	avail := func() web.AvailabilityResponse {
		t.Helper()
		var av web.AvailabilityResponse
		a.call(t, "GET", "/api/v1/venues/ven_1/availability?party=2&date="+a.tomorrow(),
			keyPushkin, nil, http.StatusOK, &av)
		return av
	}
	offered := func(av web.AvailabilityResponse) map[string]bool {
		tables := map[string]bool{}
		for _, s := range av.Slots {
			for _, id := range s.TableIDs {
				tables[id] = true
			}
		}
		return tables
	}
	setOnline := func(table string, online bool) {
		t.Helper()
		a.call(t, "PUT", "/api/v1/venues/ven_1/tables/"+table+"/settings", keyPushkin,
			web.TableSettingsRequest{Online: new(online)}, http.StatusOK, nil)
	}
	// A party of 2 is offered the smallest table, t-2.
	if got := offered(avail()); !got["t-2"] {
		t.Fatalf("before: tables offered %v, want t-2", got)
	}
	setOnline("t-2", false)
	av := avail()
	if got := offered(av); got["t-2"] || !got["t-1"] || len(av.Slots) != 45 {
		t.Errorf("t-2 offline: %d slots on %v, want 45 on t-1 only", len(av.Slots), got)
	}
	// Staff may not book an offline table for an online guest either.
	var e apiError
	a.call(t, "POST", "/api/v1/venues/ven_1/bookings", keyPushkin, web.CreateBookingRequest{
		Start: a.at(19, 0), Party: 2, Name: "Дина", TableIDs: []string{"t-2"}},
		http.StatusBadRequest, &e)
	if e.Field != "table_ids" {
		t.Errorf("booking an offline table: %+v", e)
	}
	// With no table online the venue is not bookable online at all.
	setOnline("t-1", false)
	a.call(t, "GET", "/api/v1/venues/ven_1/availability?party=2&date="+a.tomorrow(),
		keyPushkin, nil, http.StatusBadRequest, &e)
	if e.Field != "table_ids" || e.Error == "" {
		t.Errorf("all tables offline: %+v", e)
	}
	setOnline("t-2", true)
	if got := offered(avail()); !got["t-2"] || got["t-1"] {
		t.Errorf("t-2 back online: tables offered %v, want t-2 only", got)
	}
}
