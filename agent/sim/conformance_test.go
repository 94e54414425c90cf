package sim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/shared/wire"
)

// simVenue drives a simulated venue for the suite. The model's own changes
// follow its clock, which the harness stops, so only SetDown is simulated.
type simVenue struct{ v *sim.Venue }

func (s simVenue) unsupported(t testing.TB) {
	t.Helper()
	t.Fatal("the sim venue does not simulate this; the harness should skip it")
}

func (s simVenue) OpenOrder(t testing.TB, _ string, _ int) string {
	s.unsupported(t)
	return ""
}
func (s simVenue) CloseOrder(t testing.TB, _ string) { s.unsupported(t) }
func (s simVenue) AddReservation(t testing.TB, _ wire.Reservation) string {
	s.unsupported(t)
	return ""
}
func (s simVenue) LoseNextAnswer(t testing.TB) { s.unsupported(t) }
func (s simVenue) Lock(t testing.TB, _ string) { s.unsupported(t) }
func (s simVenue) ExpireToken(t testing.TB)    { s.unsupported(t) }

func (s simVenue) Reservations(t testing.TB) []wire.Reservation {
	t.Helper()
	st, err := s.v.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st.Reservations
}

func (s simVenue) SetDown(t testing.TB, down bool) {
	if down {
		s.v.SetDown(errors.New("sim: the venue is down"))
	} else {
		s.v.SetDown(nil)
	}
}

func TestConformance(t *testing.T) {
	const why = "the model changes only with its clock"
	connectortest.Run(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			start := time.Now()
			v, err := sim.New(sim.Config{Seed: 7, Tables: 12, Start: start,
				Now: func() time.Time { return start }})
			if err != nil {
				t.Fatal(err)
			}
			return v, simVenue{v}
		},
		Skip: map[string]string{
			connectortest.SkipOrders:       why,
			connectortest.SkipStaffReserve: why,
			connectortest.SkipLose:         "nothing sits between the agent and the sim",
			connectortest.SkipLock:         "the sim cancels any reservation",
			connectortest.SkipToken:        "the sim has no session",
			connectortest.SkipTables:       why,
		},
	})
}
