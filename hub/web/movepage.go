package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
)

// bookingMove is the venue page's move form: a new local time on the
// booking's day (or on "date", when given) and a table, either one may
// stay as it is.
func (s *Server) bookingMove(w http.ResponseWriter, r *http.Request, p principal) {
	b, err := s.store.Booking(r.Context(), r.PathValue("id"))
	if err != nil || !p.allows(b.VenueID) {
		s.notFound(w)
		return
	}
	v, err := s.store.Venue(r.Context(), b.VenueID)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "venue", err)
		return
	}
	zone := venueZone(v)
	local := b.Start.In(zone)
	back := "/venues/" + b.VenueID + "?date=" + local.Format(time.DateOnly)
	say := func(msg string) {
		http.Redirect(w, r, back+"&error="+urlQuery(msg)+"#bookings", http.StatusSeeOther)
	}
	if s.desk == nil {
		say("Booking is not enabled on this hub.")
		return
	}
	day := local.Format(time.DateOnly)
	if d := strings.TrimSpace(r.PostFormValue("date")); d != "" {
		day = d
	}
	var start time.Time
	if hm := strings.TrimSpace(r.PostFormValue("time")); hm != "" {
		start, err = time.ParseInLocation("2006-01-02 15:04", day+" "+hm, zone)
		if err != nil {
			say("Not moved: the time must be like 19:30 (and the date like 2026-12-31).")
			return
		}
		if start.Equal(b.Start) {
			start = time.Time{}
		}
	}
	var tables []string
	if t := strings.TrimSpace(r.PostFormValue("table")); t != "" {
		tables = []string{t}
	}
	if start.IsZero() && len(tables) == 0 {
		say("Not moved: choose another time or table.")
		return
	}
	nb, sent, err := s.desk.Move(r.Context(), b.ID, p.actor(), start, tables)
	if err != nil {
		if !errors.Is(err, hub.ErrBadTransition) && !errors.Is(err, hub.ErrConflict) {
			s.log.Warn("staff move failed", "booking", b.ID, "err", err)
		}
		say("Not moved: " + words(err))
		return
	}
	s.log.Info("staff move", "booking", b.ID, "by", p.actor(), "sent", sent)
	if sent {
		say("Sent to the RMS: the booking moves once the RMS takes the change; " +
			"if it refuses, a notice above says why.")
		return
	}
	http.Redirect(w, r, "/venues/"+b.VenueID+"?date="+
		nb.Start.In(zone).Format(time.DateOnly)+"#booking-"+b.ID, http.StatusSeeOther)
}
