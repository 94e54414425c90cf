package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const minimal = `version: 1
hub:
  urls: [wss://hub.example.ru]
  agent_id: agt_1
  secret: s
`

func TestLoadDefaultsAndRelativeDataDir(t *testing.T) {
	p := write(t, minimal)
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.PollInterval != 5*time.Second || c.Connector.Kind != "sim" || c.Uplink.Window != 4 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if want := filepath.Join(filepath.Dir(p), "data"); c.DataDir != want {
		t.Errorf("data_dir = %q, want %q", c.DataDir, want)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Setenv("STOLIK_AGENT_SECRET", "from-env")
	t.Setenv("STOLIK_HUB_URLS", "ws://a:1,ws://b:2")
	c, err := config.Load(write(t, minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hub.Secret != "from-env" || len(c.Hub.URLs) != 2 {
		t.Errorf("env not applied: %+v", c.Hub)
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	_, err := config.Load(write(t, `version: 2
hub:
  urls: ["ftp://x", "::"]
poll_interval: 1ms
log: {level: loud}
connector: {kind: abacus}
`))
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{
		"version", "hub.urls[0]", "hub.urls[1]", "hub.agent_id", "hub.secret",
		"poll_interval", "log.level", "connector.kind",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func TestUnknownKeyNamesLine(t *testing.T) {
	_, err := config.Load(write(t, minimal+"pol_interval: 5s\n"))
	if err == nil || !strings.Contains(err.Error(), "pol_interval") ||
		!strings.Contains(err.Error(), "line 6") {
		t.Fatalf("err = %v, want the unknown key and its line", err)
	}
}

func TestFilesConnector(t *testing.T) {
	p := write(t, minimal+`connector:
  kind: files
  files:
    dir: exchange
    preset: smarttouch-csv
    time_zone: Europe/Moscow
    confirm_wait: 30s
    reservations:
      fields: {booking_id: ""}
      statuses: {"Ждём": new}
`)
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	f := c.Connector.Files
	if want := filepath.Join(filepath.Dir(p), "exchange"); f.Dir != want {
		t.Errorf("files.dir = %q, want %q (relative to the config file)", f.Dir, want)
	}
	if f.ConfirmWait != 30*time.Second || f.Reservations.Statuses["Ждём"] != "new" {
		t.Errorf("files = %+v", f)
	}
	if v, ok := f.Reservations.Fields["booking_id"]; !ok || v != "" {
		t.Errorf("an emptied field is lost: %v", f.Reservations.Fields)
	}
}

func TestFilesConnectorProblems(t *testing.T) {
	_, err := config.Load(write(t, minimal+`connector:
  kind: files
  files:
    preset: abacus-csv
    complet: marker
`))
	if err == nil {
		t.Fatal("bad files config accepted")
	}
	for _, want := range []string{
		"connector.files.complet: unknown key; did you mean complete?",
		"connector.files.dir: is empty",
		`connector.files.preset: "abacus-csv" is not known`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestSQLReadConnector(t *testing.T) {
	t.Setenv("STOLIK_SQLREAD_DSN", "postgres://ro:pw@db.local:5432/rms")
	c, err := config.Load(write(t, minimal+`connector:
  kind: sqlread
  sqlread:
    driver: postgres
    time_zone: Europe/Moscow
    queries:
      tables: SELECT id, hall_id, number, seats FROM rms.tables
      orders: SELECT id, table_id, opened_at FROM rms.open_orders
      reservations: SELECT id, table_id, start, duration FROM rms.bookings
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Connector.SQLRead.DSN != "postgres://ro:pw@db.local:5432/rms" {
		t.Errorf("the DSN is not taken from STOLIK_SQLREAD_DSN: %q", c.Connector.SQLRead.DSN)
	}
}

func TestSQLReadConnectorProblems(t *testing.T) {
	_, err := config.Load(write(t, minimal+`connector:
  kind: sqlread
  sqlread:
    driver: oracle
    queries: {tables: "SELECT 1"}
`))
	if err == nil {
		t.Fatal("bad sqlread config accepted")
	}
	for _, want := range []string{
		`connector.sqlread.driver: "oracle": use postgres or sqlserver`,
		"connector.sqlread.queries.orders: is empty",
		"connector.sqlread.queries.reservations: is empty",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "queries.tables") {
		t.Errorf("the tables query was given, yet: %v", err)
	}
}
