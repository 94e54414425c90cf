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

const rkeeperConfig = minimal + `connector:
  kind: rkeeper
  rkeeper:
    url: https://192.168.1.10:8443/rk7api/v0/xmlinterface.xml
    user: stolik
    cert_sha256: ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789
    time_zone: Europe/Moscow
    manager: "3"
    delete_reason: "2"
`

func TestRKeeperConfig(t *testing.T) {
	t.Setenv("STOLIK_RKEEPER_PASSWORD", "from-env")
	c, err := config.Load(write(t, rkeeperConfig))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Connector.RKeeper
	if r.Password != "from-env" || r.SeatsAttribute != "MaxGuests" ||
		r.DurationFormat != "auto" || r.RefCheck != time.Minute {
		t.Errorf("rkeeper section = %+v, want the env password and the defaults", r)
	}
}

func TestRKeeperProblems(t *testing.T) {
	_, err := config.Load(write(t, minimal+`connector:
  kind: rkeeper
  rkeeper:
    url: http://192.168.1.10:8443/rk7api/v0/xmlinterface.xml
    time_zone: Mars/Olympus
    duration_format: days
`))
	if err == nil {
		t.Fatal("bad rkeeper section accepted")
	}
	for _, want := range []string{
		"connector.rkeeper.url: scheme \"http\"", "connector.rkeeper.user",
		"connector.rkeeper.password", "connector.rkeeper.cert_sha256: is empty",
		"connector.rkeeper.time_zone", "connector.rkeeper.manager",
		"connector.rkeeper.delete_reason", "connector.rkeeper.duration_format",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func TestRKeeperBadPin(t *testing.T) {
	t.Setenv("STOLIK_RKEEPER_PASSWORD", "p")
	body := strings.Replace(rkeeperConfig, "ABCDEF01", "XYCDEF01", 1)
	_, err := config.Load(write(t, body))
	if err == nil || !strings.Contains(err.Error(), "is not a SHA-256 fingerprint") {
		t.Errorf("err = %v, want the bad fingerprint named", err)
	}
}

func TestIiko(t *testing.T) {
	t.Setenv("STOLIK_IIKO_CLIENT_SECRET", "from-env")
	c, err := config.Load(write(t, minimal+`connector:
  kind: iiko
  iiko: {api_key: k, app_id: 4c79fa7c-1ab5-4bcc-9589-8a6ab70794b1, time_zone: Europe/Moscow}
`))
	if err != nil {
		t.Fatal(err)
	}
	i := c.Connector.Iiko
	if i.ClientSecret != "from-env" || i.BaseURL != "https://api-ru.iiko.services" ||
		i.WindowAhead != 31*24*time.Hour || i.RequestTimeout != 30*time.Second {
		t.Errorf("iiko = %+v, want the secret from the environment and defaults", i)
	}

	_, err = config.Load(write(t, minimal+`connector:
  kind: iiko
  iiko:
    api_key: k
    organization_id: nope
    time_zone: Mars/Olympus
    window_ahead: 3000h
    request_timeout: 1ms
`))
	if err == nil {
		t.Fatal("bad iiko section accepted")
	}
	for _, want := range []string{"connector.iiko.app_id",
		"connector.iiko.organization_id", "connector.iiko.time_zone",
		"connector.iiko.window_ahead", "connector.iiko.request_timeout", "line 10:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}

	_, err = config.Load(write(t, minimal+"connector: {kind: iiko}\n"))
	if err == nil || !strings.Contains(err.Error(), "api_login") {
		t.Errorf("err = %v, want a hint about api_key or api_login", err)
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
    orders: {max_age: 0s}
    reservations:
      fields: {booking_id: ""}
      statuses: {"Ждём": new}
      max_age: 1h
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
	if m := f.Orders.MaxAge; m == nil || *m != 0 {
		t.Errorf("orders.max_age = %v, want 0 (the check off)", m)
	}
	if m := f.Reservations.MaxAge; m == nil || *m != time.Hour {
		t.Errorf("reservations.max_age = %v, want 1h", m)
	}
	if f.Tables.MaxAge != nil {
		t.Errorf("tables.max_age = %v, want unset", *f.Tables.MaxAge)
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
