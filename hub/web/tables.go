package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/stolik/stolik/hub"
)

// TableSettingsRequest is the body of PUT
// /api/v1/venues/{id}/tables/{table}/settings. It replaces all of the
// table's settings, so online must be sent: a missing one would silently
// take the table offline.
type TableSettingsRequest struct {
	MinParty int   `json:"min_party,omitempty"`
	MaxParty int   `json:"max_party,omitempty"`
	Online   *bool `json:"online"`
}

// TableGroupRequest is the body of PUT /api/v1/venues/{id}/groups/{group}.
type TableGroupRequest struct {
	TableIDs []string `json:"table_ids"`
	MinParty int      `json:"min_party,omitempty"`
	MaxParty int      `json:"max_party,omitempty"`
}

// maxGroupID bounds the length of a group id.
const maxGroupID = 100

// partyRange checks a minimum and maximum party (zero: the default) against
// each other and against seats, the largest party by default: it answers
// 400 naming the field at fault and returns false.
func partyRange(w http.ResponseWriter, lo, hi, seats int) bool {
	switch {
	case lo < 0:
		badRequest(w, "min_party", "min_party: want 0 (one guest) or more, not %d", lo)
	case hi < 0:
		badRequest(w, "max_party", "max_party: want 0 (the seats) or more, not %d", hi)
	case hi > 0 && lo > hi:
		badRequest(w, "min_party", "min_party %d is more than max_party %d", lo, hi)
	case hi == 0 && lo > seats:
		badRequest(w, "min_party", "min_party %d is more than the %d seats; "+
			"set max_party to seat more", lo, seats)
	default:
		return true
	}
	return false
}

// venueTables lists the tables of v, never nil.
func (s *Server) venueTables(w http.ResponseWriter, r *http.Request, v hub.Venue) ([]hub.Table,
	bool) {
	list, err := s.store.Tables(r.Context(), v.ID)
	if err != nil {
		s.storeError(w, r, "venue", err)
		return nil, false
	}
	if list == nil {
		list = []hub.Table{}
	}
	return list, true
}

func (s *Server) listTables(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok {
		return
	}
	list, ok := s.venueTables(w, r, v)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// putTableSettings replaces the settings of a table the mirror knows; an
// unknown table is 404, so a misspelt id is not stored for a table that
// never comes.
func (s *Server) putTableSettings(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok {
		return
	}
	tables, ok := s.venueTables(w, r, v)
	if !ok {
		return
	}
	id := r.PathValue("table")
	i := slices.IndexFunc(tables, func(t hub.Table) bool { return t.ID == id })
	if i < 0 {
		writeJSON(w, http.StatusNotFound, problem{Error: "no such table " + id, Field: "table"})
		return
	}
	var req TableSettingsRequest
	if !decode(w, r, &req, false) {
		return
	}
	if req.Online == nil {
		badRequest(w, "online", "online: say whether guests may book the table online")
		return
	}
	if !partyRange(w, req.MinParty, req.MaxParty, tables[i].Seats) {
		return
	}
	st := hub.TableSettings{MinParty: req.MinParty, MaxParty: req.MaxParty, Online: *req.Online}
	if err := s.store.SetTableSettings(r.Context(), v.ID, id, st); err != nil {
		s.storeError(w, r, "venue", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok {
		return
	}
	list, err := s.store.TableGroups(r.Context(), v.ID)
	if err != nil {
		s.storeError(w, r, "venue", err)
		return
	}
	if list == nil {
		list = []hub.TableGroup{}
	}
	writeJSON(w, http.StatusOK, list)
}

// putGroup creates or replaces a group of two or more distinct tables the
// mirror knows.
func (s *Server) putGroup(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok {
		return
	}
	id := r.PathValue("group")
	if len(id) > maxGroupID {
		badRequest(w, "group", "group: an id of at most %d characters", maxGroupID)
		return
	}
	var req TableGroupRequest
	if !decode(w, r, &req, false) {
		return
	}
	tables, ok := s.venueTables(w, r, v)
	if !ok {
		return
	}
	seats := 0
	for i, t := range req.TableIDs {
		k := slices.IndexFunc(tables, func(tb hub.Table) bool { return tb.ID == t })
		switch {
		case slices.Contains(req.TableIDs[:i], t):
			badRequest(w, "table_ids", "table_ids: table %s is listed twice", t)
			return
		case k < 0:
			badRequest(w, "table_ids", "table_ids: no table %s at venue %s", t, v.ID)
			return
		}
		seats += tables[k].Seats
	}
	if len(req.TableIDs) < 2 {
		badRequest(w, "table_ids", "table_ids: a group joins two tables or more, not %d",
			len(req.TableIDs))
		return
	}
	if !partyRange(w, req.MinParty, req.MaxParty, seats) {
		return
	}
	g := hub.TableGroup{ID: id, VenueID: v.ID, TableIDs: req.TableIDs, MinParty: req.MinParty,
		MaxParty: req.MaxParty}
	if err := s.store.PutTableGroup(r.Context(), g); err != nil {
		s.storeError(w, r, "venue", err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

// deleteGroup removes a group; removing one that does not exist is done.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok {
		return
	}
	err := s.store.DeleteTableGroup(r.Context(), v.ID, r.PathValue("group"))
	if errors.Is(err, hub.ErrNotFound) {
		err = nil
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "delete group", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
