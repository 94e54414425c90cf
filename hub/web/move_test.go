package web_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// TestStaffMoveAPI moves a booking of a manual venue at once, refuses
// what the venue's rules or other bookings refuse, and keys of other
// venues.
func TestStaffMoveAPI(t *testing.T) {
	a := setupAPI(t)
	b := a.hold(t, a.at(19, 0), 2)
	path := "/api/v1/bookings/" + b.ID + "/staff/move"
	var got hub.Booking
	a.call(t, "POST", "/api/v1/bookings/"+b.ID+"/staff/confirm", keyPushkin, nil,
		http.StatusOK, &got)
	other := "t-1"
	if slices.Contains(b.TableIDs, "t-1") {
		other = "t-2"
	}

	a.call(t, "POST", path, keyPushkin, web.MoveRequest{Start: a.at(20, 30),
		TableIDs: []string{other}}, http.StatusOK, &got)
	if !got.Start.Equal(a.at(20, 30)) || !slices.Equal(got.TableIDs, []string{other}) ||
		got.End.Sub(got.Start) != b.End.Sub(b.Start) || got.State != hub.BookingConfirmed {
		t.Errorf("moved: %v %v–%v %s, want %s at %v, as long as before", got.TableIDs,
			got.Start, got.End, got.State, other, a.at(20, 30))
	}

	// Another booking on the first table at 19:00; moving there is taken.
	c := a.hold(t, a.at(20, 30), 2)
	var e apiError
	a.call(t, "POST", "/api/v1/bookings/"+c.ID+"/staff/move", keyPushkin,
		web.MoveRequest{TableIDs: []string{other}}, http.StatusConflict, &e)
	if e.Error == "" || len(e.Alternatives) == 0 {
		t.Errorf("move onto a taken table: %+v, want words and alternatives", e)
	}
	a.call(t, "POST", path, keyPushkin, web.MoveRequest{Start: a.at(3, 0)},
		http.StatusBadRequest, &e)
	if e.Field != "start" {
		t.Errorf("move out of hours: %+v, want the start named", e)
	}
	a.call(t, "POST", path, keyPushkin, map[string]any{}, http.StatusBadRequest, &e, badHeader, "1")
	a.call(t, "POST", path, keyOther, web.MoveRequest{Start: a.at(21, 0)},
		http.StatusForbidden, nil)
	a.call(t, "POST", path, "", web.MoveRequest{Start: a.at(21, 0)},
		http.StatusUnauthorized, nil)
	if now, err := a.store.Booking(context.Background(), b.ID); err != nil ||
		!now.Start.Equal(a.at(20, 30)) {
		t.Errorf("refused moves changed the booking: %+v, %v", now, err)
	}
}

// TestStaffMoveAPIThroughTheRMS: a venue whose agent moves reservations
// answers 202 with the booking not moved yet, and sends the command.
func TestStaffMoveAPIThroughTheRMS(t *testing.T) {
	a := setupAPI(t)
	ctx := context.Background()
	now := a.clock.Now()
	must(t, a.store.UpdateAgentStatus(ctx, "agt_2", hub.AgentStatus{LastSeen: now,
		Health:       wire.ConnectorHealth{OK: true, LastSuccess: now},
		Capabilities: []string{"reservations.write", "reservations.update"}}))
	start := a.at(19, 0)
	b, err := a.store.CreateBooking(ctx, hub.Booking{ID: "bkg_rms", VenueID: "ven_2",
		TableIDs: []string{"t-1"}, Start: start, End: start.Add(2 * time.Hour), Party: 2,
		State: hub.BookingHeld, Name: "Анна", Channel: "api", CreatedAt: now, UpdatedAt: now,
		HoldUntil: now.Add(time.Hour)}, "staff:test")
	must(t, err)
	_, err = a.store.TransitionBooking(ctx, b.ID, hub.Transition{To: hub.BookingConfirmed,
		Actor: "rms", At: now, ReservationID: "r-1"})
	must(t, err)

	var got hub.Booking
	a.call(t, "POST", "/api/v1/bookings/"+b.ID+"/staff/move", keyOther,
		web.MoveRequest{TableIDs: []string{"t-2"}}, http.StatusAccepted, &got)
	if !slices.Equal(got.TableIDs, []string{"t-1"}) {
		t.Errorf("202 with tables %v, want the booking as it still is", got.TableIDs)
	}
	cs, err := a.store.PendingCommands(ctx, "agt_2")
	must(t, err)
	if len(cs) != 1 || cs[0].Kind != wire.CommandUpdateReservation {
		t.Fatalf("pending commands %+v, want one reservation.update", cs)
	}
}
