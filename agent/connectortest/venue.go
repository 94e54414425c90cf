// Package connectortest is the conformance suite every RMS connector
// passes: run it from the connector's tests with a Harness that builds the
// connector over a fake of its RMS, and a Venue that changes the fake the
// way a restaurant's staff would.
package connectortest

import (
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Venue is the RMS behind a connector under test, as staff and the network
// can change it. Every method fails the test (t.Fatal) if the fake cannot do
// what is asked; a harness whose fake cannot simulate something at all names
// it in Harness.Skip instead.
type Venue interface {
	// OpenOrder opens a walk-in order on a table, as a waiter does at the
	// till, and returns the order's RMS id.
	OpenOrder(t testing.TB, tableID string, guests int) string
	// CloseOrder closes (pays) an open order.
	CloseOrder(t testing.TB, orderID string)
	// AddReservation records a phone booking made at the till and returns
	// its RMS id. Only TableIDs, Start, Duration, Guests, Name and Phone
	// are set.
	AddReservation(t testing.TB, r wire.Reservation) string
	// Reservations lists the reservations the RMS holds now, cancelled ones
	// included (with Status cancelled) where the RMS keeps them. It reads
	// the fake directly, not through the connector.
	Reservations(t testing.TB) []wire.Reservation
	// LoseNextAnswer makes the RMS carry out the next write call it gets
	// (create, update or cancel) and then drop the connection before the
	// answer reaches the connector.
	LoseNextAnswer(t testing.TB)
	// Lock makes a reservation impossible to cancel through the API, the
	// way the RMS does once guests are seated or the order has items.
	Lock(t testing.TB, reservationID string)
	// ExpireToken invalidates the connector's token or session, as the RMS
	// does when its lifetime ends.
	ExpireToken(t testing.TB)
	// SetDown makes the RMS unreachable (true) or reachable again (false).
	SetDown(t testing.TB, down bool)
	// AddTable adds a table of seats seats to one of the venue's halls, as
	// a manager does in the RMS's back office, and returns its RMS id.
	AddTable(t testing.TB, seats int) string
	// RemoveTable removes a table with nothing on it from the venue (or
	// marks it deleted, where the RMS keeps deleted tables).
	RemoveTable(t testing.TB, tableID string)
	// CancelAtTill cancels a reservation as staff do at the till when a
	// guest phones to cancel: the RMS's own way (a status, a voided
	// order, a deleted row), not through the connector.
	CancelAtTill(t testing.TB, reservationID string)
	// MoveAtTill moves a reservation to another start on the same tables,
	// as staff do at the till.
	MoveAtTill(t testing.TB, reservationID string, start time.Time)
	// ExpireTokenAfter lets n-1 more requests through with the
	// connector's token and makes the RMS refuse it from the n-th request
	// on, as when its lifetime ends in the middle of a sync; the token
	// the connector asks for next is good. ExpireTokenAfter(1) is
	// ExpireToken.
	ExpireTokenAfter(t testing.TB, n int)
}

// Capabilities a Venue may lack, as keys of Harness.Skip.
const (
	SkipOrders       = "orders" // OpenOrder, CloseOrder
	SkipStaffReserve = "staff"  // AddReservation
	SkipWrite        = "write"  // the connector is not an agent.ReservationWriter
	SkipCancel       = "cancel" // the RMS's API cannot cancel a reservation
	SkipLose         = "lose"   // LoseNextAnswer
	SkipLock         = "lock"   // Lock
	SkipToken        = "token"  // ExpireToken
	SkipDown         = "down"   // SetDown
)

// More capabilities a Venue may lack, as keys of Harness.Skip.
const (
	SkipTables      = "tables"      // AddTable, RemoveTable
	SkipStaffCancel = "staffcancel" // CancelAtTill
	SkipStaffMove   = "staffmove"   // MoveAtTill
)

// What a connector's snapshot shows of a reservation cancelled at the
// till, for Harness.CancelledAtTill.
const (
	// CancelledShown: the reservation stays, with Status cancelled.
	CancelledShown = "shown"
	// CancelledGone: the reservation leaves the snapshot.
	CancelledGone = "gone"
)

// Harness builds what the suite tests.
type Harness struct {
	// New builds a fresh fake venue and a connector reading it. The venue
	// has at least one hall and two tables of two or more seats with
	// nothing on them from now for the next six hours. Cleanup goes
	// through t.Cleanup.
	New func(t *testing.T) (agent.Connector, Venue)
	// Skip names what the venue cannot simulate, each with the reason; the
	// tests needing it are skipped with that reason.
	Skip map[string]string
	// CancelledAtTill is what the connector documents its snapshot shows
	// of a reservation cancelled at the till: CancelledShown or
	// CancelledGone. Empty accepts either.
	CancelledAtTill string
}
