package web

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/posterhook"
	"github.com/stolik/stolik/shared/wire"
)

// posterObjects are the Poster webhook objects after which the venue's
// agent reads Poster at once: reservations (incoming orders) and checks.
var posterObjects = map[string]bool{"incoming_order": true, "transaction": true}

// PosterWebhookPath is the one address a Poster application posts every
// account's webhooks to; the hub finds the venues by the account.
const PosterWebhookPath = "/hooks/poster"

// SetPosterSecret turns on POST /hooks/poster (and /hooks/poster/{venue})
// with the Poster application's secret the webhooks are signed with; empty
// turns them off.
func (s *Server) SetPosterSecret(secret string) { s.posterSecret = secret }

// posterHook takes Poster's webhooks, checks their signature, and when a
// reservation or a check changed, asks the agents reading the webhook's
// account to poll Poster now. On /hooks/poster/{venue} it asks that venue's
// agent, once the account matches the one the agent reports (an agent that
// reports none is taken at its word). Poster retries a webhook not answered
// with 200 for two days, so one for an account no agent reads is answered
// 200 and logged.
func (s *Server) posterHook(w http.ResponseWriter, r *http.Request) {
	venueID := r.PathValue("venue")
	if s.posterSecret == "" {
		s.log.Warn("poster webhook received but Poster webhooks are off; set "+
			"poster_app_secret in hub.yaml (or STOLIK_POSTER_APP_SECRET)", "venue", venueID)
		writeJSON(w, http.StatusNotFound, errorBody{Error: "Poster webhooks are not enabled on this hub"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: "the body is larger than 1 MiB"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "cannot read the body: " + err.Error()})
		return
	}
	hook, err := posterhook.Verify(body, s.posterSecret)
	switch {
	case errors.Is(err, posterhook.ErrBadSignature):
		s.log.Warn("poster webhook with a wrong signature", "venue", venueID,
			"account", hook.Account, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "the verify signature does not " +
			"match; is poster_app_secret the secret of the application sending it?"})
		return
	case err != nil:
		writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
		return
	}

	agents, err := s.store.Agents(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "list agents", err)
		return
	}
	venues := posterVenues(agents, hook.Account, venueID)
	if venueID != "" && len(venues) == 0 {
		s.log.Warn("poster webhook for a venue whose agent reads another Poster account; "+
			"post it to "+PosterWebhookPath+" or check connector.poster.account in the "+
			"venue's agent.yaml", "venue", venueID, "account", hook.Account)
		writeJSON(w, http.StatusForbidden, errorBody{Error: "account " + hook.Account +
			" is not the Poster account of venue " + venueID})
		return
	}
	if !posterObjects[hook.Object] {
		writeJSON(w, http.StatusOK, hookAnswer{Events: 1})
		return
	}
	if len(venues) == 0 {
		s.log.Warn("poster webhook for an account no agent reads; set "+
			"connector.poster.account in the venue's agent.yaml to this account",
			"account", hook.Account, "object", hook.Object)
		writeJSON(w, http.StatusOK, hookAnswer{Events: 1, Poll: "no venue"})
		return
	}
	var polls []string
	for _, v := range venues {
		poll, err := s.pollAgent(r, v, wire.PollHints{})
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, "ask the agent to poll", err)
			return
		}
		polls = append(polls, poll)
	}
	slices.Sort(polls)
	writeJSON(w, http.StatusOK, hookAnswer{Events: 1,
		Poll: strings.Join(slices.Compact(polls), ",")})
}

// posterVenues returns the venues, sorted, whose live Poster agent reads
// account (an account's spots may be several venues). With venueID set, it
// is that venue alone when its agent reads account or reports no account,
// and none otherwise.
func posterVenues(agents []hub.Agent, account, venueID string) []string {
	var out []string
	for _, a := range agents {
		if a.RevokedAt != nil {
			continue
		}
		mine := strings.EqualFold(a.Status.RMSAccount, account)
		if venueID != "" {
			if a.VenueID != venueID {
				continue
			}
			if mine || a.Status.RMSAccount == "" {
				return []string{venueID}
			}
			continue
		}
		if mine && a.Status.Connector == "poster" && !slices.Contains(out, a.VenueID) {
			out = append(out, a.VenueID)
		}
	}
	slices.Sort(out)
	return out
}
