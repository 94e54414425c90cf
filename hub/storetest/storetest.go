// Package storetest is the conformance suite every hub.Store implementation
// must pass. A store's own tests call Run with a function that opens a fresh,
// empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) hub.Store {
//			s, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// Besides hub.Store's documented contract the suite pins down what the
// interface leaves open, so that every store behaves alike: a batch is
// rejected as a whole when its sequence numbers are zero or not strictly
// increasing, or when an event of a known entity kind has no id, an unknown
// op, or upsert data that does not decode as that entity with the same id;
// events of an unknown entity kind are not mirrored but count as applied;
// creating anything with an empty id fails; PendingCommands orders by
// CreatedAt, then id; a command of another agent is ErrNotFound to
// FinishCommand. Times are compared with time.Time.Equal and written with
// microsecond precision, and JSON bodies are compared by meaning, so a store
// may keep either in its own format.
//
// For bookings the suite pins down: time ranges are half-open, so bookings
// may touch; Blocks orders ties by kind, then ref, and lists an RMS
// reservation made for a booking beside the booking; order blocks follow
// the venue's policy as it is now, not as it was when the order arrived; a
// *hub.ConflictError names the first conflicting block in Blocks order; a
// created booking comes back as given, IdempotencyKey included; the
// idempotency key is checked before the id and before conflicts, belongs to
// a venue, and keeps naming its booking after the booking ended; a taken id
// is ErrExists. A transition sets Reason (an empty one clears it) and
// UpdatedAt to its own, keeps ReservationID unless it gives one, changes
// only the tables and times it gives, is checked for conflicts only when it
// gives some (the booking itself and its reservations never conflict), and
// to an empty range is ErrInvalid. Bookings lists nothing, without error,
// for an unknown venue or guest and applies Limit after the filters.
//
// Elsewhere: UpdateVenue keeps CreatedAt; table settings are replaced as a
// whole; deleting a group at an unknown venue is not an error; PutGuest
// replaces name, phone and language (empty ones too) and keeps CreatedAt; a
// command or enrollment code whose Expires equals now has expired, and a
// command without Expires never does; ExpireCommands lists oldest first;
// ClaimJobs orders by RunAt, then id, a lease ends at claim time + lease to
// the instant, and ScheduleJob of a known id keeps its Attempts and ends its
// lease; RedeemEnrollment takes the agent's venue from the code, and a taken
// agent id is ErrExists and leaves the code unused. An incident's detail
// with a NUL byte is stored or refused with ErrInvalid; a refused reopen
// leaves the incident as it was. PruneCommands cuts by CreatedAt, strictly
// before, and the id of a pruned command may be used again; a window of
// login failures covers [Start, Start+window). AgentsOfVenue lists revoked
// agents too; BookingsByIDs orders by id, lists a repeated id once and
// leaves unknown ones out.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// Run runs the suite's named subtests, each against a fresh store from open.
// Run closes each store when its subtest ends; open must not.
func Run(t *testing.T, open func(t *testing.T) hub.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s hub.Store)
	}{
		{"VenueCRUD", testVenueCRUD},
		{"AgentLifecycle", testAgentLifecycle},
		{"AgentUnknownVenue", testAgentUnknownVenue},
		{"EmptyIDs", testEmptyIDs},
		{"ApplyUpsertDelete", testApplyUpsertDelete},
		{"ApplyDuplicate", testApplyDuplicate},
		{"ApplyPartialOverlap", testApplyPartialOverlap},
		{"ApplyOutOfOrder", testApplyOutOfOrder},
		{"ApplyMalformed", testApplyMalformed},
		{"ApplyUnknownEntity", testApplyUnknownEntity},
		{"ApplyRevoked", testApplyRevoked},
		{"ResetMirror", testResetMirror},
		{"ApplyUnknownAgent", testApplyUnknownAgent},
		{"VenueIsolation", testVenueIsolation},
		{"CommandQueue", testCommandQueue},
		{"CommandFinish", testCommandFinish},
		{"ConcurrentSameBatch", testConcurrentSameBatch},
		{"ConcurrentAgents", testConcurrentAgents},
		{"ConcurrentCreateVenue", testConcurrentCreateVenue},
		{"ConcurrentFinish", testConcurrentFinish},
		{"UpdateVenue", testUpdateVenue},
		{"Tables", testTables},
		{"TableGroups", testTableGroups},
		{"Blocks", testBlocks},
		{"BookingCreate", testBookingCreate},
		{"BookingConflicts", testBookingConflicts},
		{"BookingIdempotency", testBookingIdempotency},
		{"BookingTransitions", testBookingTransitions},
		{"BookingHistory", testBookingHistory},
		{"BookingMove", testBookingMove},
		{"BookingsQuery", testBookingsQuery},
		{"BookingRace", testBookingRace},
		{"BookingProperty", testBookingProperty},
		{"Guests", testGuests},
		{"ExpireCommands", testExpireCommands},
		{"Jobs", testJobs},
		{"JobsConcurrentClaim", testJobsConcurrentClaim},
		{"Enrollment", testEnrollment},
		{"APIKeys", testAPIKeys},
		{"LearnedTurnTime", testLearnedTurnTime},
		{"EnrollmentRace", testEnrollmentRace},
		{"Incidents", testIncidents},
		{"IncidentsRace", testIncidentsRace},
		// Telegram bot (issue #7).
		{"TelegramChats", testTelegramChats},
		{"TelegramChatRace", testTelegramChatRace},
		{"TelegramBookings", testTelegramBookings},
		{"StaffLinks", testStaffLinks},
		// Telegram send queue (issue #7).
		{"OutgoingEnqueue", testOutgoingEnqueue},
		{"OutgoingClaim", testOutgoingClaim},
		{"OutgoingExpire", testOutgoingExpire},
		{"OutgoingFallBack", testOutgoingFallBack},
		{"OutgoingPrune", testOutgoingPrune},
		{"OutgoingConcurrentClaim", testOutgoingConcurrentClaim},
		{"Leases", testLeases},
		{"Notices", testNotices},
		{"SupportAPIKey", testSupportAPIKey},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"AgentSamples", testAgentSamples},
		{"RecentCommands", testRecentCommands},
		{"PruneCommands", testPruneCommands},
		{"LoginFailures", testLoginFailures},
		{"LoginFailuresRace", testLoginFailuresRace},
		// The venue page's live refresh (issue #8).
		{"AgentsOfVenue", testAgentsOfVenue},
		{"UnplacedReservations", testUnplacedReservations},
		{"BookingsByIDs", testBookingsByIDs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close store: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// t0 is the suite's clock: whole seconds in UTC, so that every store can
// keep it exactly.
var t0 = time.Date(2025, time.March, 1, 18, 0, 0, 0, time.UTC)

// cmpOpts make comparisons independent of how a store keeps values: nil and
// empty lists are alike, and JSON is compared by meaning.
var cmpOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	// Two empty bodies are left to EquateEmpty.
	cmp.FilterValues(func(a, b json.RawMessage) bool { return len(a)+len(b) > 0 },
		cmp.Comparer(sameJSON)),
}

