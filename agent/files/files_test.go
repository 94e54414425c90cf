package files_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/shared/wire"
)

func snap(t testing.TB, c agent.Connector) agent.State {
	t.Helper()
	st, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return st
}

// eventually polls cond until it holds or five seconds pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hasOrder(st agent.State, id string) bool {
	return slices.ContainsFunc(st.Orders, func(o wire.Order) bool { return o.ID == id })
}

func hasReservation(st agent.State, id string) bool {
	return slices.ContainsFunc(st.Reservations, func(r wire.Reservation) bool {
		return r.ID == id
	})
}

// quarantined returns the notes in the quarantine folder, by file name.
func quarantined(t testing.TB, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".why.txt"); ok {
			b, err := os.ReadFile(filepath.Join(dir, "quarantine", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "quarantine", name)); err != nil {
				t.Errorf("the note %s is there but not the file: %v", e.Name(), err)
			}
			notes[name] = string(b)
		}
	}
	return notes
}

func TestWaitsForFirstExport(t *testing.T) {
	c, err := files.New(files.Config{Dir: t.TempDir(), TimeZone: "UTC"}, files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "tables (tables*.csv)") {
		t.Fatalf("snapshot of an empty folder = %v, want it to name the missing exports", err)
	}
	if _, ok := agent.FixOf(err); !ok {
		t.Errorf("the error %v carries no fix", err)
	}
}

func TestHalfWrittenExportIsNotRead(t *testing.T) {
	// Settle is long: a file without a marker is not read during the test.
	c, e := start(t, files.Config{Settle: time.Hour})
	snap(t, c)

	e.HalfWriteNext("orders")
	id, err := e.OpenOrder("t1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if hasOrder(snap(t, c), id) {
		t.Fatal("an order from a half-written export was read")
	}
	if n := len(quarantined(t, e.Config().Dir)); n != 0 {
		t.Errorf("%d files quarantined; a file being written is not malformed", n)
	}
	// The next export finishes the file and writes its marker.
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	if !hasOrder(snap(t, c), id) {
		t.Error("the finished export was not read")
	}
}

func TestUnmarkedExportReadWhenStable(t *testing.T) {
	c, e := start(t, files.Config{Complete: "stable", Settle: 50 * time.Millisecond})
	e.NoMarkers(true)
	id, err := e.OpenOrder("t2", 2)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the unmarked export to be read", func() bool {
		st, err := c.Snapshot(context.Background())
		return err == nil && hasOrder(st, id)
	})
}

func TestMissingColumnQuarantined(t *testing.T) {
	for _, preset := range []string{"generic-csv", "smarttouch-csv"} {
		t.Run(preset, func(t *testing.T) {
			c, e := start(t, files.Config{Preset: preset})
			before := snap(t, c)

			// The tables export lacks its seats column; the orders export
			// written with it is fine and is applied.
			e.DropColumnNext("tables", "seats")
			id, err := e.OpenOrder("t1", 2)
			if err != nil {
				t.Fatal(err)
			}
			after := snap(t, c)
			if !slices.Equal(after.Tables, before.Tables) {
				t.Errorf("tables changed after a malformed tables export: %v", after.Tables)
			}
			if !hasOrder(after, id) {
				t.Error("the good orders export beside the malformed one was not applied")
			}
			notes := quarantined(t, e.Config().Dir)
			if len(notes) != 1 {
				t.Fatalf("quarantined %v, want one file", notes)
			}
			for name, note := range notes {
				if !strings.Contains(note, name+": line 1: column") ||
					!strings.Contains(note, "(field seats) is missing") {
					t.Errorf("note for %s = %q, want the file, line and column", name, note)
				}
			}
			// The agent keeps reading: the next good export applies.
			if err := e.Export(); err != nil {
				t.Fatal(err)
			}
			snap(t, c)
		})
	}
}

func TestTruncatedXMLQuarantined(t *testing.T) {
	c, e := start(t, files.Config{Preset: "generic-xml"})
	snap(t, c)

	e.TruncateNext("reservations")
	id, err := e.AddReservation(wire.Reservation{TableIDs: []string{"t1"},
		Start: time.Now().Add(time.Hour).Truncate(time.Hour), Duration: wire.Duration(time.Hour),
		Guests: 2})
	if err != nil {
		t.Fatal(err)
	}
	if hasReservation(snap(t, c), id) {
		t.Fatal("a reservation from a truncated export was applied")
	}
	notes := quarantined(t, e.Config().Dir)
	if len(notes) != 1 {
		t.Fatalf("quarantined %v, want one file", notes)
	}
	for name, note := range notes {
		if !strings.HasPrefix(name, "reservations-") || !strings.Contains(note, "line ") ||
			!strings.Contains(note, "unexpected EOF") {
			t.Errorf("note for %s = %q, want the file, line and the truncation", name, note)
		}
	}
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	if !hasReservation(snap(t, c), id) {
		t.Error("the reservation is missing after a good export")
	}
}

