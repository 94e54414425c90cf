package hub

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// BookingState is where a hub booking stands in its lifecycle.
type BookingState string

// Booking states. A booking is created held or requested; see Transitions.
const (
	// BookingHeld keeps the tables for a short time while the guest confirms.
	BookingHeld BookingState = "held"
	// BookingRequested waits for the RMS (or staff) to accept it.
	BookingRequested BookingState = "requested"
	// BookingConfirmed is accepted by the RMS or staff.
	BookingConfirmed BookingState = "confirmed"
	BookingDeclined  BookingState = "declined"
	BookingExpired   BookingState = "expired"
	BookingCancelled BookingState = "cancelled"
	BookingSeated    BookingState = "seated"
	BookingNoShow    BookingState = "no_show"
	BookingCompleted BookingState = "completed"
)

// Active reports whether a booking in state s holds its tables.
func (s BookingState) Active() bool {
	switch s {
	case BookingHeld, BookingRequested, BookingConfirmed, BookingSeated:
		return true
	}
	return false
}

// Transitions lists, for each state, the states a booking may move to.
var Transitions = map[BookingState][]BookingState{
	BookingHeld:      {BookingRequested, BookingConfirmed, BookingExpired, BookingCancelled},
	BookingRequested: {BookingConfirmed, BookingDeclined, BookingExpired, BookingCancelled},
	BookingConfirmed: {BookingCancelled, BookingSeated, BookingNoShow, BookingCompleted},
	BookingSeated:    {BookingCompleted},
}

// CanMove reports whether a booking may move from one state to another.
func CanMove(from, to BookingState) bool {
	return slices.Contains(Transitions[from], to)
}

// Booking is a table booking made through the hub (Telegram, API, staff).
// It holds its tables over [Start, End) while Active; End already includes
// the venue's buffer between bookings.
type Booking struct {
	ID       string       `json:"id"`
	VenueID  string       `json:"venue_id"`
	TableIDs []string     `json:"table_ids"`
	Start    time.Time    `json:"start"`
	End      time.Time    `json:"end"`
	Party    int          `json:"party"`
	State    BookingState `json:"state"`
	GuestID  string       `json:"guest_id,omitempty"`
	Name     string       `json:"name"`
	Phone    string       `json:"phone,omitempty"`
	Comment  string       `json:"comment,omitempty"`
	// Channel is where the booking came from: telegram, api, staff, ...
	Channel string `json:"channel"`
	// HoldUntil is when a held booking expires.
	HoldUntil time.Time `json:"hold_until,omitzero"`
	// ReservationID is the RMS reservation made for this booking.
	ReservationID string `json:"reservation_id,omitempty"`
	// IdempotencyKey makes a retried create return the first booking.
	IdempotencyKey string    `json:"-"`
	Reason         string    `json:"reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Validate checks what every store requires of a new booking.
func (b Booking) Validate() error {
	var errs []error
	if b.ID == "" || b.VenueID == "" {
		errs = append(errs, errors.New("id and venue are required"))
	}
	if len(b.TableIDs) == 0 {
		errs = append(errs, errors.New("at least one table is required"))
	}
	seen := make(map[string]bool, len(b.TableIDs))
	for _, t := range b.TableIDs {
		if t == "" || seen[t] {
			errs = append(errs, fmt.Errorf("table %q is empty or listed twice", t))
		}
		seen[t] = true
	}
	if !b.End.After(b.Start) {
		errs = append(errs, errors.New("end must be after start"))
	}
	if b.Party < 1 {
		errs = append(errs, errors.New("party must be at least 1"))
	}
	if b.State != BookingHeld && b.State != BookingRequested && b.State != BookingConfirmed {
		errs = append(errs, fmt.Errorf("a booking starts held, requested or confirmed, not %q", b.State))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w booking: %w", ErrInvalid, err)
	}
	return nil
}

// BlockKind says what keeps a table busy.
type BlockKind string

// Block kinds.
const (
	BlockBooking     BlockKind = "booking"
	BlockReservation BlockKind = "reservation"
	BlockOccupancy   BlockKind = "occupancy"
)

// Block is a time range during which a table is not free.
type Block struct {
	TableID string    `json:"table_id"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Kind    BlockKind `json:"kind"`
	// Ref is the id of the booking, reservation or order behind the block.
	Ref string `json:"ref"`
}

