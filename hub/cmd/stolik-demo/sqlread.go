package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/stolik/stolik/agent/sqlread"
	"github.com/stolik/stolik/agent/sqlread/sqlreadtest"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/shared/wire"
)

// skipped is an optional venue the demo carries on without; its text is
// one line for the newcomer saying why and what to do.
type skipped string

func (s skipped) Error() string { return string(s) }

// pgInstalled reports whether PostgreSQL's server binaries are on this
// machine; a variable so that a test can pretend they are not.
var pgInstalled = pgtest.Installed

// startSQLRead starts the read-only database venue: a throwaway PostgreSQL
// cluster holding a vendor's RMS database, staff writing to it, and an
// agent reading it through a role that may only SELECT. Without the server
// binaries, or when the cluster does not start, it returns skipped; the
// whole error then goes to postgres.log in dir.
func startSQLRead(dir string, seed uint64) (*rms, error) {
	if err := pgInstalled(); err != nil {
		return nil, skipped("--more sqlread: no read-only database venue, PostgreSQL's " +
			"server binaries (initdb, pg_ctl) are not installed; install them with " +
			"`apt-get install postgresql` (Debian, Ubuntu) to add it")
	}
	fail := func(what string, err error) error {
		log := filepath.Join(dir, "postgres.log")
		_ = os.WriteFile(log, []byte(err.Error()+"\n"), 0o600)
		return skipped(fmt.Sprintf("--more sqlread: no read-only database venue, %s "+
			"(see %s)", what, log))
	}
	c, err := pgtest.Start("")
	if err != nil {
		return nil, fail("PostgreSQL did not start", err)
	}
	v, connector, err := vendorDatabase(c.URL())
	if err != nil {
		_ = c.Stop()
		return nil, fail("its database could not be made", err)
	}
	return &rms{kind: "sqlread", product: "read-only database",
		venue:        "Демо: пельменная «Тесто» (read-only database, staff confirm)",
		connector:    connector,
		reservations: func() []wire.Reservation { return nil },
		activity: func(ctx context.Context) {
			v.Activity(ctx, mrand.New(mrand.NewPCG(seed, 6)), 5*time.Second)
		},
		close: func() {
			v.Close()
			_ = c.Stop()
		},
	}, nil
}

// vendorDatabase makes the RMS's database "rms" on the cluster at admin,
// with 2 halls of 4 tables and a read-only role, and returns it with the
// agent's connector section reading it as that role.
func vendorDatabase(admin string) (*sqlreadtest.Vendor, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, "", err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE rms")
	conn.Close(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("create the vendor's database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, "", err
	}
	u.Path = "/rms"

	v, err := sqlreadtest.Create(ctx, u.String(), sqlreadtest.Layout{Halls: 2, TablesPerHall: 4})
	if err != nil {
		return nil, "", err
	}
	dsn, err := v.ReadOnlyRole(ctx, "stolik_ro", rand.Text(), "stolik-agent")
	if err != nil {
		v.Close()
		return nil, "", err
	}
	var section struct {
		Connector struct {
			Kind    string         `yaml:"kind"`
			SQLRead sqlread.Config `yaml:"sqlread"`
		} `yaml:"connector"`
	}
	section.Connector.Kind = "sqlread"
	section.Connector.SQLRead = sqlreadtest.Config(dsn)
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := errors.Join(enc.Encode(section), enc.Close()); err != nil {
		v.Close()
		return nil, "", err
	}
	return v, b.String(), nil
}
