package sim_test

import (
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/sim"
)

func TestConformanceMove(t *testing.T) {
	connectortest.RunMove(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			start := time.Now()
			v, err := sim.New(sim.Config{Seed: 7, Tables: 12, Start: start,
				Now: func() time.Time { return start }})
			if err != nil {
				t.Fatal(err)
			}
			return v, simVenue{v}
		},
	})
}
