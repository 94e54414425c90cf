// Package desk is the hub's booking service: it joins the booking engine
// (package booking, pure decisions), the store (hub.Store) and the agents
// (commands through the store, hub.Fleet to wake an agent's connection).
// The HTTP API calls it; the gateway reports command results and applied
// batches to it; the scheduler runs its jobs.
//
// Every state change goes through hub.Store.TransitionBooking with an actor
// ("guest:<id>", "staff:<id>", booking.ActorRMS, booking.ActorSystem), so
// the booking's audit log says who did what, and Options.OnChange hears of
// it (the Telegram bot tells the guest). Every entry point is idempotent:
// an event seen twice moves a booking once.
//
// # Command results
//
// A reservation.create result that is OK confirms the booking with the
// RMS's reservation id. One that says the RMS refused (wire.CodeRefused),
// cannot do it (wire.CodeUnsupported) or found the request bad
// (wire.CodeBadRequest) declines it: the reservation was certainly not
// written. A command that failed, was interrupted or expired leaves the
// booking requested: the RMS may still have written it, and the mirror
// (FollowMirror) or the confirm timeout settles it honestly.
//
// A venue whose agent cannot write reservations (its connector does not
// report agent.CapabilityReservations: Quick Resto, a read-only database)
// is confirmed by staff, as in manual mode: no create command is sent. A
// reservation.cancel that the agent could not carry out (Poster has no
// cancel call) becomes a task for staff at the till (Options.OnTillTask).
//
// A reservation.update (a staff Move) that is OK moves the booking to where
// the RMS now holds the reservation; one the agent cannot carry out
// (wire.CodeUnsupported) moves it as staff asked and leaves a staff notice
// to move the reservation at the till; any other result leaves the booking
// where it was, with a staff notice saying why.
package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

// Job kinds the desk schedules; Handlers runs them.
const (
	// JobHoldExpiry expires a held booking at its HoldUntil.
	JobHoldExpiry = "booking.hold_expiry"
	// JobConfirmTimeout expires a requested booking the RMS or staff did
	// not answer in time, and alerts staff.
	JobConfirmTimeout = "booking.confirm_timeout"
	// JobDue applies what the clock does to a confirmed or seated booking
	// (a no-show, the end of its time); see booking.Due.
	JobDue = "booking.due"
)

// DefaultAlternatives is how many other start times a taken or refused
// booking is offered.
const DefaultAlternatives = 5

// alternativesWindow bounds how far after the wanted time alternatives are
// looked for, so one refusal does not read a month of blocks.
const alternativesWindow = 7 * 24 * time.Hour

// ErrPaused means the venue's online sales are paused; the error says why.
var ErrPaused = errors.New("online booking is temporarily unavailable")

// TakenError is returned by Hold when the tables are no longer free: the
// conflict (nil when no table of the venue fits at all) and other start
// times to offer. errors.Is(err, hub.ErrConflict) is true.
type TakenError struct {
	Conflict     *hub.ConflictError
	Alternatives []booking.Slot
}

// Error says what is in the way.
func (e *TakenError) Error() string {
	if e.Conflict == nil {
		return "no table is free at that time"
	}
	return e.Conflict.Error()
}

// Unwrap makes errors.Is(err, hub.ErrConflict) true.
func (e *TakenError) Unwrap() error {
	if e.Conflict == nil {
		return hub.ErrConflict
	}
	return e.Conflict
}

// Options configure a Desk. Zero values take the defaults.
type Options struct {
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives staff alerts and what an operator needs; nil
	// discards.
	Logger *slog.Logger
	// Replica names this hub replica, for the log.
	Replica string
	// Alternatives is how many alternatives to offer; default
	// DefaultAlternatives.
	Alternatives int
	// OnChange, if set, is called after every transition the desk makes
	// (guest, staff, RMS results, the mirror, jobs), with the state the
	// booking left and the booking as it is now. It runs on the caller's
	// goroutine, so it should be quick; a change another replica makes is
	// not seen here (the Telegram bot sweeps for those).
	OnChange func(ctx context.Context, from hub.BookingState, b hub.Booking)
	// OnTillTask, if set, is called when staff must do something at the
	// RMS's till that the agent could not: cancel the reservation of a
	// cancelled booking the RMS's API cannot cancel (Poster) or did not.
	// reason is the RMS's words. The mirror shows when staff have done it.
	OnTillTask func(ctx context.Context, b hub.Booking, reason string)
}

