package sqlread

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
)

// TODO(#6): SQL Server cannot run here; only driver selection, DSN parsing
// and a refused connection are tested. The queries, the READ COMMITTED /
// SNAPSHOT transaction, UNIQUEIDENTIFIER ids and datetime2/datetimeoffset
// conversion need a run against a real SQL Server.

func TestDriverName(t *testing.T) {
	for driver, want := range map[string]string{"postgres": "pgx", "sqlserver": "sqlserver"} {
		if got, err := driverName(driver); err != nil || got != want {
			t.Errorf("driverName(%q) = %q, %v, want %q", driver, got, err, want)
		}
	}
	if _, err := driverName("oracle"); err == nil {
		t.Error("driverName(oracle) succeeded")
	}
}

func TestCheckDSN(t *testing.T) {
	tests := []struct {
		driver, dsn string
		ok          bool
	}{
		{"postgres", "postgres://ro:secret@127.0.0.1:5432/rms", true},
		{"postgres", "host=127.0.0.1 user=ro dbname=rms", true},
		{"postgres", "postgres://ro:secret@127.0.0.1:notaport/rms", false},
		{"sqlserver", "sqlserver://ro:secret@127.0.0.1:1433?database=rms", true},
		{"sqlserver", "server=127.0.0.1;user id=ro;password=secret;database=rms", true},
		{"sqlserver", "sqlserver://ro:secret@127.0.0.1:1433?database=rms&encrypt=maybe", false},
	}
	for _, tc := range tests {
		err := checkDSN(tc.driver, tc.dsn)
		if (err == nil) != tc.ok {
			t.Errorf("checkDSN(%s, %q) = %v, want ok %v", tc.driver, tc.dsn, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("the error %q repeats the password", err)
		}
	}
}

func TestProblems(t *testing.T) {
	good := Config{Driver: "sqlserver", DSN: "sqlserver://ro:pw@db:1433?database=rms",
		TimeZone: "Europe/Moscow", Queries: Queries{Tables: "SELECT 1", Orders: "SELECT 1", Reservations: "SELECT 1"}}
	if probs := good.Problems(); len(probs) != 0 {
		t.Errorf("problems of a good config: %+v", probs)
	}
	bad := Config{Driver: "postgres", TimeZone: "Mars/Base", Isolation: "serializable",
		QueryTimeout: -1, Statuses: map[string]string{"Ждём": "waiting"}}
	var got []string
	for _, p := range bad.Problems() {
		got = append(got, p.Field)
	}
	want := []string{"dsn", "time_zone", "query_timeout", "isolation", "queries.tables",
		"queries.orders", "queries.reservations", "statuses.Ждём"}
	if !slices.Equal(got, want) {
		t.Errorf("problems in %v, want %v", got, want)
	}
	noZone := good
	noZone.TimeZone = ""
	if probs := noZone.Problems(); len(probs) != 1 || probs[0].Field != "time_zone" ||
		!strings.Contains(probs[0].Message, "Europe/Moscow") {
		t.Errorf("problems without a time zone: %+v, want time_zone with an example", probs)
	}
}

func TestSQLServerUnreachable(t *testing.T) {
	// A port that refuses connections: the driver is selected and dials.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := New(Config{Driver: "sqlserver",
		DSN:          "sqlserver://ro:pw@" + addr + "?database=rms&dial+timeout=2",
		TimeZone:     "Europe/Moscow",
		Queries:      Queries{Tables: "SELECT 1", Orders: "SELECT 1", Reservations: "SELECT 1"},
		QueryTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "sqlread: connect to the sqlserver database") {
		t.Fatalf("snapshot = %v, want a connection error", err)
	}
	if _, ok := agent.FixOf(err); !ok {
		t.Errorf("the error %v carries no fix", err)
	}
}
