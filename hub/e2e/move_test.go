package e2e_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// TestMoveLandsInTheRMS books through the hub's API on a venue whose agent
// runs on the iiko fake, then staff move the booking to another table and
// a later time: the hub answers that the RMS has it, the reserve moves in
// the fake (the start written in the venue's local time), and only then
// does the booking move.
func TestMoveLandsInTheRMS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the hub and agent binaries")
	}
	fake := iikoFake(t)
	v := startRMSVenue(t, fake, time.Second)
	s := v.firstSlot(t, 1)
	var b hub.Booking
	if code := v.api.do("POST", "/api/v1/venues/"+v.cred.VenueID+"/bookings", map[string]any{
		"start": s.Start, "party": 2, "name": "Мария Иванова", "phone": "+79161234567",
		"confirm": true}, &b, "Idempotency-Key", "e2e-move"); code != 201 {
		t.Fatalf("book: %d", code)
	}
	waitFor(t, 30*time.Second, "the booking to be confirmed", func() bool {
		v.api.do("GET", "/api/v1/bookings/"+b.ID, nil, &b)
		if b.State == hub.BookingDeclined {
			t.Fatalf("declined: %s", b.Reason)
		}
		return b.State == hub.BookingConfirmed
	})

	st, err := v.h.state(v.cred.VenueID)
	if err != nil {
		t.Fatal(err)
	}
	other := ""
	for _, tb := range st.Tables {
		if tb.Seats >= 2 && !slices.Contains(b.TableIDs, tb.ID) {
			other = tb.ID
			break
		}
	}
	if other == "" {
		t.Fatal("no other table for two")
	}
	later := b.Start.Add(2 * time.Hour)
	var got hub.Booking
	if code := v.api.do("POST", "/api/v1/bookings/"+b.ID+"/staff/move", map[string]any{
		"start": later, "table_ids": []string{other}}, &got); code != 202 {
		t.Fatalf("move: %d, want 202 (sent to the RMS)", code)
	}
	if !got.Start.Equal(b.Start) {
		t.Errorf("the booking moved before the RMS answered: %v", got.Start)
	}
	waitFor(t, 30*time.Second, "the booking to move", func() bool {
		v.api.do("GET", "/api/v1/bookings/"+b.ID, nil, &got)
		return got.Start.Equal(later) && slices.Equal(got.TableIDs, []string{other})
	})
	var found []wire.Reservation
	for _, r := range fake.reservations() {
		if r.Status != wire.ReservationCancelled {
			found = append(found, r)
		}
	}
	if len(found) != 1 || !found[0].Start.Equal(later) ||
		!slices.Equal(found[0].TableIDs, []string{other}) {
		t.Errorf("the fake holds %+v, want one reserve on %s at %v", found, other, later)
	}
	if got.State != hub.BookingConfirmed || got.End.Sub(got.Start) != b.End.Sub(b.Start) {
		t.Errorf("moved booking %s %v–%v, want confirmed and as long as before", got.State,
			got.Start, got.End)
	}
}