// Desk is the booking service. It is safe for concurrent use: all state
// lives in the store.
type Desk struct {
	store hub.Store
	fleet hub.Fleet
	now   func() time.Time
	log   *slog.Logger
	alts  int
	// onChange is Options.OnChange, or a no-op.
	onChange func(ctx context.Context, from hub.BookingState, b hub.Booking)
	// onTillTask is Options.OnTillTask, or a no-op.
	onTillTask func(ctx context.Context, b hub.Booking, reason string)
}

// New returns a desk over store and fleet.
func New(store hub.Store, fleet hub.Fleet, opts Options) *Desk {
	d := &Desk{store: store, fleet: fleet, now: opts.Now, log: opts.Logger,
		alts: opts.Alternatives, onChange: opts.OnChange, onTillTask: opts.OnTillTask}
	if d.onTillTask == nil {
		d.onTillTask = func(context.Context, hub.Booking, string) {}
	}
	if d.onChange == nil {
		d.onChange = func(context.Context, hub.BookingState, hub.Booking) {}
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Replica != "" {
		d.log = d.log.With("replica", opts.Replica)
	}
	if d.alts <= 0 {
		d.alts = DefaultAlternatives
	}
	return d
}

// Request asks to hold a table.
type Request struct {
	VenueID string
	Start   time.Time
	Party   int
	GuestID string
	Name    string
	Phone   string
	Comment string
	// Channel is where the request came from: telegram, api, staff. A
	// staff request is taken while online sales are paused, and may be at
	// short notice or for a large party.
	Channel string
	// IdempotencyKey, if set, makes a retried request return the first
	// booking.
	IdempotencyKey string
	// TableIDs, if set, are the tables staff chose; else Assign chooses.
	TableIDs []string
	// Actor is who asks, for the audit log: "staff:<id>" for staff;
	// empty means "guest:<GuestID>" (or "channel:<Channel>" without a
	// guest).
	Actor string
}

// ChannelStaff is the Channel of bookings staff make.
const ChannelStaff = "staff"

// venue is what the desk reads about a venue for one decision.
type venue struct {
	hub.Venue
	engine booking.Venue
}

func (d *Desk) loadVenue(ctx context.Context, id string) (venue, error) {
	v, err := d.store.Venue(ctx, id)
	if err != nil {
		return venue{}, fmt.Errorf("load venue: %w", err)
	}
	zone, err := time.LoadLocation(v.TimeZone)
	if err != nil {
		return venue{}, fmt.Errorf("venue %s time zone: %w", id, err)
	}
	tables, err := d.store.Tables(ctx, id)
	if err != nil {
		return venue{}, fmt.Errorf("load tables: %w", err)
	}
	groups, err := d.store.TableGroups(ctx, id)
	if err != nil {
		return venue{}, fmt.Errorf("load table groups: %w", err)
	}
	return venue{Venue: v, engine: booking.Venue{ID: v.ID, Zone: zone, Policy: v.Policy,
		Tables: tables, Groups: groups}}, nil
}

// agent returns the venue's agent that is not revoked.
func (d *Desk) agent(ctx context.Context, venueID string) (hub.Agent, error) {
	agents, err := d.store.AgentsOfVenue(ctx, venueID)
	if err != nil {
		return hub.Agent{}, fmt.Errorf("load agents of venue %s: %w", venueID, err)
	}
	for _, a := range agents {
		if a.VenueID == venueID && a.RevokedAt == nil {
			return a, nil
		}
	}
	return hub.Agent{}, fmt.Errorf("agent of venue %s: %w", venueID, hub.ErrNotFound)
}

// paused returns ErrPaused with the reason when v's online sales are paused.
func (d *Desk) paused(ctx context.Context, v venue) error {
	if v.Mode == hub.ModeManual {
		return nil
	}
	var (
		live     bool
		lastSeen time.Time
		health   wire.ConnectorHealth
	)
	a, err := d.agent(ctx, v.ID)
	switch {
	case err == nil:
		live = d.fleet.Live(a.ID).Connected
		lastSeen, health = a.Status.LastSeen, a.Status.Health
	case !errors.Is(err, hub.ErrNotFound):
		return err
	}
	if p, why := booking.Paused(v.Mode, live, lastSeen, health, v.Policy, d.now()); p {
		return fmt.Errorf("%w: %s", ErrPaused, why)
	}
	return nil
}

// book reads what is in v's book over [from, to): blocks and seatings.
func (d *Desk) book(ctx context.Context, v venue, from, to time.Time) (booking.Book, error) {
	// Open orders block for the venue's learned turn time once enough
	// orders have closed (hub.OccupancyTurn): the store computes the
	// blocks, so availability and its conflict check agree.
	blocks, err := d.store.Blocks(ctx, v.ID, from, to)
	if err != nil {
		return booking.Book{}, fmt.Errorf("load blocks: %w", err)
	}
	// RMS reservations that name no table hold one of the tables left.
	unplaced, err := d.store.UnplacedReservations(ctx, v.ID, from, to)
	if err != nil {
		return booking.Book{}, fmt.Errorf("load reservations without tables: %w", err)
	}
	book := booking.Book{Blocks: booking.HoldUnplaced(v.engine, blocks, unplaced)}
	if v.Policy.Pacing <= 0 {
		return book, nil
	}
	bookings, err := d.store.Bookings(ctx, hub.BookingQuery{VenueID: v.ID, From: from, To: to})
	if err != nil {
		return booking.Book{}, fmt.Errorf("load bookings: %w", err)
	}
	state, err := d.store.VenueState(ctx, v.ID)
	if err != nil {
		return booking.Book{}, fmt.Errorf("load mirror: %w", err)
	}
	book.Seatings = booking.Seatings(bookings, state.Reservations)
	return book, nil
}

// guestBookings returns the guest's bookings at every venue, nil for none.
func (d *Desk) guestBookings(ctx context.Context, guestID string) ([]hub.Booking, error) {
	if guestID == "" {
		return nil, nil
	}
	list, err := d.store.Bookings(ctx, hub.BookingQuery{GuestID: guestID})
	if err != nil {
		return nil, fmt.Errorf("load guest bookings: %w", err)
	}
	if list == nil {
		list = []hub.Booking{}
	}
	return list, nil
}

// dayRange is the range whose blocks matter for the starts of date: the
// date and the next day, for services that close after midnight.
func dayRange(date booking.Date, zone *time.Location) (time.Time, time.Time) {
	return date.Start(zone), date.AddDays(2).Start(zone)
}

// Availability returns the start times a party can book at a venue on a
// local date, each with its tables; guestID, if set, applies the guest's
// limits. When the venue's online sales are paused it returns ErrPaused
// with the reason.
func (d *Desk) Availability(ctx context.Context, venueID string, date booking.Date, party int,
	guestID string) ([]booking.Slot, error) {
	v, err := d.loadVenue(ctx, venueID)
	if err != nil {
		return nil, err
	}
	if err := d.paused(ctx, v); err != nil {
		return nil, err
	}
	from, to := dayRange(date, v.engine.Zone)
	book, err := d.book(ctx, v, from, to)
	if err != nil {
		return nil, err
	}
	guest, err := d.guestBookings(ctx, guestID)
	if err != nil {
		return nil, err
	}
	return booking.Availability(v.engine, book,
		booking.Query{Date: date, Party: party, Now: d.now(), Guest: guest})
}

// Hold holds tables for a request while the guest confirms: a held
// booking that expires at now plus the venue's HoldTTL. A request with
// the IdempotencyKey of an earlier one returns that booking. Tables no
// longer free are a *TakenError with alternatives; a request the venue's
// rules refuse is an error wrapping the booking package's sentinels.
func (d *Desk) Hold(ctx context.Context, r Request) (hub.Booking, error) {
	v, err := d.loadVenue(ctx, r.VenueID)
	if err != nil {
		return hub.Booking{}, err
	}
	if first, ok, err := d.byKey(ctx, r); err != nil || ok {
		return first, err
	}
	staff := r.Channel == ChannelStaff
	if !staff {
		if err := d.paused(ctx, v); err != nil {
			return hub.Booking{}, err
		}
	}
	now := d.now()
	p := booking.Effective(v.Policy)
	b := hub.Booking{
		ID: hub.NewID("bkg"), VenueID: v.ID, TableIDs: slices.Clone(r.TableIDs),
		Start: r.Start.UTC(), Party: r.Party, State: hub.BookingHeld, GuestID: r.GuestID,
		Name: r.Name, Phone: r.Phone, Comment: r.Comment, Channel: r.Channel,
		HoldUntil: now.Add(time.Duration(p.HoldTTL)), IdempotencyKey: r.IdempotencyKey,
		CreatedAt: now, UpdatedAt: now,
	}
	b.End = b.Start.Add(p.TurnTime(r.Party) + time.Duration(p.Buffer))

	book, err := d.book(ctx, v, b.Start.Add(-24*time.Hour), b.End.Add(24*time.Hour))
	if err != nil {
		return hub.Booking{}, err
	}
	if len(b.TableIDs) == 0 {
		tables, _, ok := booking.Assign(v.engine, book.Blocks, r.Party, b.Start, b.End)
		if !ok {
			// Let Availability (party sizes the venue takes, the date)
			// and Check (hours, lead time) say why; if only the tables
			// are in the way, offer other times.
			_, err := booking.Availability(v.engine, book, booking.Query{
				Date: booking.DateOf(b.Start, v.engine.Zone), Party: b.Party, Now: now})
			if err == nil {
				err = booking.Check(v.engine, book, b, now)
			}
			if err := rules(err, staff, booking.ErrTable); err != nil {
				return hub.Booking{}, fmt.Errorf("hold: %w", err)
			}
			return hub.Booking{}, d.taken(ctx, v, b, nil)
		}
		b.TableIDs = tables
	}
	err = booking.Check(v.engine, book, b, now)
	if err := rules(err, staff); err != nil {
		return hub.Booking{}, fmt.Errorf("hold: %w", err)
	}
	if ce := (*hub.ConflictError)(nil); errors.As(err, &ce) {
		return hub.Booking{}, d.taken(ctx, v, b, ce)
	}
	if !staff {
		guest, err := d.guestBookings(ctx, r.GuestID)
		if err != nil {
			return hub.Booking{}, err
		}
		if err := booking.CheckGuest(v.engine, b, guest, now); err != nil {
			return hub.Booking{}, fmt.Errorf("hold: %w", err)
		}
	}

	actor := actorOf(r)
	got, err := d.store.CreateBooking(ctx, b, actor)
	switch ce := (*hub.ConflictError)(nil); {
	case errors.Is(err, hub.ErrExists) && r.IdempotencyKey != "":
		return got, nil
	case errors.As(err, &ce):
		return hub.Booking{}, d.taken(ctx, v, b, ce)
	case err != nil:
		return hub.Booking{}, fmt.Errorf("create booking: %w", err)
	}
	if err := d.schedule(ctx, got, v); err != nil {
		return got, err
	}
	return got, nil
}

// byKey finds the booking an earlier request with r's idempotency key
// made, whatever it asked for; CreateBooking still guards a race.
func (d *Desk) byKey(ctx context.Context, r Request) (hub.Booking, bool, error) {
	if r.IdempotencyKey == "" {
		return hub.Booking{}, false, nil
	}
	b, err := d.store.BookingByKey(ctx, r.VenueID, r.IdempotencyKey)
	switch {
	case errors.Is(err, hub.ErrNotFound):
		return hub.Booking{}, false, nil
	case err != nil:
		return hub.Booking{}, false, fmt.Errorf("find booking by key: %w", err)
	}
	return b, true, nil
}

// rules drops from err what is not a rule of the request itself (an
// overlap, and the errors in drop: Hold reports those as taken) and, for
// staff, what staff may accept (short notice, a large party).
func rules(err error, staff bool, drop ...error) error {
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var keep []error
	for _, e := range list {
		switch {
		case errors.Is(e, hub.ErrConflict):
		case slices.ContainsFunc(drop, func(d error) bool { return errors.Is(e, d) }):
		case staff && (errors.Is(e, booking.ErrTooSoon) || errors.Is(e, booking.ErrLargeParty)):
		default:
			keep = append(keep, e)
		}
	}
	return errors.Join(keep...)
}

func actorOf(r Request) string {
	switch {
	case r.Actor != "":
		return r.Actor
	case r.GuestID != "":
		return "guest:" + r.GuestID
	}
	return "channel:" + r.Channel
}

// taken builds the *TakenError for b with the alternatives to it.
func (d *Desk) taken(ctx context.Context, v venue, b hub.Booking,
	ce *hub.ConflictError) error {
	alts, err := d.alternatives(ctx, v, b, nil)
	if err != nil {
		return err
	}
	return &TakenError{Conflict: ce, Alternatives: alts}
}

// alternatives returns other start times for b's party, nearest first,
// with extra blocks added to the book.
func (d *Desk) alternatives(ctx context.Context, v venue, b hub.Booking,
	extra []hub.Block) ([]booking.Slot, error) {
	now := d.now()
	// Offer times up to a week after the wanted one (and within the
	// horizon), reading the blocks of just that range.
	until := b.Start.Add(alternativesWindow)
	horizon := min(time.Duration(booking.Effective(v.Policy).Horizon), until.Sub(now))
	if horizon <= 0 {
		return nil, nil
	}
	book, err := d.book(ctx, v, b.Start.Add(-48*time.Hour), until.Add(48*time.Hour))
	if err != nil {
		return nil, err
	}
	book.Blocks = append(book.Blocks, extra...)
	guest, err := d.guestBookings(ctx, b.GuestID)
	if err != nil {
		return nil, err
	}
	ev := v.engine
	ev.Policy.Horizon = wire.Duration(horizon)
	return booking.Alternatives(ev, book, booking.Query{Party: b.Party, Now: now, Guest: guest},
		b.Start, d.alts), nil
}

// Alternatives returns other start times for a booking's party, nearest
// to its start first, with the booking's own tables at its time left out
// (after the RMS refused them).
func (d *Desk) Alternatives(ctx context.Context, bookingID string) ([]booking.Slot, error) {
	b, err := d.store.Booking(ctx, bookingID)
	if err != nil {
		return nil, fmt.Errorf("load booking: %w", err)
	}
	v, err := d.loadVenue(ctx, b.VenueID)
	if err != nil {
		return nil, err
	}
	var extra []hub.Block
	for _, t := range b.TableIDs {
		extra = append(extra, hub.Block{TableID: t, Start: b.Start, End: b.End,
			Kind: hub.BlockReservation, Ref: b.ID})
	}
	return d.alternatives(ctx, v, b, extra)
}

// apply moves booking id by event e: it loads the booking and its venue,
// asks booking.Next, applies the transition and schedules what the clock
// does next. It returns the booking as it is afterwards.
func (d *Desk) apply(ctx context.Context, id string, e booking.Event) (hub.Booking, venue,
	bool, error) {
	b, err := d.store.Booking(ctx, id)
	if err != nil {
		return hub.Booking{}, venue{}, false, fmt.Errorf("load booking: %w", err)
	}
	v, err := d.loadVenue(ctx, b.VenueID)
	if err != nil {
		return b, venue{}, false, err
	}
	if e.At.IsZero() {
		e.At = d.now()
	}
	t, ok, err := booking.Next(b, v.Policy, e)
	if err != nil || !ok {
		return b, v, false, err
	}
	nb, err := d.store.TransitionBooking(ctx, id, t)
	if err != nil {
		return b, v, false, fmt.Errorf("move booking %s to %s: %w", id, t.To, err)
	}
	d.log.Info("booking moved", "booking", id, "from", b.State, "to", nb.State,
		"actor", t.Actor, "reason", t.Reason)
	d.onChange(ctx, b.State, nb)
	if err := d.schedule(ctx, nb, v); err != nil {
		return nb, v, true, err
	}
	return nb, v, true, nil
}

// jobPayload is the body of the desk's jobs.
type jobPayload struct {
	BookingID string `json:"booking_id"`
}

// schedule stores the job for what the clock does next to b, if anything.
// The job's id names the booking and its state, so a job running never
// replaces itself, and scheduling twice keeps one job.
func (d *Desk) schedule(ctx context.Context, b hub.Booking, v venue) error {
	at := booking.When(b, v.Policy, v.Mode)
	if at.IsZero() {
		return nil
	}
	kind := JobDue
	switch b.State {
	case hub.BookingHeld:
		kind = JobHoldExpiry
	case hub.BookingRequested:
		kind = JobConfirmTimeout
	}
	body, err := json.Marshal(jobPayload{BookingID: b.ID})
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	j := hub.Job{ID: kind + "-" + string(b.State) + "-" + b.ID, Kind: kind, RunAt: at,
		Payload: body}
	if err := d.store.ScheduleJob(ctx, j); err != nil {
		return fmt.Errorf("schedule %s: %w", kind, err)
	}
	return nil
}