// ConflictError is returned (wrapping ErrConflict) when a booking would
// overlap a block.
type ConflictError struct {
	Block Block
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("table %s is taken from %s to %s (%s %s)", e.Block.TableID,
		e.Block.Start.UTC().Format(time.RFC3339), e.Block.End.UTC().Format(time.RFC3339),
		e.Block.Kind, e.Block.Ref)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// ErrConflict means the tables are not free for the requested time.
var ErrConflict = errors.New("tables not free")

// ErrBadTransition means the booking cannot move to the requested state.
var ErrBadTransition = errors.New("booking cannot move to that state")

// Transition moves a booking to another state. It may also record the RMS
// reservation and, when the RMS moved the booking, new tables and times
// (checked for conflicts like a new booking).
type Transition struct {
	To     BookingState
	Actor  string // who: "guest:…", "staff:…", "rms", "system"
	Reason string
	At     time.Time
	// ReservationID, if set, is recorded on the booking.
	ReservationID string
	// TableIDs, Start and End, if set, move the booking.
	TableIDs   []string
	Start, End time.Time
}

// Changes reports whether t carries something for b beyond its state: a
// reservation id b does not have, or other tables or times. Such a
// transition to the state b is in still applies (the RMS moved a confirmed
// booking, or reported its reservation), and is logged.
func (t Transition) Changes(b Booking) bool {
	return t.ReservationID != "" && t.ReservationID != b.ReservationID ||
		len(t.TableIDs) > 0 && !slices.Equal(t.TableIDs, b.TableIDs) ||
		!t.Start.IsZero() && !t.Start.Equal(b.Start) ||
		!t.End.IsZero() && !t.End.Equal(b.End)
}

// BookingEvent is one line of a booking's append-only audit log.
type BookingEvent struct {
	BookingID string       `json:"booking_id"`
	At        time.Time    `json:"at"`
	Actor     string       `json:"actor"`
	From      BookingState `json:"from,omitempty"`
	To        BookingState `json:"to"`
	Reason    string       `json:"reason,omitempty"`
}

// BookingQuery selects bookings. Zero fields do not filter.
type BookingQuery struct {
	VenueID string
	GuestID string
	// From and To select bookings whose time range overlaps [From, To).
	From, To time.Time
	States   []BookingState
	Limit    int
}

// Guest is a person who books, known by their Telegram account or phone.
type Guest struct {
	ID         string    `json:"id"`
	TelegramID int64     `json:"telegram_id,omitempty"`
	Name       string    `json:"name"`
	Phone      string    `json:"phone,omitempty"`
	Lang       string    `json:"lang,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Job is a piece of scheduled work (expire a hold, a command, a reminder).
// Each job runs once even with several hub replicas.
type Job struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	RunAt    time.Time `json:"run_at"`
	Payload  []byte    `json:"payload,omitempty"`
	Attempts int       `json:"attempts"`
}

// Enrollment is a one-time code that an agent exchanges for its
// credential. Only the code's hash is kept.
type Enrollment struct {
	CodeHash  []byte    `json:"-"`
	VenueID   string    `json:"venue_id"`
	Expires   time.Time `json:"expires"`
	CreatedAt time.Time `json:"created_at"`
}

// ErrEnrollment means an enrollment code is unknown, used or expired.
var ErrEnrollment = errors.New("enrollment code is unknown, already used or expired")

// JobExpireCommands is the kind of the job that marks overdue commands
// expired.
const JobExpireCommands = "commands.expire"

// CommandExpiryJob is the job to schedule with a command: it runs at the
// command's Expires time.
func CommandExpiryJob(c Command) Job {
	return Job{ID: "expire-" + c.ID, Kind: JobExpireCommands, RunAt: c.Expires}
}

// APIKey lets a program (another booking platform, a venue's website, the
// staff's phone-booking tool) use the HTTP API for some venues: one venue,
// or several for a chain. Only the key's hash is kept.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	KeyHash   []byte     `json:"-"`
	VenueIDs  []string   `json:"venue_ids"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Role RoleSupport makes a support key: every venue, and the support
	// API (agents, venue state, resync); it has no VenueIDs. Empty for a
	// venue key.
	Role Role `json:"role,omitempty"`
}

// Allows reports whether the key may act for venueID.
func (k APIKey) Allows(venueID string) bool {
	return k.RevokedAt == nil && (k.Role == RoleSupport || slices.Contains(k.VenueIDs, venueID))
}
