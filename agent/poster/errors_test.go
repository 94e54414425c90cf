package poster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/poster"
	"github.com/stolik/stolik/agent/poster/postertest"
)

func TestTokenErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *postertest.Fake, cfg *poster.Config)
		code  string
	}{
		{"expired", func(f *postertest.Fake, _ *poster.Config) { f.ExpireToken() }, "error 12"},
		{"invalid", func(_ *postertest.Fake, cfg *poster.Config) { cfg.Token = "wrong" },
			"error 11"},
		{"in-band code 10", func(f *postertest.Fake, _ *poster.Config) {
			f.FailNext("spots.getSpotTablesHalls", 10, "Access token is required")
		}, "error 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, postertest.Options{})
			cfg := config(t, f)
			tc.setup(f, &cfg)
			_, err := newConnector(t, cfg).Snapshot(context.Background())
			fix, ok := agent.FixOf(err)
			if err == nil || !ok || !strings.Contains(err.Error(), tc.code) ||
				!strings.Contains(err.Error(), "spots.getSpotTablesHalls") ||
				!strings.Contains(fix.EN, "Access -> Integrations") || fix.RU == "" {
				t.Errorf("err = %v (fix %+v), want %s naming the call, with a fix",
					err, fix, tc.code)
			}
		})
	}

	// A new token brings the connector back.
	f := newFake(t, postertest.Options{})
	f.ExpireToken()
	f.SetToken("new-token")
	cfg := config(t, f)
	snapshot(t, newConnector(t, cfg))
}

func TestErrorsNameTheCall(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(f *postertest.Fake)
		says  []string
	}{
		{"rights", func(f *postertest.Fake) {
			f.FailNext("dash.getTransactions", 20, "Insufficient rights")
		}, []string{"dash.getTransactions", "error 20", "Insufficient rights"}},
		{"not found", func(f *postertest.Fake) {
			f.FailNext("incomingOrders.getReservations", 32, "Not found")
		}, []string{"incomingOrders.getReservations", "error 32"}},
		{"http", func(f *postertest.Fake) {
			f.FailNextHTTP("spots.getTableHallTables", 502)
		}, []string{"spots.getTableHallTables", "HTTP 502"}},
		{"malformed", func(f *postertest.Fake) {
			f.MalformNext("spots.getTableHallTables")
		}, []string{"spots.getTableHallTables", "malformed"}},
		{"down", func(f *postertest.Fake) { f.SetDown(true) },
			[]string{"spots.getSpotTablesHalls"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, postertest.Options{})
			c := newConnector(t, config(t, f))
			tc.fault(f)
			_, err := c.Snapshot(context.Background())
			if err == nil {
				t.Fatal("snapshot succeeded")
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), f.Token()) {
				t.Errorf("err = %q carries the token", err)
			}
		})
	}
}

func TestRightsErrorHasFix(t *testing.T) {
	f := newFake(t, postertest.Options{})
	f.FailNext("spots.getSpotTablesHalls", 20, "Insufficient rights")
	_, err := newConnector(t, config(t, f)).Snapshot(context.Background())
	if fix, ok := agent.FixOf(err); !ok || !strings.Contains(fix.EN, "spots.getSpotTablesHalls") {
		t.Errorf("err = %v, fix %+v; want a fix naming the call", err, fix)
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	f := newFake(t, postertest.Options{})
	cfg := config(t, f)
	cfg.RequestTimeout = 50 * time.Millisecond
	c := newConnector(t, cfg)
	f.SetSlow(2 * time.Second)
	start := time.Now()
	_, err := c.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "spots.getSpotTablesHalls") {
		t.Errorf("err = %v, want a timeout naming the call", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("snapshot took %v with a 50ms request timeout", d)
	}
	f.SetSlow(0)
	snapshot(t, c)
}

func TestSpotDiscovery(t *testing.T) {
	f := newFake(t, postertest.Options{})
	cfg := config(t, f)
	cfg.SpotID = ""
	if st := snapshot(t, newConnector(t, cfg)); len(st.Tables) == 0 {
		t.Error("no tables from the account's only spot")
	}

	f2 := newFake(t, postertest.Options{Spots: 2})
	cfg2 := config(t, f2)
	cfg2.SpotID = ""
	_, err := newConnector(t, cfg2).Snapshot(context.Background())
	fix, ok := agent.FixOf(err)
	if err == nil || !ok || !strings.Contains(fix.EN, "spot_id") ||
		!strings.Contains(fix.EN, "2 (") {
		t.Errorf("two spots: err = %v, fix %+v; want a fix listing the spots", err, fix)
	}
	cfg2.SpotID = "1"
	snapshot(t, newConnector(t, cfg2))
}

func TestNewChecksConfig(t *testing.T) {
	_, err := poster.New(poster.Config{BaseURL: "ftp://x", TimeZone: "Mars/Base"})
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"base url", "token", "time zone"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to mention %s", err, want)
		}
	}
	if _, err := poster.New(poster.Config{Token: "t", Seats: -1, TimeZone: "UTC"}); err == nil {
		t.Error("negative seats accepted")
	}
	if !errors.Is(poster.ErrNoCancel, agent.ErrUnsupported) {
		t.Error("ErrNoCancel does not wrap ErrUnsupported")
	}
}
