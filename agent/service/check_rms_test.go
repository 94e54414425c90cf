package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/files/filestest"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/agent/poster/postertest"
	"github.com/stolik/stolik/agent/quickresto/quickrestotest"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/agent/sqlread/sqlreadtest"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/shared/wire"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// checkCase is one connector's config on its fake.
type checkCase struct {
	kind string
	// set points c at a fresh fake and returns how to spoil the config.
	set func(t *testing.T, c *config.Config) (spoil func(*config.Config))
	// ok are lines of the report on the fake; fail the lines after spoil
	// (nil: no failure case).
	ok, fail []string
}

var checkCases = []checkCase{
	{kind: "poster", set: func(t *testing.T, c *config.Config) func(*config.Config) {
		f, err := postertest.New(postertest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Close)
		c.Connector.Poster = config.Poster{BaseURL: f.URL(), Token: f.Token(),
			TimeZone: "Europe/Moscow"}
		return func(c *config.Config) { c.Connector.Poster.Token = "revoked" }
	}, ok: []string{"ok   RMS (poster): 2 halls, 8 tables\n", "       Зал 1: 1, 2, 3, 4\n",
		"ok   bookings: the agent writes bookings into the RMS\n"},
		fail: []string{"FAIL RMS (poster): poster access.getSpots: error 11",
			"next step: check connector.poster.token in agent.yaml"}},

	{kind: "quickresto", set: func(t *testing.T, c *config.Config) func(*config.Config) {
		f, err := quickrestotest.New(quickrestotest.Options{Login: "cafe", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Close)
		c.Connector.QuickResto = config.QuickResto{BaseURL: f.URL(), Login: "cafe",
			Password: "pw"}
		return func(c *config.Config) { c.Connector.QuickResto.Password = "wrong" }
	}, ok: []string{"ok   RMS (quickresto): 2 halls, 8 tables\n",
		"ok   bookings: read only: staff confirm each booking (manual confirmation)\n"},
		fail: []string{"FAIL RMS (quickresto): quickresto list TableScheme: HTTP 401",
			"next step: check connector.quickresto.login and password"}},

	{kind: "files", set: func(t *testing.T, c *config.Config) func(*config.Config) {
		cfg := files.Config{Dir: filepath.Join(t.TempDir(), "exchange"),
			Preset: "generic-csv", TimeZone: "Europe/Moscow"}
		if _, err := filestest.New(cfg, filestest.Layout{Halls: 2, Tables: 8}); err != nil {
			t.Fatal(err)
		}
		c.Connector.Files = cfg
		return func(c *config.Config) {
			c.Connector.Files.Dir = filepath.Join(t.TempDir(), "no such folder")
		}
	}, ok: []string{"ok   RMS (files): 2 halls, 8 tables\n",
		"ok   bookings: the agent writes bookings into the RMS\n"},
		fail: []string{"FAIL RMS (files): files: waiting for the first export", "no such folder",
			"next step: set the RMS to export into this folder"}},

	{kind: "iiko", set: func(t *testing.T, c *config.Config) func(*config.Config) {
		f := iikotest.New(iikotest.Options{})
		t.Cleanup(f.Close)
		c.Connector.Iiko = config.Iiko{BaseURL: f.URL(), APILogin: "test-login"}
		return nil
	}, ok: []string{"ok   RMS (iiko): 2 halls, 6 tables\n", "ok   occupancy: ",
		"ok   reservations: ", "ok   bookings: the agent writes bookings into the RMS\n"}},

	{kind: "sqlread", set: func(t *testing.T, c *config.Config) func(*config.Config) {
		dsn := pgtest.URL(t)
		v, err := sqlreadtest.Create(context.Background(), dsn,
			sqlreadtest.Layout{Halls: 2, TablesPerHall: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		c.Connector.SQLRead = sqlreadtest.Config(dsn)
		return func(c *config.Config) {
			c.Connector.SQLRead.Queries.Tables = "SELECT * FROM vendor.no_such_table"
		}
	}, ok: []string{"ok   RMS (sqlread): 2 halls, 8 tables\n",
		"ok   bookings: read only: staff confirm each booking (manual confirmation)\n"},
		fail: []string{"FAIL RMS (sqlread): ", "no_such_table", "next step: "}},
}

// TestCheckConnectors runs `stolik-agent check` on each connector's fake:
// every line passes and the report is OK (exit code 0); spoiled, the RMS
// line fails with a next step and the report is not OK (exit code 1).
func TestCheckConnectors(t *testing.T) {
	for _, tc := range checkCases {
		t.Run(tc.kind, func(t *testing.T) {
			c := config.Default()
			c.DataDir = t.TempDir()
			c.Connector.Kind = tc.kind
			spoil := tc.set(t, &c)

			rep, out := check(t, c)
			if !rep.OK() || rep.Failed() != 0 {
				t.Errorf("check failed on the fake:\n%s", out)
			}
			for _, want := range append(tc.ok, "ok   data directory ", "all is well\n") {
				if !strings.Contains(out, want) {
					t.Errorf("report lacks %q:\n%s", want, out)
				}
			}
			if spoil == nil {
				return
			}
			spoil(&c)
			rep, out = check(t, c)
			t.Logf("spoiled:\n%s", out)
			if rep.OK() || rep.Failed() != 1 {
				t.Errorf("spoiled config: %d failures, want 1:\n%s", rep.Failed(), out)
			}
			for _, want := range append(tc.fail, "1 of 2 checks failed\n") {
				if !strings.Contains(out, want) {
					t.Errorf("spoiled report lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func check(t *testing.T, c config.Config) (service.Report, string) {
	t.Helper()
	rep := service.Check(context.Background(), c)
	var b strings.Builder
	rep.Write(&b, service.LangEN)
	return rep, b.String()
}

// TestCheckPosterSeatsUnknown: a table Poster never lists free tomorrow has
// no seat count from Poster; check names it.
func TestCheckPosterSeatsUnknown(t *testing.T) {
	f, err := postertest.New(postertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	day := time.Now().In(f.Location()).AddDate(0, 0, 1)
	start := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, f.Location())
	if _, err := f.AddReservation(wire.Reservation{TableIDs: []string{"3"}, Start: start,
		Duration: wire.Duration(12 * time.Hour), Guests: 20, Name: "Банкет"}); err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	c.DataDir = t.TempDir()
	c.Connector.Kind = "poster"
	c.Connector.Poster = config.Poster{BaseURL: f.URL(), Token: f.Token(),
		TimeZone: "Europe/Moscow"}
	rep, out := check(t, c)
	if !rep.OK() {
		t.Errorf("check failed:\n%s", out)
	}
	if !strings.Contains(out, "       seats unknown, the configured count used / "+
		"число мест неизвестно, взято из настроек: 3\n") {
		t.Errorf("report does not name table 3's seats unknown:\n%s", out)
	}
}
