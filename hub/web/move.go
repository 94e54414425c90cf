package web

import (
	"net/http"
	"time"
)

// MoveRequest is the body of a staff move: the new start, the new
// tables, or both. An absent one stays as it is.
type MoveRequest struct {
	Start    time.Time `json:"start,omitzero"`
	TableIDs []string  `json:"table_ids,omitempty"`
}

// staffMove moves a booking for staff (desk.Move). A move the RMS must
// make first answers 202 with the booking as it still is; it moves when
// the RMS accepts, and a refusal is a staff notice on the venue page.
func (s *Server) staffMove(w http.ResponseWriter, r *http.Request) {
	b, k, ok := s.bookingFor(w, r)
	if !ok || !s.ready(w) {
		return
	}
	var req MoveRequest
	if !decode(w, r, &req, false) {
		return
	}
	if req.Start.IsZero() && len(req.TableIDs) == 0 {
		badRequest(w, "start", "give start, table_ids or both")
		return
	}
	nb, sent, err := s.desk.Move(r.Context(), b.ID, "staff:"+k.ID, req.Start, req.TableIDs)
	if err != nil {
		s.deskError(w, r, "booking", err)
		return
	}
	if sent {
		writeJSON(w, http.StatusAccepted, nb)
		return
	}
	writeJSON(w, http.StatusOK, nb)
}
