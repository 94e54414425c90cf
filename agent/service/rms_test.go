package service_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/poster/postertest"
	"github.com/stolik/stolik/agent/quickresto/quickrestotest"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/shared/wire"
)

func TestNewConnectorPoster(t *testing.T) {
	f, err := postertest.New(postertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := config.Default()
	c.DataDir = t.TempDir()
	c.Connector.Kind = "poster"
	c.Connector.Poster = config.Poster{
		BaseURL: f.URL(), Token: f.Token(), TimeZone: "Europe/Moscow",
	}

	conn, err := service.NewConnector(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if conn.Kind() != "poster" ||
		!slices.Equal(agent.Capabilities(conn), []string{agent.CapabilityReservations}) {
		t.Errorf("kind %q, capabilities %v", conn.Kind(), agent.Capabilities(conn))
	}
	st, err := conn.Snapshot(context.Background())
	if err != nil || len(st.Tables) == 0 {
		t.Fatalf("snapshot: %d tables, %v", len(st.Tables), err)
	}
	req := wire.ReservationRequest{
		BookingID: "bk-1", TableIDs: []string{st.Tables[0].ID}, Guests: 2, Name: "Анна",
		Start:    time.Now().Add(3 * time.Hour).Truncate(time.Hour),
		Duration: wire.Duration(time.Hour),
	}
	w := conn.(agent.ReservationWriter)
	if _, err := w.CreateReservation(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.DataDir, "poster-tables.json")); err != nil {
		t.Errorf("the table map is not in the data directory: %v", err)
	}
}

func TestNewConnectorQuickResto(t *testing.T) {
	f, err := quickrestotest.New(quickrestotest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := config.Default()
	c.Connector.Kind = "quickresto"
	c.Connector.QuickResto = config.QuickResto{BaseURL: f.URL(), Login: "cafe", Password: "secret"}

	conn, err := service.NewConnector(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if conn.Kind() != "quickresto" || len(agent.Capabilities(conn)) != 0 {
		t.Errorf("kind %q, capabilities %v", conn.Kind(), agent.Capabilities(conn))
	}
	if st, err := conn.Snapshot(context.Background()); err != nil || len(st.Tables) == 0 {
		t.Errorf("snapshot: %d tables, %v", len(st.Tables), err)
	}
}