func TestRestartReadsLastExport(t *testing.T) {
	c, e := start(t, files.Config{})
	id, err := e.OpenOrder("t3", 4)
	if err != nil {
		t.Fatal(err)
	}
	first := snap(t, c)

	again, err := files.New(files.Config{Dir: e.Config().Dir, TimeZone: "Europe/Moscow"},
		files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := snap(t, again)
	if !hasOrder(st, id) || len(st.Tables) != len(first.Tables) {
		t.Errorf("after a restart the state is %+v, want the last exports read", st)
	}
}

func TestCreateRefused(t *testing.T) {
	c, e := start(t, files.Config{})
	snap(t, c)
	req := wire.ReservationRequest{BookingID: "bk-refused", TableIDs: []string{"t1"},
		Start:    time.Now().Add(3 * time.Hour).Truncate(time.Hour),
		Duration: wire.Duration(time.Hour),
		Guests:   2, Name: "Анна"}

	e.RefuseNext("стол на ремонте")
	_, err := c.CreateReservation(context.Background(), req)
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "стол на ремонте") {
		t.Fatalf("create = %v, want a refusal with the RMS's reason", err)
	}
	// A retry gives the same answer and writes nothing new.
	_, err = c.CreateReservation(context.Background(), req)
	if !errors.Is(err, agent.ErrRefused) {
		t.Errorf("retried create = %v, want the refusal again", err)
	}
	if n := e.Counts().Imports; n != 1 {
		t.Errorf("the RMS got %d imports, want 1", n)
	}
}

func TestCreateNotConfirmedThenMirrored(t *testing.T) {
	c, e := start(t, files.Config{ConfirmWait: 200 * time.Millisecond})
	snap(t, c)
	e.SlowImports(time.Hour)
	req := wire.ReservationRequest{BookingID: "bk-slow", TableIDs: []string{"t2"},
		Start:    time.Now().Add(3 * time.Hour).Truncate(time.Hour),
		Duration: wire.Duration(time.Hour),
		Guests:   2, Name: "Олег"}

	_, err := c.CreateReservation(context.Background(), req)
	if err == nil || !files.IsNotConfirmed(err) || errors.Is(err, agent.ErrRefused) {
		t.Fatalf("create on a slow RMS = %v, want a not-confirmed error", err)
	}
	if _, err := c.CreateReservation(context.Background(), req); !files.IsNotConfirmed(err) {
		t.Fatalf("retried create = %v, want not confirmed again", err)
	}
	out, _ := os.ReadDir(filepath.Join(e.Config().Dir, "out"))
	if len(out) != 1 {
		t.Errorf("out/ holds %d files after a retry, want 1", len(out))
	}

	// The RMS imports it later; the reservation reaches the snapshot with
	// our booking id, and the hub confirms the booking from the mirror.
	e.SlowImports(0)
	eventually(t, "the late import to show in a snapshot", func() bool {
		st := snap(t, c)
		return slices.ContainsFunc(st.Reservations, func(r wire.Reservation) bool {
			return r.BookingID == req.BookingID
		})
	})
	if n := len(e.Reservations()); n != 1 {
		t.Errorf("the RMS holds %d reservations, want 1", n)
	}
}

