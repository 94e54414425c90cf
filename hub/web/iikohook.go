package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// maxHookBody bounds a webhook body: iiko sends a few events at a time.
const maxHookBody = 1 << 20

// hookPollExpiry is how long a poll asked by a webhook stays worth doing.
const hookPollExpiry = time.Minute

// iikoEvents are the webhook events after which the venue's agent reads
// iiko at once; others (delivery, stop lists, shifts) are ignored.
var iikoEvents = map[string]bool{
	"ReserveUpdate": true, "ReserveError": true,
	"TableOrderUpdate": true, "TableOrderError": true,
}

// WebhookPath is the path iiko posts a venue's events to.
func WebhookPath(venueID string) string { return "/hooks/iiko/" + venueID }

// WebhookToken is the auth token iiko sends with a venue's webhooks: the
// HMAC-SHA256 of the venue id under the hub's webhook secret, in hex. It
// is derived, not stored, so changing the secret revokes every token.
func WebhookToken(secret, venueID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(venueID))
	return hex.EncodeToString(m.Sum(nil))
}

// SetWebhookSecret turns on POST /hooks/iiko/{venue} with the secret the
// venues' tokens derive from; empty turns it off (404).
func (s *Server) SetWebhookSecret(secret string) { s.hookSecret = secret }

// iikoHook takes iiko's webhook events for a venue and, when one says a
// reserve or table order changed, asks the venue's agent to poll iiko now.
// The agent reads iiko itself: the events only say when.
func (s *Server) iikoHook(w http.ResponseWriter, r *http.Request) {
	venueID := r.PathValue("venue")
	if s.hookSecret == "" {
		s.log.Warn("iiko webhook received but webhooks are off; set webhook_secret in "+
			"hub.yaml (or STOLIK_WEBHOOK_SECRET) to enable them", "venue", venueID)
		writeJSON(w, http.StatusNotFound, errorBody{Error: "webhooks are not enabled on this hub"})
		return
	}
	tok := strings.TrimSpace(r.Header.Get("Authorization"))
	if scheme, rest, ok := strings.Cut(tok, " "); ok && strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(rest)
	}
	want := WebhookToken(s.hookSecret, venueID)
	if subtle.ConstantTimeCompare([]byte(tok), []byte(want)) != 1 {
		s.log.Warn("iiko webhook with a wrong auth token", "venue", venueID,
			"remote", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "wrong or missing auth token; " +
			"print the venue's token with stolik-hub webhook --venue NAME"})
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{
			Error: "the body is larger than 1 MiB"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "read body: " + err.Error()})
		return
	}
	var events []iikoEvent
	if err := json.Unmarshal(body, &events); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{
			Error: "the body is not a JSON array of iiko events: " + err.Error()})
		return
	}
	relevant := 0
	for _, e := range events {
		if iikoEvents[e.EventType] {
			relevant++
		}
	}
	if relevant == 0 {
		writeJSON(w, http.StatusOK, hookAnswer{Events: len(events)})
		return
	}

	hints, dropped := iikoHints(events)
	if dropped > 0 {
		s.log.Warn("iiko webhook ids not passed to the agent as hints", "venue", venueID,
			"dropped", dropped, "max", wire.MaxPollHints)
	}
	poll, err := s.pollAgent(r, venueID, hints)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "ask the agent to poll", err)
		return
	}
	writeJSON(w, http.StatusOK, hookAnswer{Events: len(events), Poll: poll})
}

// hookAnswer says what a webhook call did: Poll is "queued", "pending"
// (a poll waiting already covers what the call named) or "no agent".
type hookAnswer struct {
	Events int    `json:"events"`
	Poll   string `json:"poll,omitempty"`
}

// maxPendingPolls bounds the polls waiting for one agent. A webhook naming
// something no pending poll names queues another, up to this many; past it
// the agent reads those things on a pending poll or within the
// connector's own refresh time.
const maxPendingPolls = 4

// pollAgent queues a short-lived poll command carrying hints for the
// venue's agent, unless a pending poll covers the hints already, and pokes
// the agent's connection.
func (s *Server) pollAgent(r *http.Request, venueID string, hints wire.PollHints) (string, error) {
	ctx := r.Context()
	agents, err := s.store.Agents(ctx)
	if err != nil {
		return "", err
	}
	var a *hub.Agent
	for i := range agents {
		if agents[i].VenueID == venueID && agents[i].RevokedAt == nil {
			a = &agents[i]
			break
		}
	}
	if a == nil {
		s.log.Warn("webhook for a venue without an agent", "venue", venueID)
		return "no agent", nil
	}
	pending, err := s.store.PendingCommands(ctx, a.ID)
	if err != nil {
		return "", err
	}
	polls := 0
	for _, c := range pending {
		if c.Kind != wire.CommandPoll {
			continue
		}
		polls++
		if h, err := wire.DecodePollHints(c.Body); err == nil && h.Covers(hints) {
			s.fleet.Poke(a.ID)
			return "pending", nil
		}
	}
	if polls >= maxPendingPolls {
		s.log.Info("poll hints dropped: the agent has polls pending", "venue", venueID,
			"agent", a.ID, "pending", polls)
		s.fleet.Poke(a.ID)
		return "pending", nil
	}
	now := s.now().UTC()
	c := hub.Command{
		ID: hub.NewID("cmd"), AgentID: a.ID, Kind: wire.CommandPoll,
		CreatedAt: now, Expires: now.Add(hookPollExpiry), State: hub.CommandPending,
	}
	if !hints.Empty() {
		if c.Body, err = json.Marshal(hints); err != nil {
			return "", err
		}
	}
	if err := s.store.EnqueueCommand(ctx, c); err != nil {
		return "", err
	}
	if err := s.store.ScheduleJob(ctx, hub.CommandExpiryJob(c)); err != nil {
		s.log.Warn("schedule command expiry", "command", c.ID, "err", err)
	}
	s.fleet.Poke(a.ID)
	return "queued", nil
}

// iikoEvent is one event of an iiko webhook body: its type and, for
// reserve and table order events, the id of the reserve or order.
type iikoEvent struct {
	EventType string          `json:"eventType"`
	EventInfo json.RawMessage `json:"eventInfo"`
}

// iikoHints collects the reserve and order ids the events name, each once,
// at most wire.MaxPollHints of each; ids that are not valid hints and ids
// past the bound are dropped and counted. Event details in other shapes
// are ignored: the hints only speed up what the poll reads anyway.
func iikoHints(events []iikoEvent) (h wire.PollHints, dropped int) {
	for _, e := range events {
		var list *[]string
		switch e.EventType {
		case "ReserveUpdate", "ReserveError":
			list = &h.Reservations
		case "TableOrderUpdate", "TableOrderError":
			list = &h.Orders
		default:
			continue
		}
		var info struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(e.EventInfo, &info) != nil || info.ID == "" {
			continue
		}
		switch {
		case slices.Contains(*list, info.ID):
		case !wire.ValidHintID(info.ID) || len(*list) >= wire.MaxPollHints:
			dropped++
		default:
			*list = append(*list, info.ID)
		}
	}
	return h, dropped
}
