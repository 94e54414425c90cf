package web

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/stolik/stolik/shared/wire"
)

// posterObjects are the Poster webhook objects after which the venue's
// agent reads Poster at once: reservations (incoming orders) and checks.
var posterObjects = map[string]bool{"incoming_order": true, "transaction": true}

// PosterWebhook is the body Poster posts to an application's webhook.
type PosterWebhook struct {
	Account       string          `json:"account"`
	AccountNumber json.RawMessage `json:"account_number"`
	Object        string          `json:"object"`
	ObjectID      json.RawMessage `json:"object_id"`
	Action        string          `json:"action"`
	Time          json.RawMessage `json:"time"`
	Verify        string          `json:"verify"`
	Data          string          `json:"data,omitempty"`
}

// PosterSignature is the verify field Poster computes for a webhook: the
// MD5, in hex, of account, object, object_id, action, data (when there is
// any) and time, joined by semicolons, then the application's secret.
func PosterSignature(w PosterWebhook, secret string) string {
	parts := []string{w.Account, w.Object, rawText(w.ObjectID), w.Action}
	if w.Data != "" {
		parts = append(parts, w.Data)
	}
	parts = append(parts, rawText(w.Time), secret)
	sum := md5.Sum([]byte(strings.Join(parts, ";")))
	return hex.EncodeToString(sum[:])
}

// rawText is a JSON number or string as Poster wrote it, unquoted.
func rawText(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	return string(r)
}

// SetPosterSecret turns on POST /hooks/poster/{venue} with the Poster
// application's secret the webhooks are signed with; empty turns it off.
func (s *Server) SetPosterSecret(secret string) { s.posterSecret = secret }

// posterHook takes Poster's webhooks for a venue, checks their signature,
// and, when a reservation or a check changed, asks the venue's agent to
// poll Poster now. Poster retries a webhook not answered with 200.
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
	var hook PosterWebhook
	if err == nil {
		err = json.Unmarshal(body, &hook)
	}
	if err != nil || hook.Verify == "" {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf(
			"the body is not a Poster webhook (a JSON object with account, object, "+
				"object_id, action, time and verify): %v", err)})
		return
	}
	want := PosterSignature(hook, s.posterSecret)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(hook.Verify)), []byte(want)) != 1 {
		s.log.Warn("poster webhook with a wrong signature", "venue", venueID,
			"account", hook.Account, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "the verify signature does not " +
			"match; is poster_app_secret the secret of the application sending it?"})
		return
	}
	if !posterObjects[hook.Object] {
		writeJSON(w, http.StatusOK, hookAnswer{Events: 1})
		return
	}
	poll, err := s.pollAgent(r, venueID, wire.PollHints{})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "ask the agent to poll", err)
		return
	}
	writeJSON(w, http.StatusOK, hookAnswer{Events: 1, Poll: poll})
}