func TestBookingIDInComment(t *testing.T) {
	// An RMS without a booking id column keeps it in the comment.
	cfg := files.Config{Reservations: files.Mapping{Fields: map[string]string{"booking_id": ""}}}
	c, e := start(t, cfg)
	snap(t, c)
	req := wire.ReservationRequest{BookingID: "bk-comment", TableIDs: []string{"t3"},
		Start:    time.Now().Add(3 * time.Hour).Truncate(time.Hour),
		Duration: wire.Duration(time.Hour),
		Guests:   2, Name: "Анна", Comment: "у окна"}
	res, err := c.CreateReservation(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.BookingID != req.BookingID || res.Comment != "у окна" {
		t.Errorf("created = %+v, want booking %s and the comment without the tag",
			res, req.BookingID)
	}
	rs := e.Reservations()
	if len(rs) != 1 || rs[0].BookingID != req.BookingID {
		t.Errorf("the RMS holds %+v", rs)
	}
}

func TestCancelUnknownReservationSucceeds(t *testing.T) {
	c, e := start(t, files.Config{})
	snap(t, c)
	err := c.CancelReservation(context.Background(),
		wire.CancelRequest{BookingID: "bk-x", ReservationID: "r404"})
	if err != nil {
		t.Errorf("cancel of a reservation the exports no longer hold = %v, want nil", err)
	}
	if n := e.Counts().Imports; n != 0 {
		t.Errorf("%d imports written for nothing", n)
	}
}

func TestOldFilesPruned(t *testing.T) {
	dir := t.TempDir()
	c, e := start(t, files.Config{Dir: dir, KeepDays: 1})
	snap(t, c)
	if _, err := e.OpenOrder("t1", 2); err != nil {
		t.Fatal(err)
	}
	snap(t, c)
	done := filepath.Join(dir, "done")
	entries, _ := os.ReadDir(done)
	old := time.Now().Add(-72 * time.Hour)
	for _, en := range entries {
		if err := os.Chtimes(filepath.Join(done, en.Name()), old, old); err != nil {
			t.Fatal(err)
		}
	}

	later, err := files.New(files.Config{Dir: dir, KeepDays: 1, TimeZone: "UTC"},
		files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap(t, later)
	left, _ := os.ReadDir(done)
	if len(left) != 3 {
		var names []string
		for _, en := range left {
			names = append(names, en.Name())
		}
		t.Errorf("done/ holds %v after pruning, want the newest export of each kind", names)
	}
	if len(entries) <= 3 {
		t.Errorf("done/ held only %d files before pruning; the test proves nothing", len(entries))
	}
}

func TestNewReportsConfigProblems(t *testing.T) {
	_, err := files.New(files.Config{Dir: t.TempDir(), Preset: "abacus"}, files.Options{})
	if err == nil || !strings.Contains(err.Error(), "connector.files.preset") {
		t.Errorf("New with an unknown preset = %v", err)
	}
}

func TestConfigProblems(t *testing.T) {
	const msk = "Europe/Moscow"
	minus := -time.Minute
	tests := []struct {
		name string
		cfg  files.Config
		want []string
	}{
		{"fine", files.Config{Dir: "x", TimeZone: msk}, nil},
		{"no dir", files.Config{TimeZone: msk}, []string{"dir"}},
		{"no time zone", files.Config{Dir: "x"}, []string{"time_zone"}},
		{"bad format", files.Config{Dir: "x", Format: "json"}, []string{"format"}},
		{"bad bits", files.Config{Dir: "x", Complete: "sometimes", TimeZone: "Mars/Olympus",
			Tables: files.Mapping{Encoding: "koi8-r", Delimiter: ";;",
				Fields: map[string]string{"colour": "Цвет", "seats": ""}},
			Reservations: files.Mapping{Statuses: map[string]string{"Ждём": "waiting"}},
		}, []string{"complete", "time_zone", "tables.encoding", "tables.delimiter",
			"tables.fields.colour", "tables.fields.seats", "reservations.statuses.Ждём"}},
		{"negative", files.Config{Dir: "x", TimeZone: msk, Settle: -1, KeepDays: -1,
			ConfirmWait: -1, Orders: files.Mapping{MaxAge: &minus}},
			[]string{"settle", "keep_days", "confirm_wait", "orders.max_age"}},
		{"long wait", files.Config{Dir: "x", TimeZone: msk, ConfirmWait: 5 * time.Minute},
			[]string{"confirm_wait"}},
		{"xml without record", files.Config{Dir: "x", TimeZone: msk, Format: "xml",
			Orders: files.Mapping{Record: ""}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range tc.cfg.Problems() {
				got = append(got, p.Field)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems in %v, want %v (%+v)", got, tc.want, tc.cfg.Problems())
			}
		})
	}
}

func TestCreateOfCancelledReservationRefused(t *testing.T) {
	c, e := start(t, files.Config{})
	snap(t, c)
	// Staff cancelled the reservation our earlier (answer lost) import made.
	req := wire.ReservationRequest{BookingID: "bk-gone", TableIDs: []string{"t2"},
		Start:    time.Now().Add(3 * time.Hour).Truncate(time.Hour),
		Duration: wire.Duration(time.Hour), Guests: 2, Name: "Анна"}
	if _, err := e.AddReservation(wire.Reservation{BookingID: req.BookingID,
		TableIDs: req.TableIDs, Start: req.Start, Duration: req.Duration, Guests: 2,
		Status: wire.ReservationCancelled}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cancelled reservation to be read", func() bool {
		return len(snap(t, c).Reservations) == 1
	})
	res, err := c.CreateReservation(context.Background(), req)
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("create of a cancelled reservation = %+v, %v; want a refusal", res, err)
	}
	if n := e.Counts().Imports; n != 0 {
		t.Errorf("%d imports written for a cancelled reservation", n)
	}
}

func TestCreateWithoutTablesIsBadRequest(t *testing.T) {
	c, _ := start(t, files.Config{})
	_, err := c.CreateReservation(context.Background(),
		wire.ReservationRequest{BookingID: "bk-1"})
	if !errors.Is(err, agent.ErrBadRequest) {
		t.Errorf("create without tables = %v, want a bad request", err)
	}
}
