package hub_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

func TestBookingValidate(t *testing.T) {
	start := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)
	good := hub.Booking{ID: "b", VenueID: "v", TableIDs: []string{"t1", "t2"}, Start: start,
		End: start.Add(2 * time.Hour), Party: 4, State: hub.BookingHeld}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid booking refused: %v", err)
	}
	for name, mutate := range map[string]func(*hub.Booking){
		"no id":          func(b *hub.Booking) { b.ID = "" },
		"no tables":      func(b *hub.Booking) { b.TableIDs = nil },
		"table twice":    func(b *hub.Booking) { b.TableIDs = []string{"t1", "t1"} },
		"end not after":  func(b *hub.Booking) { b.End = b.Start },
		"party zero":     func(b *hub.Booking) { b.Party = 0 },
		"starts seated":  func(b *hub.Booking) { b.State = hub.BookingSeated },
		"empty table id": func(b *hub.Booking) { b.TableIDs = []string{""} },
	} {
		b := good
		b.TableIDs = append([]string(nil), good.TableIDs...)
		mutate(&b)
		if err := b.Validate(); !errors.Is(err, hub.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestCanMove(t *testing.T) {
	for _, tc := range []struct {
		from, to hub.BookingState
		want     bool
	}{
		{hub.BookingHeld, hub.BookingRequested, true},
		{hub.BookingRequested, hub.BookingConfirmed, true},
		{hub.BookingConfirmed, hub.BookingSeated, true},
		{hub.BookingCancelled, hub.BookingConfirmed, false},
		{hub.BookingDeclined, hub.BookingRequested, false},
		{hub.BookingSeated, hub.BookingCancelled, false},
	} {
		if got := hub.CanMove(tc.from, tc.to); got != tc.want {
			t.Errorf("CanMove(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
	for _, s := range []hub.BookingState{hub.BookingHeld, hub.BookingRequested,
		hub.BookingConfirmed, hub.BookingSeated} {
		if !s.Active() {
			t.Errorf("%s not active", s)
		}
	}
	if hub.BookingCancelled.Active() || hub.BookingCompleted.Active() {
		t.Error("an ended booking holds its tables")
	}
}
