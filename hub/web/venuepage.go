package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/shared/wire"
)

// Table states on the floor plan.
const (
	TableFree     = "free"
	TableOccupied = "occupied"
	TableReserved = "reserved"
)

// reservedAhead is how soon a booking or RMS reservation must start for
// its table to show reserved now.
const reservedAhead = time.Hour

// enrollTTL is how long a code made on the dashboard stays valid.
const enrollTTL = 72 * time.Hour

// TableView is a table on the floor plan: where it is drawn (in the
// plan's units) and what it is doing now.
type TableView struct {
	ID     string  `json:"id"`
	Number string  `json:"number"`
	Seats  int     `json:"seats"`
	State  string  `json:"state"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	W      float64 `json:"w"`
	H      float64 `json:"h"`
}

// HallView is one hall's floor plan.
type HallView struct {
	ID, Name string
	Tables   []TableView
	// Width and Height frame the plan.
	Width, Height float64
}

// BookingRow is a booking on the venue page.
type BookingRow struct {
	hub.Booking
	Time    string   `json:"time"`
	Actions []string `json:"actions"`
}

type venueData struct {
	Venue    hub.Venue
	Halls    []HallView
	Bookings []BookingRow
	// TillTasks are bookings no longer active whose reservation the RMS
	// still holds: staff must cancel it at the till (Poster's API cannot).
	TillTasks []BookingRow
	// Notices are what the Telegram bot told the staff (a guest running
	// late, a large party's request) until one of them marks it done.
	Notices []NoticeRow
	Agents  []hub.Agent
	Date    string
	Counts  map[string]int
	// Code is a fresh enrollment code, shown once.
	Code, CodeExpires string
	Error             string
}

// actionsFor lists what staff may do with a booking in its state.
func actionsFor(b hub.Booking) []string {
	switch b.State {
	case hub.BookingHeld, hub.BookingRequested:
		return []string{"confirm", "decline", "cancel"}
	case hub.BookingConfirmed:
		return []string{"seat", "cancel"}
	}
	return nil
}

// floor lays out the venue's tables by hall, with each table's state now.
// Tables the RMS places (wire.Position) keep their place, scaled to the
// hall; the others are set on a grid below them.
func floor(st hub.VenueState, bookings []hub.Booking, now time.Time) []HallView {
	state := make(map[string]string, len(st.Tables))
	for _, r := range st.Reservations {
		end := r.Start.Add(time.Duration(r.Duration))
		if r.Status != wire.ReservationCancelled && r.Start.Before(now.Add(reservedAhead)) &&
			end.After(now) {
			for _, t := range r.TableIDs {
				state[t] = TableReserved
			}
		}
	}
	for _, b := range bookings {
		if b.State.Active() && b.Start.Before(now.Add(reservedAhead)) && b.End.After(now) {
			for _, t := range b.TableIDs {
				state[t] = TableReserved
			}
		}
	}
	for _, o := range st.Orders {
		for _, t := range o.TableIDs {
			state[t] = TableOccupied
		}
	}

	halls := make([]HallView, 0, len(st.Halls)+1)
	index := make(map[string]int)
	for _, h := range st.Halls {
		index[h.ID] = len(halls)
		halls = append(halls, HallView{ID: h.ID, Name: h.Name})
	}
	for _, t := range st.Tables {
		i, ok := index[t.HallID]
		if !ok {
			index[t.HallID] = len(halls)
			i = len(halls)
			halls = append(halls, HallView{ID: t.HallID, Name: "Hall " + t.HallID})
		}
		tv := TableView{ID: t.ID, Number: cmp.Or(t.Number, t.Name, t.ID), Seats: t.Seats,
			State: cmp.Or(state[t.ID], TableFree), X: -1}
		if p := t.Position; p != nil {
			tv.X, tv.Y, tv.W, tv.H = p.X, p.Y, cmp.Or(p.W, 1), cmp.Or(p.H, 1)
		}
		halls[i].Tables = append(halls[i].Tables, tv)
	}
	for i := range halls {
		layout(&halls[i])
	}
	return halls
}

// layout scales placed tables into a 600-unit-wide plan and puts the rest
// on a grid under them.
func layout(h *HallView) {
	const width, cell, gap = 600.0, 90.0, 10.0
	var maxX, maxY float64
	placed := false
	for _, t := range h.Tables {
		if t.X >= 0 {
			placed = true
			maxX, maxY = max(maxX, t.X+t.W), max(maxY, t.Y+t.H)
		}
	}
	scale := 1.0
	if placed && maxX > 0 {
		scale = (width - 2*gap) / maxX
	}
	top := gap
	if placed {
		top = maxY*scale + 2*gap
	}
	perRow := int(width / (cell + gap))
	n := 0
	for i := range h.Tables {
		t := &h.Tables[i]
		if t.X >= 0 {
			t.X, t.Y, t.W, t.H = gap+t.X*scale, gap+t.Y*scale, max(t.W*scale, 30),
				max(t.H*scale, 30)
			continue
		}
		t.X = gap + float64(n%perRow)*(cell+gap)
		t.Y = top + float64(n/perRow)*(cell+gap)
		t.W, t.H = cell, cell*0.7
		n++
	}
	h.Width, h.Height = width, gap
	for _, t := range h.Tables {
		h.Height = max(h.Height, t.Y+t.H+gap)
	}
}

// allowedVenue loads the venue in the path for a page: false (after a
// 404) when it is unknown or p may not see it.
func (s *Server) allowedVenue(w http.ResponseWriter, r *http.Request, p principal) (hub.Venue,
	bool) {
	v, err := s.store.Venue(r.Context(), r.PathValue("id"))
	if err != nil || !p.allows(v.ID) {
		s.notFound(w)
		return v, false
	}
	return v, true
}

// day returns the venue's bookings overlapping its local date (today when
// date is empty or not YYYY-MM-DD), and its mirror.
func (s *Server) day(ctx context.Context, v hub.Venue, date string) (hub.VenueState,
	[]hub.Booking, string, error) {
	zone := venueZone(v)
	now := s.now().In(zone)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	if d, err := time.ParseInLocation("2006-01-02", date, zone); err == nil {
		start = d
	}
	list, err := s.store.Bookings(ctx, hub.BookingQuery{VenueID: v.ID, From: start,
		To: start.AddDate(0, 0, 1)})
	if err != nil {
		return hub.VenueState{}, nil, "", err
	}
	st, err := s.store.VenueState(ctx, v.ID)
	if err != nil {
		return hub.VenueState{}, nil, "", err
	}
	return st, list, start.Format("2006-01-02"), nil
}

// tillTasks finds the reservations the RMS holds for bookings that ended
// without it (cancelled, declined, expired): the agent could not cancel
// them, so staff must at the till. The list empties by itself when the
// mirror shows them cancelled.
func (s *Server) tillTasks(ctx context.Context, st hub.VenueState, zone *time.Location) (
	[]BookingRow, error) {
	var ids []string
	for _, r := range st.Reservations {
		if r.BookingID != "" && r.Status != wire.ReservationCancelled {
			ids = append(ids, r.BookingID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := s.store.BookingsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]hub.Booking, len(list))
	for _, b := range list {
		byID[b.ID] = b
	}
	var rows []BookingRow
	for _, id := range ids {
		b, ok := byID[id]
		if !ok {
			continue
		}
		switch b.State {
		case hub.BookingCancelled, hub.BookingDeclined, hub.BookingExpired:
			rows = append(rows, BookingRow{Booking: b,
				Time: b.Start.In(zone).Format("02.01 15:04")})
		}
	}
	return rows, nil
}

// venueZone is the venue's time zone, UTC if it cannot be loaded.
func venueZone(v hub.Venue) *time.Location {
	zone, err := time.LoadLocation(v.TimeZone)
	if err != nil {
		return time.UTC
	}
	return zone
}

func (s *Server) venueData(ctx context.Context, v hub.Venue, date string) (venueData, error) {
	st, list, date, err := s.day(ctx, v, date)
	if err != nil {
		return venueData{}, err
	}
	zone := venueZone(v)
	d := venueData{Venue: v, Halls: floor(st, list, s.now().UTC()), Date: date,
		Counts: map[string]int{}}
	for _, b := range list {
		d.Bookings = append(d.Bookings, BookingRow{Booking: b, Actions: actionsFor(b),
			Time: b.Start.In(zone).Format("15:04")})
	}
	for _, h := range d.Halls {
		for _, t := range h.Tables {
			d.Counts[t.State]++
		}
	}
	if d.TillTasks, err = s.tillTasks(ctx, st, zone); err != nil {
		return venueData{}, err
	}
	if d.Notices, err = s.notices(ctx, v, zone); err != nil {
		return venueData{}, err
	}
	if d.Agents, err = s.store.AgentsOfVenue(ctx, v.ID); err != nil {
		return venueData{}, err
	}
	return d, nil
}

func (s *Server) venuePage(w http.ResponseWriter, r *http.Request, p principal) {
	v, ok := s.allowedVenue(w, r, p)
	if !ok {
		return
	}
	d, err := s.venueData(r.Context(), v, r.URL.Query().Get("date"))
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "read venue", err)
		return
	}
	d.Error = r.URL.Query().Get("error")
	s.render(w, r, http.StatusOK, "venue.html", s.frame(p, v.Name, d))
}

// LiveView is the body of /venues/{id}/live.json: each table's state and
// the bookings of the day asked for, for the page's script.
type LiveView struct {
	Tables   map[string]string `json:"tables"`
	Bookings []BookingRow      `json:"bookings"`
	Counts   map[string]int    `json:"counts"`
}

func (s *Server) venueLive(w http.ResponseWriter, r *http.Request, p principal) {
	v, ok := s.allowedVenue(w, r, p)
	if !ok {
		return
	}
	d, err := s.venueData(r.Context(), v, r.URL.Query().Get("date"))
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "read venue", err)
		return
	}
	lv := LiveView{Tables: map[string]string{}, Bookings: d.Bookings, Counts: d.Counts}
	for _, h := range d.Halls {
		for _, t := range h.Tables {
			lv.Tables[t.ID] = t.State
		}
	}
	for i := range lv.Bookings {
		lv.Bookings[i].Phone = "" // the page shows it; the poll needs no phone numbers
	}
	writeJSON(w, http.StatusOK, lv)
}

type venuesData struct {
	Venues []hub.Venue
	Error  string
}

func (s *Server) venuesPage(w http.ResponseWriter, r *http.Request, p principal) {
	all, err := s.store.Venues(r.Context())
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "list venues", err)
		return
	}
	var vs []hub.Venue
	for _, v := range all {
		if p.allows(v.ID) {
			vs = append(vs, v)
		}
	}
	slices.SortFunc(vs, func(a, b hub.Venue) int { return cmp.Compare(a.Name, b.Name) })
	s.render(w, r, http.StatusOK, "venues.html", s.frame(p, textsOf(r).T("venues.title"),
		venuesData{Venues: vs, Error: r.URL.Query().Get("error")}))
}

// createVenue makes a venue (support only) and goes to its page, where
// support makes its enrollment code.
func (s *Server) createVenue(w http.ResponseWriter, r *http.Request, p principal) {
	if !p.support() {
		http.Error(w, "only support may create venues", http.StatusForbidden)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	zone := cmp.Or(strings.TrimSpace(r.PostFormValue("time_zone")), "Europe/Moscow")
	mode := hub.Mode(cmp.Or(r.PostFormValue("mode"), string(hub.ModeAPI)))
	chain := strings.TrimSpace(r.PostFormValue("chain"))
	x := textsOf(r)
	fail := func(msg string) {
		http.Redirect(w, r, "/venues?error="+urlQuery(msg), http.StatusSeeOther)
	}
	if name == "" || len(name) > 200 {
		fail(x.T("err.venue_name"))
		return
	}
	if _, err := time.LoadLocation(zone); err != nil {
		fail(x.T("err.venue_zone", "zone", zone))
		return
	}
	if !slices.Contains([]hub.Mode{hub.ModeAPI, hub.ModeFile, hub.ModeManual}, mode) {
		fail(x.T("err.venue_mode"))
		return
	}
	if chain != "" && !hub.ValidChain(chain) {
		fail(x.T("err.venue_chain", "chain", chain))
		return
	}
	v := hub.Venue{ID: hub.NewID("ven"), Name: name, TimeZone: zone, Mode: mode, Chain: chain,
		CreatedAt: s.now().UTC()}
	if err := s.store.CreateVenue(r.Context(), v); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "create venue", err)
		return
	}
	s.log.Info("venue created", "venue", v.ID, "by", p.actor())
	http.Redirect(w, r, "/venues/"+v.ID, http.StatusSeeOther)
}

// venueEnroll makes a one-time enrollment code for the venue (support
// only) and shows it once.
func (s *Server) venueEnroll(w http.ResponseWriter, r *http.Request, p principal) {
	v, ok := s.allowedVenue(w, r, p)
	if !ok {
		return
	}
	if !p.support() {
		http.Error(w, "only support may enroll agents", http.StatusForbidden)
		return
	}
	code, e := NewEnrollment(v.ID, s.now().UTC(), enrollTTL)
	if err := s.store.CreateEnrollment(r.Context(), e); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "create enrollment", err)
		return
	}
	s.log.Info("enrollment code made", "venue", v.ID, "by", p.actor())
	d, err := s.venueData(r.Context(), v, "")
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "read venue", err)
		return
	}
	d.Code, d.CodeExpires = code, e.Expires.Format(time.RFC3339)
	s.render(w, r, http.StatusOK, "venue.html", s.frame(p, v.Name, d))
}

// phoneBooking is staff entering a booking taken by phone: held, then
// confirmed at once (sent to the RMS, or waiting for staff in manual mode).
func (s *Server) phoneBooking(w http.ResponseWriter, r *http.Request, p principal) {
	v, ok := s.allowedVenue(w, r, p)
	if !ok {
		return
	}
	x := textsOf(r)
	back := func(msg string) {
		http.Redirect(w, r, "/venues/"+v.ID+"?error="+urlQuery(msg)+"#bookings",
			http.StatusSeeOther)
	}
	if s.desk == nil {
		back(x.T("err.no_desk"))
		return
	}
	zone := venueZone(v)
	start, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("start"), zone)
	if err != nil {
		back(x.T("err.start"))
		return
	}
	party, err := strconv.Atoi(r.PostFormValue("party"))
	if err != nil || party < 1 {
		back(x.T("err.party"))
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		back(x.T("err.name"))
		return
	}
	b, err := s.desk.Hold(r.Context(), desk.Request{VenueID: v.ID, Start: start, Party: party,
		Name: name, Phone: strings.TrimSpace(r.PostFormValue("phone")),
		Comment: strings.TrimSpace(r.PostFormValue("comment")), Channel: desk.ChannelStaff,
		Actor: p.actor()})
	if err != nil && b.ID == "" {
		back(x.T("err.not_made", "why", words(err)))
		return
	}
	day := "/venues/" + v.ID + "?date=" + start.Format("2006-01-02")
	if _, err := s.desk.Confirm(r.Context(), b.ID, p.actor()); err != nil {
		s.log.Warn("phone booking held, but not confirmed", "booking", b.ID, "err", err)
		msg := x.T("err.held", "name", name, "why", words(err))
		http.Redirect(w, r, day+"&error="+urlQuery(msg)+"#bookings", http.StatusSeeOther)
		return
	}
	s.log.Info("phone booking", "booking", b.ID, "venue", v.ID, "by", p.actor())
	http.Redirect(w, r, day+"#bookings", http.StatusSeeOther)
}

// bookingAction is a staff action on a booking from the venue page.
func (s *Server) bookingAction(w http.ResponseWriter, r *http.Request, p principal) {
	b, err := s.store.Booking(r.Context(), r.PathValue("id"))
	if err != nil || !p.allows(b.VenueID) {
		s.notFound(w)
		return
	}
	back := "/venues/" + b.VenueID + "?date="
	if v, err := s.store.Venue(r.Context(), b.VenueID); err == nil {
		back += b.Start.In(venueZone(v)).Format("2006-01-02")
	}
	x := textsOf(r)
	if s.desk == nil {
		http.Redirect(w, r, back+"&error="+urlQuery(x.T("err.no_desk")),
			http.StatusSeeOther)
		return
	}
	ctx, actor := r.Context(), p.actor()
	reason := staffReason(r.PostFormValue("reason"), r.PostFormValue("note"))
	switch r.PathValue("action") {
	case "confirm":
		_, err = s.desk.StaffConfirm(ctx, b.ID, actor)
	case "decline":
		_, err = s.desk.Decline(ctx, b.ID, actor, reason)
	case "seat":
		_, err = s.desk.Seat(ctx, b.ID, actor)
	case "cancel":
		_, err = s.desk.Cancel(ctx, b.ID, actor, reason)
	default:
		s.notFound(w)
		return
	}
	if err != nil {
		msg := words(err)
		if !errors.Is(err, hub.ErrBadTransition) {
			s.log.Warn("staff action failed", "booking", b.ID, "action",
				r.PathValue("action"), "err", err)
		}
		http.Redirect(w, r, back+"&error="+urlQuery(x.T("err.not_done", "why", msg))+
			"#bookings",
			http.StatusSeeOther)
		return
	}
	s.log.Info("staff action", "booking", b.ID, "action", r.PathValue("action"), "by", actor)
	http.Redirect(w, r, back+"#bookings", http.StatusSeeOther)
}
