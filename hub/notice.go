package hub

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// NoticeKind says what a staff notice is about.
type NoticeKind string

// Notice kinds.
const (
	// NoticeLate: a guest said in Telegram they are running late.
	NoticeLate NoticeKind = "late"
	// NoticeLargeParty: a party too large to book online asked the staff
	// to arrange a table.
	NoticeLargeParty NoticeKind = "large_party"
	// NoticeTillTask: staff must cancel, at the till, the RMS reservation
	// of a booking that ended, which the RMS's API could not cancel
	// (Poster). Comment names the reservation and its tables, and why.
	NoticeTillTask NoticeKind = "till_task"
	// NoticeRMSMove: staff moved a booking and the RMS holds its
	// reservation where it was: the agent cannot move reservations, the
	// RMS refused the move, or did not answer. Comment says which and
	// what to do.
	NoticeRMSMove NoticeKind = "rms_move"
)

// Notice is something a venue's staff must hear about, kept until one of
// them marks it done on the dashboard. The Telegram bot also posts it to
// the venue's staff chat, when there is one; the notice is there either
// way, so that a venue without a staff chat still hears it.
type Notice struct {
	// ID is the notice's idempotency key: the same event noticed twice
	// (a button pressed twice, an update delivered again) is one notice.
	ID      string     `json:"id"`
	VenueID string     `json:"venue_id"`
	Kind    NoticeKind `json:"kind"`
	// BookingID is the booking the notice is about, if any.
	BookingID string `json:"booking_id,omitempty"`
	// GuestName is the guest's first name only.
	GuestName string `json:"guest_name,omitempty"`
	// Phone and Comment are how to call back a large party and what it
	// asked for; the dashboard shows them to the venue's staff only.
	// A late guest's notice has neither: its booking has them.
	Phone   string `json:"phone,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Party is the number of guests; 0 when the guest did not say.
	Party int `json:"party,omitempty"`
	// Wanted is the time the guest booked or asked for, in UTC; zero when
	// unknown. A large party asks for a day, not a time: its Wanted is the
	// start of that day in the venue's zone.
	Wanted    time.Time `json:"wanted,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	// DoneAt is when staff marked the notice done; zero while open.
	DoneAt time.Time `json:"done_at,omitzero"`
}

// Open reports whether staff have not marked the notice done yet.
func (n Notice) Open() bool { return n.DoneAt.IsZero() }

// Validate checks what every store requires of a notice.
func (n Notice) Validate() error {
	var errs []error
	if n.ID == "" || n.VenueID == "" {
		errs = append(errs, errors.New("id and venue are required"))
	}
	switch n.Kind {
	case NoticeLate, NoticeLargeParty, NoticeTillTask, NoticeRMSMove:
	default:
		errs = append(errs, fmt.Errorf("kind %q is none of %q, %q, %q and %q", n.Kind,
			NoticeLate, NoticeLargeParty, NoticeTillTask, NoticeRMSMove))
	}
	if n.Party < 0 {
		errs = append(errs, fmt.Errorf("party %d is negative", n.Party))
	}
	if n.CreatedAt.IsZero() {
		errs = append(errs, errors.New("created_at is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w notice %q: %w", ErrInvalid, n.ID, err)
	}
	return nil
}

// NoticeStore is the part of Store that keeps staff notices. It is listed
// here, and embedded in Store.
type NoticeStore interface {
	// PutNotice stores a new notice (Validate; ErrInvalid). A notice whose
	// ID is taken is left as it was and PutNotice returns ErrExists, so a
	// caller noticing the same event twice stores it once; ErrNotFound if
	// its venue does not exist.
	PutNotice(ctx context.Context, n Notice) error
	// VenueNotices lists the venue's open notices, oldest CreatedAt first,
	// then by id. An unknown venue has none (no error).
	VenueNotices(ctx context.Context, venueID string) ([]Notice, error)
	// FinishNotice marks the venue's notice id done at at. A notice done
	// before keeps its first DoneAt (no error). An unknown id, or the id
	// of another venue's notice, is ErrNotFound.
	FinishNotice(ctx context.Context, venueID, id string, at time.Time) error
}
