package files_test

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/files/filestest"
	"github.com/stolik/stolik/shared/wire"
)

// benchVenue is a venue of 100 tables and 300 reservations, read once.
func benchVenue(b *testing.B) (*files.Connector, *filestest.Exporter) {
	b.Helper()
	cfg := files.Config{Dir: b.TempDir(), TimeZone: "Europe/Moscow"}
	e, err := filestest.New(cfg, filestest.Layout{Halls: 4, Tables: 100})
	if err != nil {
		b.Fatal(err)
	}
	day := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	for i := range 300 {
		e.Seed(wire.Reservation{TableIDs: []string{e.TableID(i % 100)},
			Start:    day.Add(time.Duration(i/100) * 3 * time.Hour),
			Duration: wire.Duration(2 * time.Hour),
			Guests:   2, Name: "Гость", Phone: "+79160000000"})
	}
	if err := e.Export(); err != nil {
		b.Fatal(err)
	}
	c, err := files.New(cfg, files.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Snapshot(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c, e
}

// BenchmarkIdleRequestsPerMinute measures an idle poll (nothing new in
// in/: one directory listing, no file read) and reports the CPU time the
// connector spends per minute at the default 5s poll interval.
func BenchmarkIdleRequestsPerMinute(b *testing.B) {
	c, _ := benchVenue(b)
	ctx := context.Background()
	start := time.Now()
	for b.Loop() {
		if _, err := c.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
	perPoll := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(12, "listings/min")
	b.ReportMetric(float64(12*perPoll)/float64(time.Millisecond), "cpu-ms/min")
}

// BenchmarkChangeToSnapshot measures one change from the RMS writing its
// three exports to a Snapshot that shows it, for 100 tables and 300
// reservations.
func BenchmarkChangeToSnapshot(b *testing.B) {
	c, e := benchVenue(b)
	ctx := context.Background()
	for b.Loop() {
		id, err := e.OpenOrder(e.TableID(7), 2)
		if err != nil {
			b.Fatal(err)
		}
		st, err := c.Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !hasOrder(st, id) {
			b.Fatal("the change is not in the snapshot")
		}
		if err := e.CloseOrder(id); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
