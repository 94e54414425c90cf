package service_test

import (
	"slices"
	"testing"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/agent/sqlread"
)

func TestNewConnectorFilesAndSQLRead(t *testing.T) {
	tests := []struct {
		kind   string
		set    func(*config.Connector)
		writes bool
	}{
		{"files", func(c *config.Connector) {
			c.Files = files.Config{Dir: t.TempDir(), Preset: "smarttouch-csv",
				TimeZone: "Europe/Moscow"}
		}, true},
		{"sqlread", func(c *config.Connector) {
			c.SQLRead = sqlread.Config{Driver: "sqlserver", TimeZone: "Europe/Moscow",
				DSN: "sqlserver://ro:pw@127.0.0.1:1433?database=rms",
				Queries: sqlread.Queries{Tables: "SELECT 1", Orders: "SELECT 1",
					Reservations: "SELECT 1"}}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			c := config.Default()
			c.Connector.Kind = tc.kind
			tc.set(&c.Connector)
			conn, err := service.NewConnector(c, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if conn.Kind() != tc.kind {
				t.Errorf("kind = %q, want %q", conn.Kind(), tc.kind)
			}
			writes := slices.Contains(agent.Capabilities(conn), agent.CapabilityReservations)
			if writes != tc.writes {
				t.Errorf("%s writes reservations: %v, want %v", tc.kind, writes, tc.writes)
			}
		})
	}
}
