package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
)

// EnrollRequest is the body of POST /api/v1/enroll.
type EnrollRequest struct {
	Code string `json:"code"`
}

// EnrollResponse is the credential an agent receives for its code.
type EnrollResponse struct {
	AgentID string `json:"agent_id"`
	Secret  string `json:"secret"`
	VenueID string `json:"venue_id"`
}

// enroll exchanges a one-time enrollment code for a new agent credential.
// The code is the credential's only proof, so nothing else is required;
// a wrong, used or expired code is 410 with the same words, so a guesser
// learns nothing.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req EnrollRequest
	body := http.MaxBytesReader(w, r.Body, 4<<10)
	if err := json.NewDecoder(body).Decode(&req); err != nil || strings.TrimSpace(req.Code) == "" {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: `send {"code": "<enrollment code>"}`})
		return
	}
	secret := hub.NewSecret()
	now := s.now().UTC()
	a, err := s.store.RedeemEnrollment(r.Context(), hub.HashSecret(NormalizeCode(req.Code)), now,
		hub.Agent{ID: hub.NewID("agt"), SecretHash: hub.HashSecret(secret), CreatedAt: now})
	if errors.Is(err, hub.ErrEnrollment) {
		s.log.Warn("enrollment refused", "remote", r.RemoteAddr)
		writeJSON(w, http.StatusGone, errorBody{Error: "this enrollment code is unknown, " +
			"already used or expired"})
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "enroll", err)
		return
	}
	s.log.Info("agent enrolled", "agent", a.ID, "venue", a.VenueID, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, EnrollResponse{AgentID: a.ID, Secret: secret, VenueID: a.VenueID})
}

// NewEnrollment returns a fresh enrollment code for venueID, valid for ttl,
// and the record to store (which keeps only the code's hash).
func NewEnrollment(venueID string, now time.Time, ttl time.Duration) (string, hub.Enrollment) {
	code := hub.NewSecret()[:16]
	// Groups of four read well over the phone: abcd-efgh-ijkm-npqr.
	var b strings.Builder
	for i := 0; i < len(code); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(code[i : i+4])
	}
	return b.String(), hub.Enrollment{
		CodeHash: hub.HashSecret(NormalizeCode(code)), VenueID: venueID,
		CreatedAt: now, Expires: now.Add(ttl),
	}
}

// NormalizeCode drops dashes, spaces and case from a typed code.
func NormalizeCode(code string) string {
	code = strings.ToLower(code)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, code)
}
