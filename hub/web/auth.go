package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/stolik/stolik/hub"
)

// apiKey authenticates r by its "Authorization: Bearer <key>" header. A
// missing, unknown or revoked key is answered 401 and ok is false.
func (s *Server) apiKey(w http.ResponseWriter, r *http.Request) (hub.APIKey, bool) {
	h := r.Header.Get("Authorization")
	scheme, key, found := strings.Cut(h, " ")
	key = strings.TrimSpace(key)
	if !found || !strings.EqualFold(scheme, "Bearer") || key == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="stolik"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{
			Error: "send your API key in the header Authorization: Bearer <key>"})
		return hub.APIKey{}, false
	}
	k, err := s.store.APIKeyByHash(r.Context(), hub.HashSecret(key))
	switch {
	case errors.Is(err, hub.ErrNotFound) || err == nil && k.RevokedAt != nil:
		w.Header().Set("WWW-Authenticate", `Bearer realm="stolik", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{
			Error: "the API key is unknown or revoked; ask the hub operator for a new one"})
		return hub.APIKey{}, false
	case err != nil:
		s.fail(w, r, http.StatusInternalServerError, "check API key", err)
		return hub.APIKey{}, false
	}
	return k, true
}

// forVenue checks that k may act for the venue: 403 and false if not.
func forVenue(w http.ResponseWriter, k hub.APIKey, venueID string) bool {
	if k.Allows(venueID) {
		return true
	}
	writeJSON(w, http.StatusForbidden, errorBody{
		Error: "this API key may not act for venue " + venueID})
	return false
}
