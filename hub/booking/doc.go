// Package booking is the hub's booking engine without any I/O: a venue's
// policy rules, availability, table assignment, the checks a new booking
// passes, when online sales pause, and the decisions of a booking's
// lifecycle. The store, the HTTP API and the agent commands call it with what
// they read; nothing here reads a clock, a store or the network.
//
// # Time
//
// Opening hours are wall-clock times in the venue's IANA zone. Each
// service's open and close on a date are turned into instants with time.Date
// in that zone; start times are then stepped in real time from the open
// instant, every SlotStep, so across a change of the clocks no start time
// falls on a local time that does not exist, none is offered twice and none
// is missing: the instants are strictly increasing and evenly spaced. A
// wall-clock time the clocks skip (02:30 on a spring-forward night) means
// the moment they skip to; a time that happens twice (fall-back) means its
// first occurrence. A service whose close is not after its open ("18:00" to
// "02:00") closes on the next day and belongs to the day it opened: its
// starts after midnight are offered for the date it opened.
//
// # Rules a start time passes
//
//   - It lies in a service of its date, and the seating (start plus the
//     turn time for the party) ends by the service's close: the last seating
//     is at close minus the turn time. The buffer may run past the close.
//   - It is at least MinLead after now and at most Horizon after now.
//   - The tables assigned are free over [start, start+turn+buffer): no
//     block on them overlaps that range. Hub bookings' blocks already end
//     after their buffer; after RMS reservations and open orders the
//     engine keeps the buffer too, since a table needs clearing after every
//     party.
//   - Pacing: the guests of the seatings starting in the same slot (the
//     step that contains the start), plus this party, are at most Pacing.
//
// # Defaults
//
// A zero policy field means: SlotStep 15 min, Horizon 30 days, MinLead 30
// min (a venue that takes bookings up to the last moment sets a small
// value such as 1m), HoldTTL 5 min, ConfirmTimeout 10 min, PauseAfter 5 min;
// MaxOnlineParty, Pacing, MaxActivePerGuest, Buffer and CancelCutoff zero
// mean no limit. See Effective.
//
// # Tables
//
// A table seats a party alone when it is online-bookable and the party is
// within its MinParty (default 1) and MaxParty (default its seats; staff
// may set more than the seats when a chair can be added). A joinable group
// is bookable when every table in it is online-bookable; it takes parties
// within its MinParty (default 1) and MaxParty (default the sum of its
// seats). Assign prefers the smallest single table, then a group.
//
// # Lifecycle
//
// Next decides what an event (the guest confirms, the RMS accepts, refuses,
// cancels or moves, guests arrive, staff act) does to a booking; Due and
// When decide what the clock does (a hold or a request runs out, a
// no-show, the end of the time). Each returns a hub.Transition for the
// store to apply, or nothing when the event already took effect, so an
// event seen twice moves a booking once. Paused says when a venue's
// online sales stop because its agent or RMS has gone quiet.
package booking
