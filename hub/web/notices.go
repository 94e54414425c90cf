package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/stolik/stolik/hub"
)

// NoticeRow is a staff notice on the venue page.
type NoticeRow struct {
	hub.Notice
	// When is the time the guest booked or asked for, in the venue's
	// zone (a large party's day only); empty when unknown.
	When string
}

// notices lists the venue's open staff notices (a guest running late, a
// large party's request), oldest first.
func (s *Server) notices(ctx context.Context, v hub.Venue, zone *time.Location) (
	[]NoticeRow, error) {
	list, err := s.store.VenueNotices(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	rows := make([]NoticeRow, 0, len(list))
	for _, n := range list {
		row := NoticeRow{Notice: n}
		switch {
		case n.Wanted.IsZero():
		case n.Kind == hub.NoticeLargeParty:
			row.When = n.Wanted.In(zone).Format("Mon 02.01")
		default:
			row.When = n.Wanted.In(zone).Format("02.01 15:04")
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// noticeDone marks one of the venue's staff notices done (the form's
// "notice" field names it): it leaves the page. A notice of another
// venue is 404, like the venue itself.
func (s *Server) noticeDone(w http.ResponseWriter, r *http.Request, p principal) {
	v, ok := s.allowedVenue(w, r, p)
	if !ok {
		return
	}
	id := r.PostFormValue("notice")
	err := s.store.FinishNotice(r.Context(), v.ID, id, s.now().UTC())
	switch {
	case errors.Is(err, hub.ErrNotFound):
		s.notFound(w)
		return
	case err != nil:
		s.pageError(w, r, http.StatusInternalServerError, "mark notice done", err)
		return
	}
	s.log.Info("staff notice done", "venue", v.ID, "notice", id, "by", p.actor())
	http.Redirect(w, r, "/venues/"+v.ID+"#notices", http.StatusSeeOther)
}
