package iiko_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/iiko"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

// venue adapts the fake to connectortest.Venue.
type venue struct{ f *iikotest.Fake }

func (v venue) OpenOrder(t testing.TB, tableID string, guests int) string {
	return v.f.OpenOrder(tableID, guests)
}
func (v venue) CloseOrder(t testing.TB, orderID string) { v.f.CloseOrder(orderID) }
func (v venue) AddReservation(t testing.TB, r wire.Reservation) string {
	return v.f.AddReservation(r)
}
func (v venue) Reservations(t testing.TB) []wire.Reservation { return v.f.Reservations() }
func (v venue) LoseNextAnswer(t testing.TB)                  { v.f.LoseNextAnswer() }
func (v venue) Lock(t testing.TB, id string)                 { v.f.Lock(id) }
func (v venue) ExpireToken(t testing.TB)                     { v.f.ExpireTokens() }
func (v venue) SetDown(t testing.TB, down bool)              { v.f.SetDown(down) }

// newFake starts a fake venue for t.
func newFake(t testing.TB, opts iikotest.Options) *iikotest.Fake {
	t.Helper()
	f := iikotest.New(opts)
	t.Cleanup(f.Close)
	return f
}

// config is a connector config for f, quick to poll in tests.
func config(f *iikotest.Fake) iiko.Config {
	o := f.Options()
	return iiko.Config{
		BaseURL: f.URL(), APIKey: o.APIKey, AppID: o.AppID, ClientSecret: o.ClientSecret,
		RequestTimeout: 5 * time.Second, StatusPoll: 5 * time.Millisecond,
		RetryBase: time.Millisecond, CreateTimeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func newConnector(t testing.TB, cfg iiko.Config) *iiko.Connector {
	t.Helper()
	c, err := iiko.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			f := newFake(t, iikotest.Options{})
			return newConnector(t, suiteConfig(f)), venue{f}
		},
		CancelledAtTill: connectortest.CancelledGone,
	})
}

func TestConformanceV1Login(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
			f := newFake(t, iikotest.Options{})
			cfg := suiteConfig(f)
			cfg.APIKey, cfg.AppID, cfg.ClientSecret = "", "", ""
			cfg.APILogin = f.Options().APILogin
			return newConnector(t, cfg), venue{f}
		},
		CancelledAtTill: connectortest.CancelledGone,
	})
}