func sameJSON(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return cmp.Equal(va, vb)
}

// diff reports a difference between got and want as (-got +want).
func diff[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if d := cmp.Diff(got, want, cmpOpts); d != "" {
		t.Errorf("%s mismatch (-got +want):\n%s", what, d)
	}
}

// cmpDiff returns the difference between got and want as (-got +want).
func cmpDiff(got, want any) string { return cmp.Diff(got, want, cmpOpts) }

// wantErr fails t unless err matches target (nil for success).
func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func createVenue(t testing.TB, s hub.Store, id string) hub.Venue {
	t.Helper()
	v := hub.Venue{ID: id, Name: "Venue " + id, TimeZone: "Europe/Moscow", CreatedAt: t0}
	wantErr(t, "create venue "+id, s.CreateVenue(context.Background(), v), nil)
	return v
}

func createAgent(t testing.TB, s hub.Store, id, venueID string) hub.Agent {
	t.Helper()
	a := hub.Agent{
		ID:         id,
		VenueID:    venueID,
		SecretHash: hub.HashSecret("secret of " + id),
		CreatedAt:  t0.Add(time.Minute),
	}
	wantErr(t, "create agent "+id, s.CreateAgent(context.Background(), a), nil)
	return a
}

// setup creates one venue with one agent.
func setup(t testing.TB, s hub.Store) (hub.Venue, hub.Agent) {
	t.Helper()
	v := createVenue(t, s, "ven_1")
	return v, createAgent(t, s, "agt_1", v.ID)
}

