package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/hub/postgres/pgtest"
)

// TestMoreWithoutPostgres: without PostgreSQL's server binaries, --more
// sqlread (and --more all) says in one line what to install and the demo
// goes on with the other venues.
func TestMoreWithoutPostgres(t *testing.T) {
	was := pgInstalled
	pgInstalled = func() error { return fmt.Errorf("%w (pretended)", pgtest.ErrNoServer) }
	t.Cleanup(func() { pgInstalled = was })

	for _, tc := range []struct {
		more  string
		kinds []string
	}{
		{"sqlread", nil},
		{"all", []string{"poster", "quickresto", "files"}},
	} {
		t.Run(tc.more, func(t *testing.T) {
			var out strings.Builder
			d := &demo{out: &out, dir: t.TempDir(), more: tc.more}
			err := d.addMore()
			t.Cleanup(d.stop)
			if err != nil {
				t.Fatalf("--more %s failed the demo: %v", tc.more, err)
			}
			var kinds []string
			for _, till := range d.tills {
				kinds = append(kinds, till.kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tc.kinds, ",") {
				t.Errorf("venues %v, want %v", kinds, tc.kinds)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "apt-get install postgresql") {
				t.Errorf("the demo said %q, want one line naming apt-get install postgresql",
					out.String())
			}
		})
	}
}

// TestSQLReadVenue starts the read-only database venue and reads it as its
// agent would, from the config the demo writes; closing it stops the
// cluster and removes it.
func TestSQLReadVenue(t *testing.T) {
	if err := pgtest.Installed(); err != nil {
		if os.Getenv(pgtest.EnvRequire) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	till, err := startMore("sqlread", dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			till.close()
		}
	})

	path := filepath.Join(dir, "agent.yaml")
	body := "version: 1\nhub:\n  urls: [ws://127.0.0.1:1]\n  agent_id: agt_1\n  secret: s\n" +
		till.connector
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the agent does not take the demo's config: %v\n%s", err, body)
	}
	dsn := cfg.Connector.SQLRead.DSN
	if u, err := url.Parse(dsn); err != nil || u.User.Username() != "stolik_ro" {
		t.Fatalf("the agent connects as %v, want the read-only role stolik_ro", u)
	}
	c, err := service.NewConnector(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Snapshot(context.Background())
	if closer, ok := c.(interface{ Close() error }); ok {
		closer.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Halls) != 2 || len(st.Tables) != 8 {
		t.Errorf("the agent reads %d halls and %d tables, want 2 and 8",
			len(st.Halls), len(st.Tables))
	}

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM vendor.bookings`); err == nil {
		t.Error("the agent's role could delete the vendor's bookings")
	}

	till.close()
	closed = true
	if err := db.Ping(); err == nil {
		t.Error("the vendor's database still answers after close")
	}
	mine, _ := filepath.Glob(filepath.Join(os.TempDir(), "stolik-pgtest-*", "owner.pid"))
	for _, p := range mine {
		if raw, _ := os.ReadFile(p); string(raw) == strconv.Itoa(os.Getpid()) {
			t.Errorf("the cluster's directory %s is left after close", filepath.Dir(p))
		}
	}
}
