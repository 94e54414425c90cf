// Package web serves the hub's HTTP API: health, the fleet of agents, the
// mirrored state of each venue and, under /api/v1/venues/{id}/... and
// /api/v1/bookings/..., table bookings; and the support dashboard (see
// dashboard.go): server-rendered pages for support and venue staff.
// GET /api/v1/openapi.json serves the OpenAPI 3 document of the API.
// POST /hooks/iiko/{venue} takes iiko's webhooks (see SetWebhookSecret),
// POST /hooks/poster (and /hooks/poster/{venue}) Poster's (see SetPosterSecret).
//
// # Support API
//
// /api/v1/agents..., /api/v1/commands/{id}, /api/v1/venues and
// /api/v1/venues/{id}/state need a dashboard session (its cookie; unsafe
// methods also the header X-CSRF-Token) or an API key: a support key
// (stolik-hub apikey add --role support) sees every venue, a staff
// account or venue key only its venues (403 for others; agent lists are
// filtered).
//
// Responses are JSON. Errors are {"error": "..."} with a status code that
// says whose fault it was: 4xx for the caller, 5xx for the hub.
//
// # Bookings
//
// The booking endpoints need "Authorization: Bearer <API key>" (made with
// stolik-hub apikey add): a missing, unknown or revoked key is 401, a key
// not made for the venue 403. An unknown venue or booking is 404 (checked
// before the venue's key, so ids are not secret). A rule of the venue
// broken by the request is 400 with "field" naming the input (party,
// start, table_ids, date); a slot taken is 409 with "alternatives"; a
// move the booking's state does not allow, a late guest cancel, a full
// slot or a guest's own limit is 409; confirming a hold that ran out (or a
// booking already ended) is 410 Gone: choose a time again; paused online
// sales are 503 with "reason".
//
// # Tables
//
// With the same keys, /api/v1/venues/{id}/tables lists the venue's tables
// with their online-booking settings (PUT .../tables/{table}/settings) and
// /api/v1/venues/{id}/groups its joinable groups (PUT and DELETE
// .../groups/{group}). Settings that cannot hold are 400 with "field"
// (min_party, max_party, online, table_ids); a table the mirror does not
// know is 404.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/shared/wire"
)

// Server is the hub's HTTP API.
type Server struct {
	store hub.Store
	fleet hub.Fleet
	log   *slog.Logger
	mux   *http.ServeMux
	desk  *desk.Desk
	now   func() time.Time
	// latest is the newest agent version released; agents behind it are
	// flagged.
	latest string
	// hookSecret derives the venues' webhook tokens; empty turns the
	// webhooks off.
	hookSecret string
	// posterSecret checks Poster's webhook signatures; empty turns them
	// off.
	posterSecret string
	opts         Options
	logins       *loginLimiter
	// samples remembers what the sampler saw last of each agent.
	samples *sampler
	// dummyHash is compared against for an unknown email; made on first
	// use.
	dummyHash func() []byte
}

// Options configure the dashboard. Zero values take the defaults.
type Options struct {
	// PublicURL is the hub's address as browsers see it; an https URL
	// makes session cookies Secure even when TLS ends at a proxy.
	PublicURL string
	// SessionTTL is how long a sign-in lasts; default DefaultSessionTTL.
	SessionTTL time.Duration
	// BcryptCost is the cost of the hash a sign-in with an unknown email
	// is checked against, so that it takes as long as a wrong password;
	// default DefaultBcryptCost (the cost accounts are made with).
	BcryptCost int
	// Replica names this hub process as its gateway names it in the
	// agents' status (hub.AgentStatus.Replica). With several replicas on
	// one database, each samples the agents it holds; see SampleAgents.
	// Empty: every agent is sampled as this replica's gateway sees it.
	Replica string
	// HolderSilence is how long the last-seen time of an agent another
	// replica holds may go unrefreshed before that replica is taken for
	// stopped; default DefaultHolderSilence. Give the gateway's
	// LastSeenEvery plus its PongWait.
	HolderSilence time.Duration
	// TrustedProxies are the networks of the reverse proxies in front of
	// the hub. A request from one of them is counted, for the sign-in
	// limits, against the right-most address in X-Forwarded-For that is
	// not a trusted proxy; see clientIP. Empty: the peer's address.
	TrustedProxies []netip.Prefix
}

// DefaultHolderSilence is Options.HolderSilence with the gateway's
// defaults: the last-seen time is written every 30s at most, on signs of
// life the gateway waits wire.PongWait for.
const DefaultHolderSilence = 30*time.Second + wire.PongWait

// SetOptions configures the dashboard; call it before serving.
func (s *Server) SetOptions(o Options) {
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = DefaultBcryptCost
	}
	if o.HolderSilence <= 0 {
		o.HolderSilence = DefaultHolderSilence
	}
	s.opts = o
	s.dummyHash = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("stolik-no-such-user"), o.BcryptCost)
		return h
	})
}

