package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// testAgentsOfVenue: a venue's agents, revoked or not, by id, as Agent
// reads them; agents made by an enrollment code are listed too; another
// venue's agents, and agents whose create was refused, are not; an unknown
// venue has none.
func testAgentsOfVenue(t *testing.T, s hub.Store) {
	ctx := context.Background()
	createVenue(t, s, "ven_1")
	createVenue(t, s, "ven_2")
	createVenue(t, s, "ven_3")
	list := func(venueID string) []hub.Agent {
		t.Helper()
		got, err := s.AgentsOfVenue(ctx, venueID)
		wantErr(t, "agents of "+venueID, err, nil)
		return got
	}
	if got := list("ven_1"); len(got) != 0 {
		t.Fatalf("agents of a venue without agents = %v", got)
	}

	createAgent(t, s, "agt_3", "ven_1")
	createAgent(t, s, "agt_1", "ven_2")
	createAgent(t, s, "agt_2", "ven_1")
	wantErr(t, "revoke agt_2", s.RevokeAgent(ctx, "agt_2", t0.Add(time.Hour)), nil)
	wantErr(t, "status of agt_3", s.UpdateAgentStatus(ctx, "agt_3",
		hub.AgentStatus{Version: "1.2.3", Connector: "iiko"}), nil)
	e := hub.Enrollment{CodeHash: hub.HashSecret("code-1"), VenueID: "ven_1",
		Expires: t0.Add(time.Hour), CreatedAt: t0}
	wantErr(t, "create enrollment", s.CreateEnrollment(ctx, e), nil)
	_, err := s.RedeemEnrollment(ctx, e.CodeHash, t0, hub.Agent{ID: "agt_4",
		SecretHash: hub.HashSecret("secret of agt_4"), CreatedAt: t0})
	wantErr(t, "redeem for agt_4", err, nil)

	// Refused creates leave no trace in any venue's list.
	taken := hub.Agent{ID: "agt_1", VenueID: "ven_3", CreatedAt: t0}
	wantErr(t, "create a taken agent id", s.CreateAgent(ctx, taken), hub.ErrExists)
	lost := hub.Agent{ID: "agt_9", VenueID: "ven_missing", CreatedAt: t0}
	wantErr(t, "create an agent of an unknown venue", s.CreateAgent(ctx, lost),
		hub.ErrNotFound)

	stored := func(ids ...string) []hub.Agent {
		var want []hub.Agent
		for _, id := range ids {
			want = append(want, getAgent(t, s, id))
		}
		return want
	}
	diff(t, "agents of ven_1", list("ven_1"), stored("agt_2", "agt_3", "agt_4"))
	diff(t, "agents of ven_2", list("ven_2"), stored("agt_1"))
	diff(t, "agents of ven_3", list("ven_3"), nil)
	diff(t, "agents of an unknown venue", list("ven_missing"), nil)
	if got := list("ven_1"); len(got) != 3 || got[0].RevokedAt == nil ||
		got[1].Status.Version != "1.2.3" {
		t.Errorf("agents of ven_1 lost the revocation or the status: %+v", got)
	}
}

// testBookingsByIDs: the bookings named, of any venue and in any state, as
// Booking reads them, by id; repeats listed once, unknown and empty ids left
// out; no ids, no bookings.
func testBookingsByIDs(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v, w := createPolicyVenue(t, s, "ven_1"), createPolicyVenue(t, s, "ven_2")
	h := time.Hour
	createBooking(t, s, booking("bkg_3", v.ID, h, h, "t01"))
	createBooking(t, s, booking("bkg_1", v.ID, 2*h, h, "t01"))
	createBooking(t, s, booking("bkg_2", w.ID, h, h, "t01"))
	createBooking(t, s, booking("bkg_4", v.ID, 3*h, h, "t01"))
	transition(t, s, "bkg_3", hub.Transition{To: hub.BookingCancelled, Actor: "guest:1",
		Reason: "plans changed", At: t0})
	read := func(ids ...string) []hub.Booking {
		t.Helper()
		got, err := s.BookingsByIDs(ctx, ids)
		wantErr(t, "bookings by ids", err, nil)
		return got
	}
	stored := func(ids ...string) []hub.Booking {
		var want []hub.Booking
		for _, id := range ids {
			b, err := s.Booking(ctx, id)
			wantErr(t, "get booking "+id, err, nil)
			want = append(want, b)
		}
		return want
	}
	diff(t, "bookings by ids", read("bkg_3", "bkg_x", "bkg_2", "", "bkg_3", "bkg_1"),
		stored("bkg_1", "bkg_2", "bkg_3"))
	if got := read("bkg_3"); len(got) != 1 || got[0].State != hub.BookingCancelled {
		t.Errorf("cancelled booking read by id = %+v", got)
	}
	diff(t, "no ids", read(), nil)
	diff(t, "unknown ids", read("bkg_x", "bkg_y"), nil)
}
