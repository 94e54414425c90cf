package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/hub/desk"
)

// SetDesk gives the server the booking service; until it is set, the
// booking endpoints answer 503.
func (s *Server) SetDesk(d *desk.Desk) { s.desk = d }

// maxBody bounds the JSON bodies the booking endpoints read.
const maxBody = 64 << 10

// SlotView is a bookable start time as the API shows it: the seating's
// start and end (without the venue's buffer) in UTC, and its tables.
type SlotView struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	TableIDs []string  `json:"table_ids"`
}

func slotViews(list []booking.Slot) []SlotView {
	out := make([]SlotView, 0, len(list))
	for _, sl := range list {
		ids := sl.TableIDs
		if ids == nil {
			ids = []string{}
		}
		out = append(out, SlotView{Start: sl.Start.UTC(), End: sl.End.UTC(), TableIDs: ids})
	}
	return out
}

// AvailabilityResponse is the body of GET /api/v1/venues/{id}/availability.
type AvailabilityResponse struct {
	VenueID string     `json:"venue_id"`
	Date    string     `json:"date"`
	Party   int        `json:"party"`
	Slots   []SlotView `json:"slots"`
}

// CreateBookingRequest is the body of POST /api/v1/venues/{id}/bookings.
type CreateBookingRequest struct {
	Start    time.Time `json:"start"`
	Party    int       `json:"party"`
	Name     string    `json:"name"`
	Phone    string    `json:"phone,omitempty"`
	Comment  string    `json:"comment,omitempty"`
	GuestID  string    `json:"guest_id,omitempty"`
	TableIDs []string  `json:"table_ids,omitempty"`
	// Channel is where the booking comes from; default "api". "staff"
	// books as staff: allowed while online sales are paused, at short
	// notice and for large parties.
	Channel string `json:"channel,omitempty"`
	// Confirm true confirms the booking at once (Hold, then Confirm).
	Confirm bool `json:"confirm,omitempty"`
}

// ReasonRequest is the optional body of cancel and staff actions.
type ReasonRequest struct {
	Reason string `json:"reason,omitempty"`
}

