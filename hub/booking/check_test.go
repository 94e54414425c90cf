package booking_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
)

func TestCheck(t *testing.T) {
	v := cafe(t, "Asia/Yekaterinburg")
	z := v.Zone
	now := at(z, 2026, 6, 10, 9, 0)
	start := at(z, 2026, 6, 10, 19, 0)
	good := hub.Booking{ID: "b1", VenueID: "v", TableIDs: []string{"t3"}, Start: start,
		End: start.Add(135 * time.Minute), Party: 4, State: hub.BookingHeld}
	reservation := hub.Block{TableID: "t3", Start: start.Add(-2 * time.Hour), End: start,
		Kind: hub.BlockReservation, Ref: "r1"}

	for _, tc := range []struct {
		name   string
		change func(v *booking.Venue, b *hub.Booking, book *booking.Book, now *time.Time)
		want   []error
		msg    string
	}{
		{name: "good"},
		{name: "party of zero", change: func(_ *booking.Venue, b *hub.Booking, _ *booking.Book,
			_ *time.Time) {
			b.Party = 0
		}, want: []error{booking.ErrParty}},
		{name: "above the largest online party", change: func(v *booking.Venue, b *hub.Booking,
			_ *booking.Book, _ *time.Time) {
			v.Policy.MaxOnlineParty = 3
		}, want: []error{booking.ErrLargeParty}},
		{name: "party too large for the table", change: func(_ *booking.Venue, b *hub.Booking,
			_ *booking.Book, _ *time.Time) {
			b.Party = 5
		}, want: []error{booking.ErrParty}, msg: "table 3 takes parties of 1 to 4"},
		{name: "party below the table's minimum", change: func(v *booking.Venue, b *hub.Booking,
			_ *booking.Book, _ *time.Time) {
			v.Tables[2].MinParty = 3
			b.Party = 2
		}, want: []error{booking.ErrParty}},
		{name: "in the past", change: func(_ *booking.Venue, _ *hub.Booking, _ *booking.Book,
			now *time.Time) {
			*now = start.Add(time.Minute)
		}, want: []error{booking.ErrPast}},
		{name: "short notice", change: func(_ *booking.Venue, _ *hub.Booking, _ *booking.Book,
			now *time.Time) {
			*now = start.Add(-20 * time.Minute)
		}, want: []error{booking.ErrTooSoon}, msg: "at least 30 minutes ahead; the earliest " +
			"start now is 19:10"},
		{name: "beyond the horizon", change: func(v *booking.Venue, _ *hub.Booking,
			_ *booking.Book, _ *time.Time) {
			v.Policy.Horizon = minutes(60)
		}, want: []error{booking.ErrTooFar}},
		{name: "before opening", change: func(_ *booking.Venue, b *hub.Booking, _ *booking.Book,
			_ *time.Time) {
			b.Start, b.End = b.Start.Add(-9*time.Hour), b.End.Add(-9*time.Hour)
		}, want: []error{booking.ErrOutsideHours}, msg: "open 12:00–23:00"},
		{name: "seating past the close", change: func(_ *booking.Venue, b *hub.Booking,
			_ *booking.Book, _ *time.Time) {
			b.Start, b.End = b.Start.Add(150*time.Minute), b.End.Add(150*time.Minute)
		}, want: []error{booking.ErrOutsideHours}},
		{name: "the last seating: the buffer may run past the close",
			change: func(_ *booking.Venue, b *hub.Booking, _ *booking.Book, _ *time.Time) {
				b.Start, b.End = b.Start.Add(2*time.Hour), b.End.Add(2*time.Hour)
			}},
		{name: "closed day", change: func(v *booking.Venue, _ *hub.Booking, _ *booking.Book,
			_ *time.Time) {
			v.Policy.Exceptions = []hub.Exception{{Date: "2026-06-10", Closed: true,
				Note: "wedding"}}
		}, want: []error{booking.ErrClosed}, msg: "wedding"},
		{name: "unknown table", change: func(_ *booking.Venue, b *hub.Booking, _ *booking.Book,
			_ *time.Time) {
			b.TableIDs = []string{"t9"}
		}, want: []error{booking.ErrTable}},
		{name: "table not online", change: func(v *booking.Venue, _ *hub.Booking,
			_ *booking.Book, _ *time.Time) {
			v.Tables[2].Online = false
		}, want: []error{booking.ErrTable}, msg: "table 3 is not booked online"},
		{name: "tables that are not a group", change: func(_ *booking.Venue, b *hub.Booking,
			_ *booking.Book, _ *time.Time) {
			b.TableIDs = []string{"t3", "t4"}
		}, want: []error{booking.ErrTable}},
		{name: "a joinable group, listed in another order", change: func(_ *booking.Venue,
			b *hub.Booking, _ *booking.Book, _ *time.Time) {
			b.TableIDs, b.Party = []string{"t5", "t4"}, 9
		}},
		{name: "two groups join the same tables: either will do", change: func(v *booking.Venue,
			b *hub.Booking, _ *booking.Book, _ *time.Time) {
			v.Groups = append([]hub.TableGroup{{ID: "g-small", TableIDs: []string{"t5", "t4"},
				MaxParty: 3}}, v.Groups...)
			b.TableIDs, b.Party = []string{"t4", "t5"}, 9
		}},
		{name: "a group over its maximum", change: func(_ *booking.Venue, b *hub.Booking,
			_ *booking.Book, _ *time.Time) {
			b.TableIDs, b.Party = []string{"t4", "t5"}, 11
		}, want: []error{booking.ErrParty}, msg: "tables 4, 5 take parties of 1 to 10"},
		{name: "a reservation before, ending at the start: its buffer overlaps",
			change: func(_ *booking.Venue, _ *hub.Booking, book *booking.Book, _ *time.Time) {
				book.Blocks = []hub.Block{reservation}
			}, want: []error{hub.ErrConflict}, msg: "table t3 is taken"},
		{name: "the reservation ends a buffer before", change: func(_ *booking.Venue,
			_ *hub.Booking, book *booking.Book, _ *time.Time) {
			r := reservation
			r.Start, r.End = r.Start.Add(-15*time.Minute), r.End.Add(-15*time.Minute)
			book.Blocks = []hub.Block{r}
		}},
		{name: "a booking after, starting as this one's buffer ends",
			change: func(_ *booking.Venue, b *hub.Booking, book *booking.Book, _ *time.Time) {
				book.Blocks = []hub.Block{{TableID: "t3", Start: b.End, End: b.End.Add(time.Hour),
					Kind: hub.BlockBooking, Ref: "b2"}}
			}},
		{name: "a booking after, starting inside this one's buffer",
			change: func(_ *booking.Venue, b *hub.Booking, book *booking.Book, _ *time.Time) {
				book.Blocks = []hub.Block{{TableID: "t3", Start: b.End.Add(-time.Minute),
					End: b.End.Add(time.Hour), Kind: hub.BlockBooking, Ref: "b2"}}
			}, want: []error{hub.ErrConflict}},
		{name: "its own block does not conflict",
			change: func(_ *booking.Venue, b *hub.Booking, book *booking.Book, _ *time.Time) {
				book.Blocks = blocksOf(*b)
			}},
		{name: "a block on another table", change: func(_ *booking.Venue, _ *hub.Booking,
			book *booking.Book, _ *time.Time) {
			r := reservation
			r.TableID, r.End = "t4", start.Add(time.Hour)
			book.Blocks = []hub.Block{r}
		}},
		{name: "pacing", change: func(v *booking.Venue, b *hub.Booking, book *booking.Book,
			_ *time.Time) {
			v.Policy.Pacing = 8
			b.Start, b.End = b.Start.Add(10*time.Minute), b.End.Add(10*time.Minute)
			book.Seatings = []booking.Seating{{Ref: "x", Start: start, Party: 5},
				{Ref: b.ID, Start: start, Party: 4}} // its own: left out
		}, want: []error{booking.ErrPacing}, msg: "8 guests starting at 19:00 and 5 are booked"},
		{name: "pacing with room", change: func(v *booking.Venue, _ *hub.Booking,
			book *booking.Book, _ *time.Time) {
			v.Policy.Pacing = 8
			book.Seatings = []booking.Seating{{Ref: "x", Start: start.Add(-time.Minute),
				Party: 5}, {Ref: "y", Start: start.Add(15 * time.Minute), Party: 5}}
		}},
		{name: "every broken rule is reported", change: func(_ *booking.Venue, b *hub.Booking,
			book *booking.Book, now *time.Time) {
			*now = start.Add(-10 * time.Minute)
			b.TableIDs = []string{"t1"}
			book.Blocks = []hub.Block{{TableID: "t1", Start: start, End: start.Add(time.Hour),
				Kind: hub.BlockOccupancy, Ref: "o1"}}
		}, want: []error{booking.ErrTooSoon, booking.ErrParty, hub.ErrConflict}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := cafe(t, "Asia/Yekaterinburg")
			b, book, now := good, booking.Book{}, now
			if tc.change != nil {
				tc.change(&v, &b, &book, &now)
			}
			err := booking.Check(v, book, b, now)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
			if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != len(tc.want) {
				t.Errorf("%d errors, want %d: %v", n, len(tc.want), err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to say %q", err, tc.msg)
			}
			var conflict *hub.ConflictError
			if errors.Is(err, hub.ErrConflict) && !errors.As(err, &conflict) {
				t.Errorf("conflict is not a *hub.ConflictError: %v", err)
			}
		})
	}
}

