package iiko_test

import (
	"testing"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/iiko/iikotest"
)

func TestConformanceMove(t *testing.T) {
	connectortest.RunMove(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			f := newFake(t, iikotest.Options{})
			return newConnector(t, config(f)), venue{f}
		},
	})
}