// problem is an error body: the words and, when one input is at fault,
// its name; for paused sales the reason.
type problem struct {
	Error  string `json:"error"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// takenBody is the 409 body of a taken slot: other times to offer.
type takenBody struct {
	Error        string     `json:"error"`
	Alternatives []SlotView `json:"alternatives"`
}

func badRequest(w http.ResponseWriter, field, format string, args ...any) {
	writeJSON(w, http.StatusBadRequest, problem{Error: fmt.Sprintf(format, args...), Field: field})
}

// ready answers 503 when no desk is set.
func (s *Server) ready(w http.ResponseWriter) bool {
	if s.desk == nil {
		writeJSON(w, http.StatusServiceUnavailable, problem{
			Error: "booking is not enabled on this hub", Reason: "no booking service"})
		return false
	}
	return true
}

// venueFor authenticates the request and loads the venue in its path:
// 401 without a valid key, 404 for an unknown venue, 403 when the key may
// not act for it.
func (s *Server) venueFor(w http.ResponseWriter, r *http.Request) (hub.Venue, hub.APIKey,
	bool) {
	k, ok := s.apiKey(w, r)
	if !ok {
		return hub.Venue{}, k, false
	}
	v, err := s.store.Venue(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, "venue", err)
		return hub.Venue{}, k, false
	}
	return v, k, forVenue(w, k, v.ID)
}

// bookingFor is venueFor for a booking in the path.
func (s *Server) bookingFor(w http.ResponseWriter, r *http.Request) (hub.Booking, hub.APIKey,
	bool) {
	k, ok := s.apiKey(w, r)
	if !ok {
		return hub.Booking{}, k, false
	}
	b, err := s.store.Booking(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, "booking", err)
		return hub.Booking{}, k, false
	}
	return b, k, forVenue(w, k, b.VenueID)
}

// decode reads a JSON body into v; an empty body leaves v as it is when
// optional. Unknown fields are refused so a misspelt one is not ignored.
func decode(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var te *json.UnmarshalTypeError
	var tp *time.ParseError
	switch {
	case err == nil:
		return true
	case errors.Is(err, io.EOF) && optional:
		return true
	case errors.Is(err, io.EOF):
		badRequest(w, "", "send a JSON body")
	case errors.As(err, &te):
		badRequest(w, te.Field, "%s: want a %s, not a %s", te.Field, te.Type, te.Value)
	case errors.As(err, &tp):
		badRequest(w, "", "a time is not RFC 3339 (such as 2026-12-31T19:00:00Z): %v", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		badRequest(w, field, "unknown field %q", field)
	default:
		badRequest(w, "", "the body is not valid JSON: %v", err)
	}
	return false
}

// fieldOf names the input at fault for a booking engine error.
func fieldOf(err error) string {
	switch {
	case errors.Is(err, booking.ErrParty), errors.Is(err, booking.ErrLargeParty):
		return "party"
	case errors.Is(err, booking.ErrPast), errors.Is(err, booking.ErrTooSoon),
		errors.Is(err, booking.ErrTooFar), errors.Is(err, booking.ErrClosed),
		errors.Is(err, booking.ErrOutsideHours):
		return "start"
	case errors.Is(err, booking.ErrTable):
		return "table_ids"
	case errors.Is(err, booking.ErrGuestLimit), errors.Is(err, booking.ErrGuestOverlap):
		return "guest_id"
	}
	return ""
}

// words drops the desk's operation prefixes ("hold: ", "confirm: ") from an
// error message, leaving the words a person can act on.
func words(err error) string {
	msg := err.Error()
	for {
		op, rest, ok := strings.Cut(msg, ": ")
		if !ok || !slices.Contains([]string{"hold", "confirm", "cancel", "accept", "refuse",
			"seat", "no_show", "complete"}, op) {
			return msg
		}
		msg = rest
	}
}

// deskError answers an error of the booking service with the status that
// says whose fault it was. See the package documentation of the statuses.
func (s *Server) deskError(w http.ResponseWriter, r *http.Request, what string, err error) {
	var taken *desk.TakenError
	switch {
	case errors.As(err, &taken):
		writeJSON(w, http.StatusConflict, takenBody{Error: words(err) +
			"; choose one of the alternatives", Alternatives: slotViews(taken.Alternatives)})
	case errors.Is(err, desk.ErrPaused):
		msg := err.Error()
		reason := msg
		if i := strings.Index(msg, desk.ErrPaused.Error()+": "); i >= 0 {
			reason = msg[i+len(desk.ErrPaused.Error())+2:]
		}
		writeJSON(w, http.StatusServiceUnavailable,
			problem{Error: desk.ErrPaused.Error() + "; try again later", Reason: reason})
	case errors.Is(err, booking.ErrLate):
		writeJSON(w, http.StatusGone, problem{Error: words(err)})
	case errors.Is(err, hub.ErrBadTransition), errors.Is(err, booking.ErrCancelCutoff),
		errors.Is(err, booking.ErrPacing), errors.Is(err, booking.ErrGuestLimit),
		errors.Is(err, booking.ErrGuestOverlap), errors.Is(err, hub.ErrConflict):
		writeJSON(w, http.StatusConflict, problem{Error: words(err), Field: fieldOf(err)})
	case errors.Is(err, booking.ErrParty), errors.Is(err, booking.ErrLargeParty),
		errors.Is(err, booking.ErrPast), errors.Is(err, booking.ErrTooSoon),
		errors.Is(err, booking.ErrTooFar), errors.Is(err, booking.ErrClosed),
		errors.Is(err, booking.ErrOutsideHours), errors.Is(err, booking.ErrTable),
		errors.Is(err, hub.ErrInvalid):
		writeJSON(w, http.StatusBadRequest, problem{Error: words(err), Field: fieldOf(err)})
	case errors.Is(err, hub.ErrNotFound):
		writeJSON(w, http.StatusNotFound, problem{Error: "no such " + what})
	default:
		s.fail(w, r, http.StatusInternalServerError, what, err)
	}
}

func (s *Server) getVenue(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok {
		return
	}
	var p hub.Policy
	if !decode(w, r, &p, false) {
		return
	}
	if err := booking.ValidatePolicy(p); err != nil {
		msg := strings.TrimPrefix(err.Error(), booking.ErrPolicy.Error()+": ")
		first, _, _ := strings.Cut(msg, "\n")
		field, _, _ := strings.Cut(first, ": ")
		writeJSON(w, http.StatusBadRequest, problem{Error: err.Error(), Field: field})
		return
	}
	v.Policy = p
	if err := s.store.UpdateVenue(r.Context(), v); err != nil {
		s.storeError(w, r, "venue", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok || !s.ready(w) {
		return
	}
	q := r.URL.Query()
	date, err := booking.ParseDate(q.Get("date"))
	if err != nil {
		badRequest(w, "date", "date: want the venue's local date as YYYY-MM-DD")
		return
	}
	party, err := strconv.Atoi(q.Get("party"))
	if err != nil {
		badRequest(w, "party", "party: want the number of guests, such as party=2")
		return
	}
	slots, err := s.desk.Availability(r.Context(), v.ID, date, party, q.Get("guest_id"))
	if err != nil {
		s.deskError(w, r, "venue", err)
		return
	}
	writeJSON(w, http.StatusOK, AvailabilityResponse{VenueID: v.ID, Date: date.String(),
		Party: party, Slots: slotViews(slots)})
}

func (s *Server) createBooking(w http.ResponseWriter, r *http.Request) {
	v, k, ok := s.venueFor(w, r)
	if !ok || !s.ready(w) {
		return
	}
	var req CreateBookingRequest
	if !decode(w, r, &req, false) {
		return
	}
	switch {
	case req.Start.IsZero():
		badRequest(w, "start", "start: want the time as RFC 3339, such as 2026-12-31T19:00:00Z")
		return
	case strings.TrimSpace(req.Name) == "":
		badRequest(w, "name", "name: say who the table is for")
		return
	}
	if req.Channel == "" {
		req.Channel = "api"
	}
	idem := r.Header.Get("Idempotency-Key")
	if len(idem) > 200 {
		badRequest(w, "Idempotency-Key", "Idempotency-Key: at most 200 characters")
		return
	}
	first, err := s.byKey(r, v.ID, req.Start, idem)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "look up idempotency key", err)
		return
	}
	code, b := http.StatusOK, first
	if first.ID == "" {
		dr := desk.Request{VenueID: v.ID, Start: req.Start, Party: req.Party,
			GuestID: req.GuestID, Name: req.Name, Phone: req.Phone, Comment: req.Comment,
			Channel: req.Channel, IdempotencyKey: idem, TableIDs: req.TableIDs}
		if req.Channel == desk.ChannelStaff {
			dr.Actor = "staff:" + k.ID
		}
		b, err = s.desk.Hold(r.Context(), dr)
		if err != nil && b.ID == "" {
			s.deskError(w, r, "venue", err)
			return
		}
		if err != nil {
			s.log.Warn("booking held, but its follow-up failed", "booking", b.ID, "err", err)
		}
		code = http.StatusCreated
	}
	if req.Confirm && b.State == hub.BookingHeld {
		nb, err := s.desk.Confirm(r.Context(), b.ID, actor(k, b))
		if !s.moved(w, r, b, nb, err) {
			return
		}
		b = nb
	}
	writeJSON(w, code, b)
}

// byKey returns the booking an earlier create with this idempotency key
// made at the venue, or a zero booking.
func (s *Server) byKey(r *http.Request, venueID string, start time.Time,
	key string) (hub.Booking, error) {
	if key == "" {
		return hub.Booking{}, nil
	}
	list, err := s.store.Bookings(r.Context(), hub.BookingQuery{VenueID: venueID,
		From: start, To: start.Add(time.Nanosecond)})
	if err != nil {
		return hub.Booking{}, err
	}
	for _, b := range list {
		if b.IdempotencyKey == key {
			return b, nil
		}
	}
	return hub.Booking{}, nil
}

// actor is who acts for a guest through the API: the guest when known,
// else the key.
func actor(k hub.APIKey, b hub.Booking) string {
	if b.GuestID != "" {
		return "guest:" + b.GuestID
	}
	return "api:" + k.ID
}

// moved answers a desk error after a state change: when the booking did
// move (its state is not before's) but what follows, such as sending the
// command to the agent, failed, the move stands: the error is logged and
// the caller answers with the booking. It returns whether to answer so.
func (s *Server) moved(w http.ResponseWriter, r *http.Request, before, b hub.Booking,
	err error) bool {
	if err == nil {
		return true
	}
	if b.ID != "" && b.State != before.State {
		s.log.Warn("booking moved, but its follow-up failed", "booking", b.ID,
			"state", b.State, "err", err)
		return true
	}
	s.deskError(w, r, "booking", err)
	return false
}

func (s *Server) getBooking(w http.ResponseWriter, r *http.Request) {
	b, _, ok := s.bookingFor(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) listBookings(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.venueFor(w, r)
	if !ok {
		return
	}
	q := hub.BookingQuery{VenueID: v.ID}
	vals := r.URL.Query()
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := vals.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				badRequest(w, p.name, "%s: want RFC 3339, such as 2026-12-31T00:00:00Z", p.name)
				return
			}
			*p.to = t
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		badRequest(w, "to", "to must be after from")
		return
	}
	for _, list := range vals["state"] {
		for st := range strings.SplitSeq(list, ",") {
			state := hub.BookingState(strings.TrimSpace(st))
			if _, known := hub.Transitions[state]; !known && !terminal(state) {
				badRequest(w, "state", "state %q: want one of held, requested, confirmed, "+
					"seated, declined, expired, cancelled, no_show, completed", st)
				return
			}
			q.States = append(q.States, state)
		}
	}
	list, err := s.store.Bookings(r.Context(), q)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "list bookings", err)
		return
	}
	if list == nil {
		list = []hub.Booking{}
	}
	writeJSON(w, http.StatusOK, list)
}

func terminal(s hub.BookingState) bool {
	switch s {
	case hub.BookingDeclined, hub.BookingExpired, hub.BookingCancelled, hub.BookingNoShow,
		hub.BookingCompleted:
		return true
	}
	return false
}

// AlternativesResponse is the body of GET /api/v1/bookings/{id}/alternatives.
type AlternativesResponse struct {
	BookingID    string     `json:"booking_id"`
	Alternatives []SlotView `json:"alternatives"`
}

// alternatives offers other start times for a booking's party, nearest
// first, without the booking's own tables at its time (after the RMS
// refused them).
func (s *Server) alternatives(w http.ResponseWriter, r *http.Request) {
	b, _, ok := s.bookingFor(w, r)
	if !ok || !s.ready(w) {
		return
	}
	slots, err := s.desk.Alternatives(r.Context(), b.ID)
	if err != nil {
		s.deskError(w, r, "booking", err)
		return
	}
	writeJSON(w, http.StatusOK, AlternativesResponse{BookingID: b.ID,
		Alternatives: slotViews(slots)})
}

func (s *Server) confirmBooking(w http.ResponseWriter, r *http.Request) {
	b, k, ok := s.bookingFor(w, r)
	if !ok || !s.ready(w) {
		return
	}
	nb, err := s.desk.Confirm(r.Context(), b.ID, actor(k, b))
	if !s.moved(w, r, b, nb, err) {
		return
	}
	writeJSON(w, http.StatusOK, nb)
}

func (s *Server) cancelBooking(w http.ResponseWriter, r *http.Request) {
	b, k, ok := s.bookingFor(w, r)
	if !ok || !s.ready(w) {
		return
	}
	var req ReasonRequest
	if !decode(w, r, &req, true) {
		return
	}
	nb, err := s.desk.Cancel(r.Context(), b.ID, actor(k, b), req.Reason)
	if !s.moved(w, r, b, nb, err) {
		return
	}
	writeJSON(w, http.StatusOK, nb)
}

func (s *Server) staffAction(w http.ResponseWriter, r *http.Request) {
	b, k, ok := s.bookingFor(w, r)
	if !ok || !s.ready(w) {
		return
	}
	var req ReasonRequest
	if !decode(w, r, &req, true) {
		return
	}
	staff := "staff:" + k.ID
	ctx := r.Context()
	var (
		nb  hub.Booking
		err error
	)
	switch a := r.PathValue("action"); a {
	case "confirm":
		nb, err = s.desk.StaffConfirm(ctx, b.ID, staff)
	case "decline":
		nb, err = s.desk.Decline(ctx, b.ID, staff, req.Reason)
	case "seat":
		nb, err = s.desk.Seat(ctx, b.ID, staff)
	case "no-show":
		nb, err = s.desk.NoShow(ctx, b.ID, staff)
	case "complete":
		nb, err = s.desk.Complete(ctx, b.ID, staff)
	default:
		writeJSON(w, http.StatusNotFound, problem{Error: fmt.Sprintf("no staff action %q; "+
			"want confirm, decline, seat, no-show or complete", a), Field: "action"})
		return
	}
	if !s.moved(w, r, b, nb, err) {
		return
	}
	writeJSON(w, http.StatusOK, nb)
}
