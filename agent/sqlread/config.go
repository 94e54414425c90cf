package sqlread

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/go-mssqldb/msdsn"
)

// Config is the connector.sqlread section of agent.yaml.
type Config struct {
	// Driver is postgres or sqlserver.
	Driver string `yaml:"driver"`
	// DSN says where the RMS database is and as whom to connect; usually
	// given in STOLIK_SQLREAD_DSN rather than the file, as it holds a
	// password. postgres: postgres://user:password@host:5432/db or
	// "host=... user=..."; sqlserver: sqlserver://user:password@host:1433?database=db.
	DSN string `yaml:"dsn"`
	// TimeZone is the venue's IANA zone, for timestamps stored without one.
	// Required: the agent's host clock may be set to another zone.
	TimeZone string `yaml:"time_zone"`
	// QueryTimeout bounds one snapshot (all queries); 0 means 10s.
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// Isolation is the SQL Server transaction isolation: read_committed
	// (the default) or snapshot (needs ALLOW_SNAPSHOT_ISOLATION ON).
	// PostgreSQL always reads in one REPEATABLE READ, READ ONLY transaction.
	Isolation string `yaml:"isolation"`
	// Queries read the venue; see the package documentation for the
	// columns each returns.
	Queries Queries `yaml:"queries"`
	// Statuses maps the RMS's words for a reservation's stage to new,
	// confirmed, seated or cancelled; those four words map to themselves.
	Statuses map[string]string `yaml:"statuses"`
}

// Queries are the SELECT statements that read the venue.
type Queries struct {
	Halls        string `yaml:"halls"`
	Tables       string `yaml:"tables"`
	Orders       string `yaml:"orders"`
	Reservations string `yaml:"reservations"`
}

// DefaultQueryTimeout bounds a snapshot when QueryTimeout is zero.
const DefaultQueryTimeout = 10 * time.Second

// Problem is one thing wrong with a Config: the field (below
// connector.sqlread) and what to write instead.
type Problem struct {
	Field, Message string
}

// Problems checks c and returns every problem.
func (c Config) Problems() []Problem {
	var probs []Problem
	bad := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch c.Driver {
	case "postgres", "sqlserver":
		if c.DSN == "" {
			bad("dsn", "is empty; write it here or in STOLIK_SQLREAD_DSN, e.g. %s",
				exampleDSN[c.Driver])
		} else if err := checkDSN(c.Driver, c.DSN); err != nil {
			bad("dsn", "%v; write it like %s", err, exampleDSN[c.Driver])
		}
	case "":
		bad("driver", "is empty; use postgres or sqlserver")
	default:
		bad("driver", "%q: use postgres or sqlserver", c.Driver)
	}
	if c.TimeZone == "" {
		bad("time_zone", "is empty; write the venue's IANA zone, e.g. Europe/Moscow "+
			"(timestamps stored without a zone are read in it)")
	} else {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			bad("time_zone", "unknown time zone %q; write an IANA name such as Europe/Moscow",
				c.TimeZone)
		}
	}
	if c.QueryTimeout < 0 {
		bad("query_timeout", "cannot be negative (10s is usual)")
	}
	switch c.Isolation {
	case "", "read_committed", "snapshot":
	default:
		bad("isolation", "%q: use read_committed or snapshot", c.Isolation)
	}
	for _, q := range []struct{ name, sql string }{{"tables", c.Queries.Tables},
		{"orders", c.Queries.Orders}, {"reservations", c.Queries.Reservations}} {
		if strings.TrimSpace(q.sql) == "" {
			bad("queries."+q.name, "is empty; write the SELECT that returns %s",
				strings.Join(columns[q.name].all(), ", "))
		}
	}
	for word, st := range c.Statuses {
		switch st {
		case "new", "confirmed", "seated", "cancelled":
		default:
			bad("statuses."+word, "%q: use new, confirmed, seated or cancelled", st)
		}
	}
	return probs
}

var exampleDSN = map[string]string{
	"postgres":  "postgres://stolik_ro:password@127.0.0.1:5432/rms",
	"sqlserver": "sqlserver://stolik_ro:password@127.0.0.1:1433?database=rms",
}

// driverName is the database/sql driver registered for a Config.Driver.
func driverName(driver string) (string, error) {
	switch driver {
	case "postgres":
		return "pgx", nil
	case "sqlserver":
		return "sqlserver", nil
	}
	return "", fmt.Errorf("driver %q: use postgres or sqlserver", driver)
}

// checkDSN parses dsn as the driver would, without connecting. Its errors
// never repeat the DSN, which may hold a password.
func checkDSN(driver, dsn string) error {
	switch driver {
	case "postgres":
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return fmt.Errorf("the postgres DSN does not parse")
		}
	case "sqlserver":
		if _, err := msdsn.Parse(dsn); err != nil {
			return fmt.Errorf("the sqlserver DSN does not parse")
		}
	default:
		_, err := driverName(driver)
		return err
	}
	return nil
}
