package rkeeper_test

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/rkeeper"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/shared/wire"
)

// startFake starts a fake venue closed with the test.
func startFake(t testing.TB, o rkeepertest.Options) *rkeepertest.Fake {
	t.Helper()
	f, err := rkeepertest.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// configFor is a connector config reading f.
func configFor(f *rkeepertest.Fake) rkeeper.Config {
	return rkeeper.Config{
		URL: f.URL(), User: f.User(), Password: f.Password(), CertSHA256: f.Fingerprint(),
		Location: f.Location(), Station: "1", Waiter: "17", Manager: "3", DeleteReason: "2",
		SeatsAttribute: f.SeatsAttribute(), RequestTimeout: 5 * time.Second,
	}
}

// connect builds a connector over f with cfg, closed with the test.
func connect(t testing.TB, cfg rkeeper.Config) *rkeeper.Connector {
	t.Helper()
	c, err := rkeeper.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func snapshot(t testing.TB, c agent.Connector) agent.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return st
}

// venue adapts the fake to the conformance suite.
type venue struct{ f *rkeepertest.Fake }

func (v venue) OpenOrder(t testing.TB, tableID string, guests int) string {
	t.Helper()
	id, err := v.f.OpenOrder(tableID, guests)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v venue) CloseOrder(t testing.TB, orderID string) {
	t.Helper()
	if err := v.f.CloseOrder(orderID); err != nil {
		t.Fatal(err)
	}
}

func (v venue) AddReservation(t testing.TB, r wire.Reservation) string {
	t.Helper()
	id, err := v.f.AddReservation(r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v venue) Reservations(testing.TB) []wire.Reservation { return v.f.Reservations() }
func (v venue) LoseNextAnswer(testing.TB)                  { v.f.LoseNextAnswer() }
func (v venue) Lock(_ testing.TB, id string)               { v.f.Lock(id) }
func (v venue) ExpireToken(testing.TB)                     { v.f.ExpireToken() }
func (v venue) SetDown(_ testing.TB, down bool)            { v.f.SetDown(down) }

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			f := startFake(t, rkeepertest.Options{})
			return connect(t, suiteConfig(f)), venue{f}
		},
		Skip: map[string]string{
			connectortest.SkipToken: "the XML interface has no token or session: HTTP Basic " +
				"on every request, and a 401 is refused credentials (TestUnauthorized)",
		},
		CancelledAtTill: connectortest.CancelledGone, // a voided order leaves the list
	})
}
