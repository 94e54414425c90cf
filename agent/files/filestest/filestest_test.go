package filestest_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/files/filestest"
)

func TestActivityReachesTheConnector(t *testing.T) {
	// generic-csv with its defaults is the demo's venue: the exporter's
	// marker files are what lets the connector read its CSV exports.
	for _, preset := range []string{"generic-csv", "generic-xml"} {
		t.Run(preset, func(t *testing.T) { activity(t, preset) })
	}
}

func activity(t *testing.T, preset string) {
	cfg := files.Config{Dir: t.TempDir(), Preset: preset, TimeZone: "Europe/Moscow"}
	e, err := filestest.New(cfg, filestest.Layout{Halls: 1, Tables: 4})
	if err != nil {
		t.Fatal(err)
	}
	c, err := files.New(cfg, files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Activity(ctx, rand.New(rand.NewPCG(1, 2)), 5*time.Millisecond)
	go e.Run(ctx, 5*time.Millisecond)

	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Orders) > 0 && len(st.Reservations) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no activity reached the connector: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.Counts().Exports; n < 2 {
		t.Errorf("%d exports written, want several", n)
	}
}
