package files_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/connectortest"
	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/files/filestest"
	"github.com/stolik/stolik/shared/wire"
)

// confirmWait is short in tests; loseFor outlasts one wait but not two.
const (
	confirmWait = 2 * time.Second
	loseFor     = 3 * time.Second
)

func TestConformance(t *testing.T) {
	for _, preset := range []string{"generic-csv", "generic-xml", "smarttouch-csv"} {
		t.Run(preset, func(t *testing.T) {
			connectortest.Run(t, connectortest.Harness{
				New: func(t *testing.T) (agent.Connector, connectortest.Venue) {
					c, e := start(t, files.Config{Preset: preset})
					return c, venue{e}
				},
				Skip: map[string]string{
					connectortest.SkipToken: "file exchange has no token or session",
				},
				CancelledAtTill: connectortest.CancelledShown,
			})
		})
	}
}

// start builds an exporter running in the background and a connector over
// the same folder. cfg.Dir, time zone and waits are filled in.
func start(t testing.TB, cfg files.Config) (*files.Connector, *filestest.Exporter) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.TimeZone == "" {
		cfg.TimeZone = "Europe/Moscow"
	}
	if cfg.ConfirmWait == 0 {
		cfg.ConfirmWait = confirmWait
	}
	e, err := filestest.New(cfg, filestest.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx, 20*time.Millisecond)
	}()
	t.Cleanup(func() { cancel(); <-done })
	c, err := files.New(cfg, files.Options{PollEvery: 20 * time.Millisecond,
		Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c, e
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// venue is the exporter as the conformance suite drives it.
type venue struct{ e *filestest.Exporter }

func (v venue) OpenOrder(t testing.TB, tableID string, guests int) string {
	t.Helper()
	id, err := v.e.OpenOrder(tableID, guests)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v venue) CloseOrder(t testing.TB, orderID string) {
	t.Helper()
	if err := v.e.CloseOrder(orderID); err != nil {
		t.Fatal(err)
	}
}

func (v venue) AddReservation(t testing.TB, r wire.Reservation) string {
	t.Helper()
	id, err := v.e.AddReservation(r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (v venue) Reservations(testing.TB) []wire.Reservation { return v.e.Reservations() }

func (v venue) LoseNextAnswer(testing.TB) { v.e.LoseNextAnswer(loseFor) }

func (v venue) Lock(_ testing.TB, id string) { v.e.Lock(id) }

func (v venue) ExpireToken(t testing.TB) { t.Fatal("file exchange has no token") }

func (v venue) SetDown(t testing.TB, down bool) {
	t.Helper()
	if err := v.e.SetDown(down); err != nil {
		t.Fatal(err)
	}
}
