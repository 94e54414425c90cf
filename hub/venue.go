package hub

import (
	"slices"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// Mode is how a venue is integrated with its RMS.
type Mode string

// Integration modes.
const (
	// ModeAPI: an agent reads and writes the RMS through its API.
	ModeAPI Mode = "api"
	// ModeFile: an agent exchanges files with the RMS or reads its database.
	ModeFile Mode = "file"
	// ModeManual: no agent; staff confirm each booking.
	ModeManual Mode = "manual"
)

// Policy is a venue's booking rules. The booking engine gives them meaning;
// stores keep them as one document, so fields can be added freely.
type Policy struct {
	// SlotStep is the spacing of bookable start times (default 15 min).
	SlotStep wire.Duration `json:"slot_step,omitempty"`
	// TurnTimes give how long a party occupies a table, by party size:
	// the first entry whose MaxParty is at least the party applies.
	TurnTimes []TurnTime `json:"turn_times,omitempty"`
	// Buffer is kept free after each booking.
	Buffer wire.Duration `json:"buffer,omitempty"`
	// MinLead is how far ahead a booking must start; Horizon how far
	// ahead it may.
	MinLead wire.Duration `json:"min_lead,omitempty"`
	Horizon wire.Duration `json:"horizon,omitempty"`
	// MaxOnlineParty is the largest party bookable online; above it the
	// guest's request goes to staff.
	MaxOnlineParty int `json:"max_online_party,omitempty"`
	// Pacing is the most guests starting in one slot (0: no limit).
	Pacing int `json:"pacing,omitempty"`
	// Services are the opening hours, several a day if need be.
	Services []Service `json:"services,omitempty"`
	// Exceptions override Services on given dates.
	Exceptions []Exception `json:"exceptions,omitempty"`
	// MaxActivePerGuest bounds a guest's upcoming bookings (0: no limit).
	MaxActivePerGuest int `json:"max_active_per_guest,omitempty"`
	// HoldTTL is how long a held booking waits for the guest.
	HoldTTL wire.Duration `json:"hold_ttl,omitempty"`
	// ConfirmTimeout is how long a requested booking waits for the RMS.
	ConfirmTimeout wire.Duration `json:"confirm_timeout,omitempty"`
	// CancelCutoff is how long before the start a guest may still cancel.
	CancelCutoff wire.Duration `json:"cancel_cutoff,omitempty"`
	// PauseAfter pauses online sales when the agent is offline or its RMS
	// unhealthy for longer than this.
	PauseAfter wire.Duration `json:"pause_after,omitempty"`
}

// TurnTime is how long parties up to MaxParty stay.
type TurnTime struct {
	MaxParty int           `json:"max_party"`
	Duration wire.Duration `json:"duration"`
}

// DefaultTurnTime applies when a policy names none for a party.
const DefaultTurnTime = 2 * time.Hour

// TurnTime returns how long a party of n occupies a table.
func (p Policy) TurnTime(n int) time.Duration {
	for _, t := range p.TurnTimes {
		if n <= t.MaxParty && t.Duration > 0 {
			return time.Duration(t.Duration)
		}
	}
	return DefaultTurnTime
}

// Service is one opening period on a weekday, in the venue's local time,
// such as lunch 12:00–16:00. Close may be past midnight ("02:00").
type Service struct {
	Weekday time.Weekday `json:"weekday"`
	Name    string       `json:"name,omitempty"`
	Open    string       `json:"open"`
	Close   string       `json:"close"`
}

// Exception changes the hours of one local date: closed, or other hours.
type Exception struct {
	Date     string    `json:"date"` // 2026-12-31
	Closed   bool      `json:"closed,omitempty"`
	Services []Service `json:"services,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// Table is a table as the hub sees it: what the RMS says of it (mirrored)
// plus the venue's own settings for online booking.
type Table struct {
	VenueID string `json:"venue_id"`
	wire.Table
	TableSettings
}

// TableSettings are the hub-side settings of a table.
type TableSettings struct {
	// MinParty and MaxParty bound the parties seated at the table alone;
	// zero means 1 and the table's seats.
	MinParty int `json:"min_party,omitempty"`
	MaxParty int `json:"max_party,omitempty"`
	// Online says whether guests may book the table online.
	Online bool `json:"online"`
}

// DefaultTableSettings are a table's settings until staff change them.
var DefaultTableSettings = TableSettings{Online: true}

// TableGroup is a set of tables that may be joined for one party.
type TableGroup struct {
	ID       string   `json:"id"`
	VenueID  string   `json:"venue_id"`
	TableIDs []string `json:"table_ids"`
	MinParty int      `json:"min_party"`
	MaxParty int      `json:"max_party"`
}

// A venue's learned turn time is the median time its recent tables stayed
// occupied: the last LearnedWindow closed orders, once at least
// LearnedMinOrders are known. It replaces the policy's turn time for open
// orders, whose guests are already seated.
const (
	LearnedWindow    = 200
	LearnedMinOrders = 20
)

// LearnedTurnTime returns the median of durations (the time closed orders
// were open) when there are at least LearnedMinOrders, else 0.
func LearnedTurnTime(durations []time.Duration) time.Duration {
	if len(durations) < LearnedMinOrders {
		return 0
	}
	s := slices.Clone(durations)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return s[n/2-1] + (s[n/2]-s[n/2-1])/2
}

// OccupancyTurn is how long an open order of guests blocks its tables
// from its opening: the venue's learned turn time when there is one, else
// the policy's turn time for the party.
func OccupancyTurn(p Policy, guests int, learned time.Duration) time.Duration {
	if learned > 0 {
		return learned
	}
	return p.TurnTime(guests)
}