// New returns the API over store. fleet says which agents are connected.
func New(store hub.Store, fleet hub.Fleet, log *slog.Logger) *Server {
	s := &Server{store: store, fleet: fleet, log: log, mux: http.NewServeMux(), now: time.Now,
		logins: newLoginLimiter(store), samples: newSampler()}
	s.SetOptions(Options{})
	s.mux.HandleFunc("GET /healthz", s.health)
	s.mux.HandleFunc("GET /api/v1/agents", s.supportAPI(s.agents))
	s.mux.HandleFunc("GET /api/v1/agents/{id}", s.supportAPI(s.agent))
	s.mux.HandleFunc("POST /api/v1/agents/{id}/resync", s.supportAPI(s.resync))
	s.mux.HandleFunc("GET /api/v1/commands/{id}", s.supportAPI(s.command))
	s.mux.HandleFunc("GET /api/v1/venues", s.supportAPI(s.venues))
	s.mux.HandleFunc("GET /api/v1/venues/{id}/state", s.supportAPI(s.venueState))
	s.mux.HandleFunc("POST /api/v1/enroll", s.enroll)
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openapi)
	s.mux.HandleFunc("GET /api/v1/venues/{id}", s.getVenue)
	s.mux.HandleFunc("PUT /api/v1/venues/{id}/policy", s.putPolicy)
	s.mux.HandleFunc("GET /api/v1/venues/{id}/availability", s.availability)
	s.mux.HandleFunc("POST /api/v1/venues/{id}/bookings", s.createBooking)
	s.mux.HandleFunc("GET /api/v1/venues/{id}/bookings", s.listBookings)
	s.mux.HandleFunc("GET /api/v1/bookings/{id}", s.getBooking)
	s.mux.HandleFunc("GET /api/v1/bookings/{id}/alternatives", s.alternatives)
	s.mux.HandleFunc("POST /api/v1/bookings/{id}/confirm", s.confirmBooking)
	s.mux.HandleFunc("POST /api/v1/bookings/{id}/cancel", s.cancelBooking)
	s.mux.HandleFunc("POST /api/v1/bookings/{id}/staff/{action}", s.staffAction)
	s.mux.HandleFunc("POST /api/v1/bookings/{id}/staff/move", s.staffMove)
	s.mux.HandleFunc("GET /api/v1/venues/{id}/tables", s.listTables)
	s.mux.HandleFunc("PUT /api/v1/venues/{id}/tables/{table}/settings", s.putTableSettings)
	s.mux.HandleFunc("GET /api/v1/venues/{id}/groups", s.listGroups)
	s.mux.HandleFunc("PUT /api/v1/venues/{id}/groups/{group}", s.putGroup)
	s.mux.HandleFunc("DELETE /api/v1/venues/{id}/groups/{group}", s.deleteGroup)
	s.mux.HandleFunc("POST /hooks/iiko/{venue}", s.iikoHook)
	s.mux.HandleFunc("POST /hooks/poster", s.posterHook)
	s.mux.HandleFunc("POST /hooks/poster/{venue}", s.posterHook)
	s.dashboardRoutes()
	return s
}

