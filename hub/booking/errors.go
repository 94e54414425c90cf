package booking

import "errors"

// Errors the engine returns, wrapped with a message a guest or a member of
// staff can act on; callers test them with errors.Is. Check may return
// several joined together.
var (
	// ErrParty means the party size is not one a table takes: below one,
	// or outside the range of the tables chosen.
	ErrParty = errors.New("party size not possible")
	// ErrLargeParty means the party is larger than the venue books online
	// (above the policy's MaxOnlineParty, or more than any online table or
	// group seats): the guest sends a request to staff instead.
	ErrLargeParty = errors.New("party too large to book online")
	// ErrPast means the date or time has already passed.
	ErrPast = errors.New("time already passed")
	// ErrTooSoon means the start is closer than the venue's minimum lead
	// time.
	ErrTooSoon = errors.New("too short notice")
	// ErrTooFar means the date is beyond the venue's booking horizon.
	ErrTooFar = errors.New("too far ahead")
	// ErrClosed means the venue is closed on that date.
	ErrClosed = errors.New("venue closed")
	// ErrOutsideHours means the venue is open that day, but not for a
	// seating at that time.
	ErrOutsideHours = errors.New("outside opening hours")
	// ErrTable means a table is unknown, not bookable online, or the tables
	// chosen are not a joinable group.
	ErrTable = errors.New("table not bookable")
	// ErrPacing means the slot already has as many guests starting as the
	// kitchen takes.
	ErrPacing = errors.New("slot fully booked")
	// ErrGuestLimit means the guest already has as many upcoming bookings
	// as the venue allows.
	ErrGuestLimit = errors.New("too many bookings")
	// ErrGuestOverlap means the guest already has a booking at that time.
	ErrGuestOverlap = errors.New("guest already booked at that time")
	// ErrPolicy means a venue policy is not valid.
	ErrPolicy = errors.New("invalid policy")
	// ErrCancelCutoff means a guest tried to cancel later than the venue's
	// cancellation cutoff.
	ErrCancelCutoff = errors.New("too late to cancel online")
)