func getAgent(t testing.TB, s hub.Store, id string) hub.Agent {
	t.Helper()
	a, err := s.Agent(context.Background(), id)
	wantErr(t, "get agent "+id, err, nil)
	return a
}

// wantApplied checks an agent's applied sequence and event count.
func wantApplied(t testing.TB, s hub.Store, agentID string, seq, events uint64) {
	t.Helper()
	a := getAgent(t, s, agentID)
	if a.AppliedSeq != seq || a.AppliedEvents != events {
		t.Errorf("agent %s: applied seq %d, events %d; want %d, %d",
			agentID, a.AppliedSeq, a.AppliedEvents, seq, events)
	}
}

// wantState compares the mirror of want.VenueID with want.
func wantState(t testing.TB, s hub.Store, want hub.VenueState) {
	t.Helper()
	got, err := s.VenueState(context.Background(), want.VenueID)
	wantErr(t, "venue state "+want.VenueID, err, nil)
	diff(t, "venue state "+want.VenueID, got, want)
}

// apply applies a batch that must succeed with want.
func apply(t testing.TB, s hub.Store, agentID string, events []wire.Event,
	want hub.ApplyResult) {
	t.Helper()
	got, err := s.ApplyBatch(context.Background(), agentID, events)
	wantErr(t, "apply batch", err, nil)
	diff(t, "apply result", got, want)
}

func upsert(t testing.TB, seq uint64, kind wire.Entity, id string, v any) wire.Event {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %s %s: %v", kind, id, err)
	}
	return wire.Event{Seq: seq, Entity: kind, ID: id, Op: wire.OpUpsert, Data: data, At: t0}
}

func remove(seq uint64, kind wire.Entity, id string) wire.Event {
	return wire.Event{Seq: seq, Entity: kind, ID: id, Op: wire.OpDelete, At: t0}
}

func hallEvent(t testing.TB, seq uint64, h wire.Hall) wire.Event {
	t.Helper()
	return upsert(t, seq, wire.EntityHall, h.ID, h)
}

func tableEvent(t testing.TB, seq uint64, tb wire.Table) wire.Event {
	t.Helper()
	return upsert(t, seq, wire.EntityTable, tb.ID, tb)
}

func orderEvent(t testing.TB, seq uint64, o wire.Order) wire.Event {
	t.Helper()
	return upsert(t, seq, wire.EntityOrder, o.ID, o)
}

func reservationEvent(t testing.TB, seq uint64, r wire.Reservation) wire.Event {
	t.Helper()
	return upsert(t, seq, wire.EntityReservation, r.ID, r)
}

// reservation returns a full reservation, every field set.
func reservation(id, name string) wire.Reservation {
	return wire.Reservation{
		ID:        id,
		TableIDs:  []string{"t01", "t02"},
		Start:     t0.Add(2 * time.Hour),
		Duration:  wire.Duration(90 * time.Minute),
		Guests:    4,
		Name:      name,
		Phone:     "+70000000000",
		Comment:   "window seat",
		Status:    wire.ReservationConfirmed,
		BookingID: "bkg_" + id,
	}
}

// reservations returns events seq from..to, each upserting reservation
// "r<seq>" named name, and the reservations themselves.
func reservations(t testing.TB, from, to uint64, name string) (
	[]wire.Event, []wire.Reservation) {
	t.Helper()
	var events []wire.Event
	var list []wire.Reservation
	for seq := from; seq <= to; seq++ {
		r := reservation(rid(seq), name)
		events = append(events, reservationEvent(t, seq, r))
		list = append(list, r)
	}
	return events, list
}

// rid names reservation n so that ids sort like numbers.
func rid(n uint64) string { return fmt.Sprintf("r%04d", n) }