func TestCheckGuest(t *testing.T) {
	v := cafe(t, "Europe/Kaliningrad")
	v.Policy.MaxActivePerGuest = 2
	now := at(v.Zone, 2026, 6, 10, 9, 0)
	b := hub.Booking{ID: "new", VenueID: "v", Start: at(v.Zone, 2026, 6, 12, 19, 0),
		End: at(v.Zone, 2026, 6, 12, 21, 0), State: hub.BookingHeld}
	other := func(id, venue string, day, hour int, state hub.BookingState) hub.Booking {
		s := at(v.Zone, 2026, 6, day, hour, 0)
		return hub.Booking{ID: id, VenueID: venue, Start: s, End: s.Add(2 * time.Hour),
			State: state}
	}
	for _, tc := range []struct {
		name  string
		guest []hub.Booking
		want  error
	}{
		{"none", nil, nil},
		{"one elsewhere at another time", []hub.Booking{other("a", "w", 12, 12, "confirmed")},
			nil},
		{"overlapping at another venue", []hub.Booking{other("a", "w", 12, 20, "confirmed")},
			booking.ErrGuestOverlap},
		{"overlapping but cancelled", []hub.Booking{other("a", "w", 12, 20, "cancelled")}, nil},
		{"itself", []hub.Booking{other("new", "v", 12, 19, "held")}, nil},
		{"at the limit here", []hub.Booking{other("a", "v", 13, 19, "confirmed"),
			other("b", "v", 14, 19, "requested")}, booking.ErrGuestLimit},
		{"past ones do not count", []hub.Booking{other("a", "v", 9, 19, "confirmed"),
			other("b", "v", 14, 19, "requested")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := booking.CheckGuest(v, b, tc.guest, now)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
