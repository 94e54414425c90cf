package files_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/files/filestest"
)

// clock is a settable time for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for the connector's use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clocked builds an exporter (driven by hand: no background run) and a
// connector on a settable clock over the same folder.
func clocked(t *testing.T, cfg files.Config) (*files.Connector, *filestest.Exporter, *clock,
	*syncBuffer) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.TimeZone == "" {
		cfg.TimeZone = "Europe/Moscow"
	}
	e, err := filestest.New(cfg, filestest.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	logs := &syncBuffer{}
	c, err := files.New(cfg, files.Options{Now: clk.now,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return c, e, clk, logs
}

func TestStaleExportFailsSnapshot(t *testing.T) {
	dir := t.TempDir()
	c, e, clk, _ := clocked(t, files.Config{Dir: dir})
	snap(t, c)

	// Orders may be 10 minutes old, reservations 30, tables a day.
	clk.add(11 * time.Minute)
	_, err := c.Snapshot(context.Background())
	if err == nil {
		t.Fatal("a snapshot from an 11-minute-old orders export succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"orders export (orders-", "11m0s ago", "max_age 10m0s",
		filepath.Join(dir, "in")} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "tables export") || strings.Contains(msg, "reservations export") {
		t.Errorf("error %q names kinds still fresh enough", msg)
	}
	fix, ok := agent.FixOf(err)
	if !ok || !strings.Contains(fix.EN, "connector.files.orders.max_age") || fix.RU == "" {
		t.Errorf("fix = %+v, want the setting to raise, in both languages", fix)
	}

	// A fresh export heals it.
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	snap(t, c)

	// After a restart the last export kept in done/ is as old as it was.
	clk.add(31 * time.Minute)
	again, err := files.New(files.Config{Dir: dir, TimeZone: "Europe/Moscow"},
		files.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	_, err = again.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "reservations export") ||
		!strings.Contains(err.Error(), "31m0s ago") {
		t.Errorf("snapshot after a restart on 31-minute-old exports = %v", err)
	}

	// max_age 0 turns the check off for that kind.
	off, on := time.Duration(0), time.Hour
	relaxed, err := files.New(files.Config{Dir: dir, TimeZone: "Europe/Moscow",
		Orders: files.Mapping{MaxAge: &off}, Reservations: files.Mapping{MaxAge: &on}},
		files.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	snap(t, relaxed)
}

func TestUnmarkedCSVWaitsForMarker(t *testing.T) {
	// The default: a CSV without its marker is never read, however long it
	// stays unchanged, and the error says what it waits for.
	dir := t.TempDir()
	cfg := files.Config{Dir: dir, TimeZone: "Europe/Moscow"}
	e, err := filestest.New(files.Config{Dir: dir, TimeZone: "Europe/Moscow"},
		filestest.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "in", "orders-000002.csv.done")); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	c, err := files.New(cfg, files.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err = c.Snapshot(context.Background())
		clk.add(time.Hour)
	}
	if err == nil || !strings.Contains(err.Error(), "first export of orders") ||
		!strings.Contains(err.Error(), "orders-000002.csv waits for its marker file "+
			"orders-000002.csv.done") {
		t.Fatalf("snapshot without the orders marker = %v", err)
	}

	// A half-written export (a pause in the writer, cut at a line) is not
	// applied with the defaults, where settle would have taken it.
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	snap(t, c)
	e.HalfWriteNext("orders")
	id, err := e.OpenOrder("t1", 2)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if hasOrder(snap(t, c), id) {
			t.Fatal("an order from a half-written export was applied")
		}
		clk.add(5 * time.Second)
	}
}

func TestSettleWarnsAtStart(t *testing.T) {
	for _, tc := range []struct {
		cfg  files.Config
		warn bool
	}{
		{files.Config{}, false},
		{files.Config{Complete: "either"}, true},
		{files.Config{Complete: "stable"}, true},
		{files.Config{Preset: "generic-xml"}, true},
	} {
		_, _, _, logs := clocked(t, tc.cfg)
		if got := strings.Contains(logs.String(), "half-written"); got != tc.warn {
			t.Errorf("complete %q preset %q: warned %v, want %v:\n%s", tc.cfg.Complete,
				tc.cfg.Preset, got, tc.warn, logs)
		}
	}
	// Only the CSV presets default to marker.
	if got := (files.Config{Preset: "smarttouch-csv"}).Resolve().Complete; got != "marker" {
		t.Errorf("smarttouch-csv complete = %q, want marker", got)
	}
}

func TestQuarantineReported(t *testing.T) {
	dir := t.TempDir()
	c, e, clk, _ := clocked(t, files.Config{Dir: dir})
	snap(t, c)
	if n := c.HealthNote(); n != "" {
		t.Errorf("note before anything went wrong: %q", n)
	}
	e.DropColumnNext("tables", "seats")
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	snap(t, c) // the snapshot keeps working
	note := c.HealthNote()
	for _, want := range []string{"1 export set aside", "newest tables-", "(field seats) is missing",
		filepath.Join(dir, "quarantine")} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q does not say %q", note, want)
		}
	}

	// A restarted agent still reports it; a day later it is dropped.
	again, err := files.New(files.Config{Dir: dir, TimeZone: "Europe/Moscow"},
		files.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	if n := again.HealthNote(); !strings.Contains(n, "(field seats) is missing") {
		t.Errorf("note after a restart = %q", n)
	}
	clk.add(25 * time.Hour)
	if n := again.HealthNote(); n != "" {
		t.Errorf("note a day later = %q", n)
	}
}

func TestUnmovableBadExportLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	c, e, _, logs := clocked(t, files.Config{Dir: dir})
	snap(t, c)
	// The quarantine folder is replaced by a file: nothing can move into it.
	q := filepath.Join(dir, "quarantine")
	if err := os.Remove(q); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(q, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.DropColumnNext("orders", "opened_at")
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		snap(t, c)
	}
	if n := strings.Count(logs.String(), "cannot be moved to quarantine"); n != 1 {
		t.Errorf("the unmovable export was logged %d times, want once:\n%s", n, logs)
	}
	if n := strings.Count(c.HealthNote(), "1 export set aside"); n != 1 {
		t.Errorf("note = %q, want the export counted once", c.HealthNote())
	}
	if _, err := os.Stat(filepath.Join(dir, "in", "orders-000005.csv")); errors.Is(err,
		os.ErrNotExist) {
		t.Errorf("the export left in place is gone: %v", err)
	}
}
