package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
)

// attentionBacklog is the backlog above which an agent needs attention.
const attentionBacklog = 1000

// FleetRow is one agent on the fleet page.
type FleetRow struct {
	AgentView
	// OfflineFor is how long a disconnected agent was last seen ago.
	OfflineFor string `json:"offline_for,omitempty"`
	// LastChange is when this hub process last saw the agent's applied
	// count grow, to the sampler's minute; zero until it has.
	LastChange time.Time `json:"last_change,omitzero"`
	// LastChangeAgo is LastChange as the page shows it ("3m", "never"),
	// for the page's live updates.
	LastChangeAgo string `json:"last_change_ago"`
	// Attention lists why the agent needs someone to look, empty if fine.
	Attention []string `json:"attention,omitempty"`
}

// attention says why an agent needs a look: offline, RMS unhealthy, a
// large backlog, an old version. Revoked agents need none.
func attention(v AgentView) []string {
	if v.Revoked {
		return nil
	}
	var why []string
	if !v.Connected {
		why = append(why, "offline")
	}
	if !v.Health.OK && !v.LastSeen.IsZero() {
		why = append(why, "RMS unhealthy")
	} else if v.Health.OK && v.Health.Error != "" {
		why = append(why, "RMS warning")
	}
	if v.Backlog > attentionBacklog {
		why = append(why, "backlog")
	}
	if v.Behind {
		why = append(why, "old version")
	}
	return why
}

// fleetQuery is the fleet page's filter and sort.
type fleetQuery struct {
	Q      string // words in venue name, agent id, connector or version
	Status string // "", online, offline, attention
	Sort   string // venue (default), backlog, last_seen, version
}

// fleetRows lists the agents p may see, filtered and sorted: agents needing
// attention first, then by q.Sort.
func (s *Server) fleetRows(r *http.Request, p principal, q fleetQuery) ([]FleetRow, error) {
	agents, err := s.store.Agents(r.Context())
	if err != nil {
		return nil, err
	}
	names, err := s.venueNames(r.Context())
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	words := strings.Fields(strings.ToLower(q.Q))
	rows := make([]FleetRow, 0, len(agents))
	for _, a := range agents {
		if !p.allows(a.VenueID) {
			continue
		}
		row := FleetRow{AgentView: s.view(a, names), LastChange: s.samples.lastChange(a.ID)}
		row.LastChangeAgo = ago(row.LastChange, now)
		row.Attention = attention(row.AgentView)
		if !row.Connected && !row.Revoked && !row.LastSeen.IsZero() {
			row.OfflineFor = ago(row.LastSeen, now)
		}
		if !matches(row, words, q.Status) {
			continue
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b FleetRow) int {
		if c := cmp.Compare(min(len(b.Attention), 1), min(len(a.Attention), 1)); c != 0 {
			return c
		}
		switch q.Sort {
		case "backlog":
			return cmp.Compare(b.Backlog, a.Backlog)
		case "last_seen":
			return b.LastSeen.Compare(a.LastSeen)
		case "version":
			return cmp.Compare(a.Version, b.Version)
		}
		return cmp.Or(cmp.Compare(a.VenueName, b.VenueName), cmp.Compare(a.ID, b.ID))
	})
	return rows, nil
}

func matches(row FleetRow, words []string, status string) bool {
	switch status {
	case "online":
		if !row.Connected {
			return false
		}
	case "offline":
		if row.Connected {
			return false
		}
	case "attention":
		if len(row.Attention) == 0 {
			return false
		}
	}
	text := strings.ToLower(strings.Join([]string{row.VenueName, row.ID, row.Connector,
		row.Version}, " "))
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

func queryOf(r *http.Request) fleetQuery {
	v := r.URL.Query()
	return fleetQuery{Q: v.Get("q"), Status: v.Get("status"), Sort: v.Get("sort")}
}

type fleetData struct {
	Query fleetQuery
	Rows  []FleetRow
	Total int
}

func (s *Server) fleetPage(w http.ResponseWriter, r *http.Request, p principal) {
	q := queryOf(r)
	rows, err := s.fleetRows(r, p, q)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "list agents", err)
		return
	}
	s.render(w, r, http.StatusOK, "fleet.html", s.frame(p, textsOf(r).T("fleet.title"),
		fleetData{Query: q, Rows: rows, Total: len(rows)}))
}

func (s *Server) fleetJSON(w http.ResponseWriter, r *http.Request, p principal) {
	rows, err := s.fleetRows(r, p, queryOf(r))
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "list agents", err)
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

// allowedAgent loads the agent in the path for a page: false (after a 404)
// when it is unknown or p may not see it.
func (s *Server) allowedAgent(w http.ResponseWriter, r *http.Request, p principal) (hub.Agent,
	bool) {
	a, err := s.store.Agent(r.Context(), r.PathValue("id"))
	if err != nil || !p.allows(a.VenueID) {
		s.notFound(w)
		return a, false
	}
	return a, true
}