// SetLatestAgentVersion sets the release agents are compared with; those
// behind it show Behind in the agent list.
func (s *Server) SetLatestAgentVersion(v string) { s.latest = v }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// AgentView is an agent as the API shows it.
type AgentView struct {
	ID        string    `json:"id"`
	VenueID   string    `json:"venue_id"`
	VenueName string    `json:"venue_name,omitempty"`
	Connected bool      `json:"connected"`
	Since     time.Time `json:"connected_since,omitzero"`
	Revoked   bool      `json:"revoked"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// AppliedSeq is the newest event sequence the hub applied.
	AppliedSeq    uint64 `json:"applied_seq"`
	AppliedEvents uint64 `json:"applied_events"`
	Backlog       uint64 `json:"backlog"`
	Version       string `json:"version,omitempty"`
	// Behind says the agent runs an older version than the latest release.
	Behind    bool                 `json:"behind,omitempty"`
	OS        string               `json:"os,omitempty"`
	Connector string               `json:"connector,omitempty"`
	Health    wire.ConnectorHealth `json:"connector_health"`
	Counters  wire.Counters        `json:"counters"`
}

// view shows a as this replica knows it. An agent another live replica
// holds (see heldElsewhere) is shown connected, without the start of its
// connection, which only that replica knows.
func (s *Server) view(a hub.Agent, venues map[string]string) AgentView {
	live := s.fleet.Live(a.ID)
	if !live.Connected && s.heldElsewhere(a, s.now().UTC()) {
		live.Connected = true
	}
	return AgentView{
		ID: a.ID, VenueID: a.VenueID, VenueName: venues[a.VenueID],
		Connected: live.Connected, Since: live.Since, Revoked: a.RevokedAt != nil,
		LastSeen: a.Status.LastSeen, AppliedSeq: a.AppliedSeq, AppliedEvents: a.AppliedEvents,
		Backlog: a.Status.Backlog, Version: a.Status.Version, OS: a.Status.OS,
		Behind:    hub.VersionBehind(a.Status.Version, s.latest),
		Connector: a.Status.Connector, Health: a.Status.Health, Counters: a.Status.Counters,
	}
}

func (s *Server) venueNames(ctx context.Context) (map[string]string, error) {
	vs, err := s.store.Venues(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(vs))
	for _, v := range vs {
		names[v.ID] = v.Name
	}
	return names, nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Venues(ctx); err != nil {
		s.fail(w, r, http.StatusServiceUnavailable, "store unavailable", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) agents(w http.ResponseWriter, r *http.Request, p principal) {
	agents, err := s.store.Agents(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "list agents", err)
		return
	}
	names, err := s.venueNames(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "list venues", err)
		return
	}
	out := make([]AgentView, 0, len(agents))
	for _, a := range agents {
		if p.allows(a.VenueID) {
			out = append(out, s.view(a, names))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) agent(w http.ResponseWriter, r *http.Request, p principal) {
	a, ok := s.agentFor(w, r, p)
	if !ok {
		return
	}
	names, err := s.venueNames(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "list venues", err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(a, names))
}

// resync asks an agent to send its whole state again.
func (s *Server) resync(w http.ResponseWriter, r *http.Request, p principal) {
	a, ok := s.agentFor(w, r, p)
	if !ok {
		return
	}
	c, err := s.sendCommand(r.Context(), a.ID, wire.CommandResync, nil)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "enqueue command", err)
		return
	}
	writeJSON(w, http.StatusAccepted, c)
}

// agentFor loads the agent in the path: 404 if unknown, 403 if p may not
// see its venue.
func (s *Server) agentFor(w http.ResponseWriter, r *http.Request, p principal) (hub.Agent,
	bool) {
	a, err := s.store.Agent(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, "agent", err)
		return a, false
	}
	if !p.allows(a.VenueID) {
		writeJSON(w, http.StatusForbidden, errorBody{Error: "you may not see agent " + a.ID})
		return a, false
	}
	return a, true
}

// sendCommand stores a command for an agent, valid for an hour, schedules
// its expiry and wakes the agent's connection.
func (s *Server) sendCommand(ctx context.Context, agentID string, kind wire.CommandKind,
	body []byte) (hub.Command, error) {
	now := s.now().UTC()
	c := hub.Command{
		ID: hub.NewID("cmd"), AgentID: agentID, Kind: kind, Body: body,
		CreatedAt: now, Expires: now.Add(time.Hour), State: hub.CommandPending,
	}
	if err := s.store.EnqueueCommand(ctx, c); err != nil {
		return c, err
	}
	if err := s.store.ScheduleJob(ctx, hub.CommandExpiryJob(c)); err != nil {
		// The command stays pending past its expiry until another expiry
		// job sweeps it; the agent refuses it as expired anyway.
		s.log.Warn("schedule command expiry", "command", c.ID, "err", err)
	}
	s.fleet.Poke(agentID)
	return c, nil
}

func (s *Server) command(w http.ResponseWriter, r *http.Request, p principal) {
	c, err := s.store.Command(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, "command", err)
		return
	}
	a, err := s.store.Agent(r.Context(), c.AgentID)
	if err != nil {
		s.storeError(w, r, "agent", err)
		return
	}
	if !p.allows(a.VenueID) {
		writeJSON(w, http.StatusForbidden, errorBody{Error: "you may not see command " + c.ID})
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) venues(w http.ResponseWriter, r *http.Request, p principal) {
	vs, err := s.store.Venues(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "list venues", err)
		return
	}
	out := make([]hub.Venue, 0, len(vs))
	for _, v := range vs {
		if p.allows(v.ID) {
			out = append(out, v)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) venueState(w http.ResponseWriter, r *http.Request, p principal) {
	id := r.PathValue("id")
	if _, err := s.store.Venue(r.Context(), id); err != nil {
		s.storeError(w, r, "venue", err)
		return
	}
	if !p.allows(id) {
		writeJSON(w, http.StatusForbidden, errorBody{Error: "you may not see venue " + id})
		return
	}
	st, err := s.store.VenueState(r.Context(), id)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "read venue state", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) storeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, hub.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "no such " + what})
		return
	}
	s.fail(w, r, http.StatusInternalServerError, "read "+what, err)
}

// fail logs the internal error and answers with a safe message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, what string, err error) {
	s.log.Error("api request failed", "path", r.URL.Path, "what", what, "err", err)
	writeJSON(w, code, errorBody{Error: what + ": internal error, see the hub log"})
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
