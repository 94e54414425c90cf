package sim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/shared/wire"
)

// request asks for two guests on tables, ten minutes after start for an
// hour: before any reservation the model makes at step 0.
func request(bookingID string, tables ...string) wire.ReservationRequest {
	return wire.ReservationRequest{
		BookingID: bookingID,
		TableIDs:  tables,
		Start:     start.Add(10 * time.Minute),
		Duration:  wire.Duration(time.Hour),
		Guests:    2,
		Name:      "Гость Тестовый",
		Phone:     "+79990000000",
	}
}

func mustCreate(tb testing.TB, v *sim.Venue, req wire.ReservationRequest) wire.Reservation {
	tb.Helper()
	r, err := v.CreateReservation(context.Background(), req)
	if err != nil {
		tb.Fatalf("CreateReservation %s: %v", req.BookingID, err)
	}
	return r
}

func snapshot(tb testing.TB, v *sim.Venue) agent.State {
	tb.Helper()
	s, err := v.Snapshot(context.Background())
	if err != nil {
		tb.Fatalf("Snapshot: %v", err)
	}
	return s
}

// created returns the reservations of s that the writer made.
func created(s agent.State) []wire.Reservation {
	var rs []wire.Reservation
	for _, r := range s.Reservations {
		if r.BookingID != "" {
			rs = append(rs, r)
		}
	}
	return rs
}

func TestCreateReservation(t *testing.T) {
	v, _ := newVenue(t, sim.Config{Seed: 1})
	req := request("b-1", "t-02", "t-01")
	req.Comment = "у окна"

	got := mustCreate(t, v, req)
	want := wire.Reservation{
		ID:        "sim-r-b-1",
		TableIDs:  []string{"t-01", "t-02"},
		Start:     start.UTC().Truncate(time.Second).Add(10 * time.Minute),
		Duration:  wire.Duration(time.Hour),
		Guests:    2,
		Name:      "Гость Тестовый",
		Phone:     "+79990000000",
		Comment:   "у окна",
		Status:    wire.ReservationConfirmed,
		BookingID: "b-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("CreateReservation (-want +got):\n%s", diff)
	}

	// A retry returns the first reservation, even if the request changed.
	retry := req
	retry.Guests = 4
	retry.TableIDs = []string{"t-05"}
	if diff := cmp.Diff(want, mustCreate(t, v, retry)); diff != "" {
		t.Errorf("retry (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff([]wire.Reservation{want}, created(snapshot(t, v))); diff != "" {
		t.Errorf("Snapshot's created reservations (-want +got):\n%s", diff)
	}
	if len(created(v.StateAt(0))) != 0 {
		t.Error("StateAt shows a created reservation; it is the model alone")
	}
}

func TestCreatedReservationEnds(t *testing.T) {
	v, c := newVenue(t, sim.Config{Seed: 1})
	mustCreate(t, v, request("b-1", "t-01"))

	c.Set(start.Add(69 * time.Minute)) // it ends 70 minutes after start
	if len(created(snapshot(t, v))) != 1 {
		t.Fatal("the reservation left before its end")
	}
	c.Set(start.Add(71 * time.Minute))
	if rs := created(snapshot(t, v)); len(rs) != 0 {
		t.Fatalf("the reservation stayed after its end: %+v", rs)
	}
}

func TestCreateRefusals(t *testing.T) {
	ctx := context.Background()
	v, c := newVenue(t, sim.Config{Seed: 9})
	c.Set(start.Add(10 * time.Minute)) // step 600: the model has reservations
	model := snapshot(t, v).Reservations
	if len(model) == 0 {
		t.Fatal("the model made no reservations in 600 steps")
	}
	phone := model[0]
	seats := map[string]int{}
	for _, tb := range v.StateAt(0).Tables {
		seats[tb.ID] = tb.Seats
	}

	first := request("b-first", "t-03")
	first.Start = phone.Start.Add(100 * 24 * time.Hour)
	mustCreate(t, v, first)
	if err := v.CancelReservation(ctx, wire.CancelRequest{BookingID: "b-gone"}); err != nil {
		t.Fatal(err)
	}
	gone := request("b-gone", "t-04")
	gone.Start = first.Start
	mustCreate(t, v, gone)
	if err := v.CancelReservation(ctx, wire.CancelRequest{BookingID: "b-gone"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		edit func(*wire.ReservationRequest)
		want string
	}{
		{"unknown table", func(r *wire.ReservationRequest) {
			r.TableIDs = []string{"t-01", "t-99"}
		}, "table t-99 is unknown"},
		{"party too large", func(r *wire.ReservationRequest) {
			r.TableIDs = []string{"t-05"}
			r.Guests = seats["t-05"] + 1
		}, "tables t-05 have"},
		{"overlaps the model", func(r *wire.ReservationRequest) {
			r.TableIDs = phone.TableIDs
			r.Start = phone.Start.Add(-30 * time.Minute)
		}, "table " + phone.TableIDs[0] + " is taken"},
		{"overlaps a created one", func(r *wire.ReservationRequest) {
			r.TableIDs = []string{"t-06", "t-03"}
			r.Start = first.Start.Add(59 * time.Minute)
		}, "table t-03 is taken"},
		{"over", func(r *wire.ReservationRequest) {
			r.Start = start.Add(-time.Hour)
		}, "the time is over"},
		{"cancelled booking", func(r *wire.ReservationRequest) {
			r.BookingID = "b-gone"
		}, "booking b-gone was cancelled"},
		{"no booking id", func(r *wire.ReservationRequest) { r.BookingID = "" }, "booking id"},
		{"no tables", func(r *wire.ReservationRequest) { r.TableIDs = nil }, "without tables"},
		{"no guests", func(r *wire.ReservationRequest) { r.Guests = 0 }, "for 0 guests"},
		{"no duration", func(r *wire.ReservationRequest) { r.Duration = 0 }, "lasting 0s"},
		{"twice the same table", func(r *wire.ReservationRequest) {
			r.TableIDs = []string{"t-01", "t-01"}
		}, "t-01 is listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request("b-"+strings.ReplaceAll(tt.name, " ", "-"), "t-01")
			tt.edit(&req)
			_, err := v.CreateReservation(ctx, req)
			if !errors.Is(err, agent.ErrRefused) {
				t.Fatalf("got %v, want an error wrapping agent.ErrRefused", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}

	// Refusals left nothing behind; the gap after a reservation is free.
	if n := len(created(snapshot(t, v))); n != 1 {
		t.Errorf("%d created reservations after the refusals, want 1", n)
	}
	after := request("b-after", "t-03")
	after.Start = first.Start.Add(time.Hour)
	mustCreate(t, v, after)
}

func TestCancelReservation(t *testing.T) {
	ctx := context.Background()
	v, c := newVenue(t, sim.Config{Seed: 1})
	mustCreate(t, v, request("b-1", "t-01"))
	mustCreate(t, v, request("b-2", "t-02"))

	if err := v.CancelReservation(ctx, wire.CancelRequest{BookingID: "b-1"}); err != nil {
		t.Fatalf("cancel b-1: %v", err)
	}
	byID := wire.CancelRequest{ReservationID: "sim-r-b-2"}
	if err := v.CancelReservation(ctx, byID); err != nil {
		t.Fatalf("cancel by reservation id: %v", err)
	}
	if rs := created(snapshot(t, v)); len(rs) != 0 {
		t.Fatalf("cancelled reservations still shown: %+v", rs)
	}

	for _, req := range []wire.CancelRequest{
		{BookingID: "b-1"},              // again
		{BookingID: "b-never"},          // unknown
		{ReservationID: "sim-r-b-none"}, // unknown
	} {
		if err := v.CancelReservation(ctx, req); err != nil {
			t.Errorf("cancel %+v: %v", req, err)
		}
	}

	// The cancelled time is free again for another booking.
	mustCreate(t, v, request("b-3", "t-01"))

	c.Set(start.Add(10 * time.Minute))
	phone := snapshot(t, v).Reservations[0]
	err := v.CancelReservation(ctx, wire.CancelRequest{ReservationID: phone.ID})
	if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "made by phone") {
		t.Errorf("cancel the model's %s: %v", phone.ID, err)
	}
	if s := snapshot(t, v); !strings.HasPrefix(s.Reservations[0].ID, "r-") {
		t.Errorf("the model's reservation went away: %+v", s.Reservations[0])
	}
}

func TestStateFilePersists(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sim.json")
	cfg := sim.Config{Seed: 1, StateFile: file}

	v, _ := newVenue(t, cfg)
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New wrote the state file before any reservation: %v", err)
	}
	kept := mustCreate(t, v, request("b-1", "t-01"))
	mustCreate(t, v, request("b-2", "t-02"))
	if err := v.CancelReservation(ctx, wire.CancelRequest{BookingID: "b-2"}); err != nil {
		t.Fatal(err)
	}

	info, err := os.Stat(file)
	if err != nil {
		t.Fatalf("state file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("state file mode %v, want 0600 (it holds guests' phones)", perm)
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("the state file's folder holds %d files, want 1 (no temporary left)",
			len(entries))
	}

	// A restart keeps both: the live one and the mark of the cancelled one.
	again, _ := newVenue(t, cfg)
	if diff := cmp.Diff([]wire.Reservation{kept}, created(snapshot(t, again))); diff != "" {
		t.Errorf("after a restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(kept, mustCreate(t, again, request("b-1", "t-09"))); diff != "" {
		t.Errorf("retry after a restart (-want +got):\n%s", diff)
	}
	_, err = again.CreateReservation(ctx, request("b-2", "t-02"))
	if !errors.Is(err, agent.ErrRefused) {
		t.Errorf("retry of a cancelled booking after a restart: %v", err)
	}
	_, err = again.CreateReservation(ctx, request("b-3", "t-01"))
	if !errors.Is(err, agent.ErrRefused) {
		t.Errorf("overlap with a reservation from before the restart: %v", err)
	}

	// Without a state file nothing outlives the venue.
	mem, _ := newVenue(t, sim.Config{Seed: 1})
	if rs := created(snapshot(t, mem)); len(rs) != 0 {
		t.Errorf("a venue without a state file shows %+v", rs)
	}
}

func TestStateFileForgetsOldReservations(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sim.json")
	v, c := newVenue(t, sim.Config{Seed: 1, StateFile: file})
	mustCreate(t, v, request("b-old", "t-01"))

	c.Set(start.Add(26 * time.Hour))
	later := request("b-new", "t-01")
	later.Start = start.Add(27 * time.Hour)
	mustCreate(t, v, later)

	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "b-old") || !strings.Contains(string(b), "b-new") {
		t.Errorf("state file a day after b-old ended:\n%s", b)
	}
}

func TestStateFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"corrupt", `{"version": 1, "reservations": [`, "unexpected end"},
		{"not json", "hello", "invalid character"},
		{"version", `{"version": 2, "reservations": []}`, "version 2"},
		{"unknown table", `{"version": 1, "reservations": [{"id": "sim-r-b",
			"booking_id": "b", "table_ids": ["t-77"], "status": "confirmed"}]}`, "table t-77"},
		{"foreign id", `{"version": 1, "reservations": [{"id": "r-000001",
			"booking_id": "b", "table_ids": ["t-01"], "status": "confirmed"}]}`, "r-000001"},
		{"twice", `{"version": 1, "reservations": [
			{"id": "sim-r-b", "booking_id": "b", "table_ids": ["t-01"], "status": "confirmed"},
			{"id": "sim-r-b", "booking_id": "b", "table_ids": ["t-02"], "status": "confirmed"}
		]}`, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(file, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := sim.New(sim.Config{StateFile: file})
			if err == nil {
				t.Fatal("New accepted the state file")
			}
			if !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q should name %s and say %q", err, file, tt.want)
			}
		})
	}

	t.Run("unwritable", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "missing-dir", "state.json")
		v, _ := newVenue(t, sim.Config{StateFile: file})
		_, err := v.CreateReservation(context.Background(), request("b-1", "t-01"))
		if err == nil || errors.Is(err, agent.ErrRefused) {
			t.Fatalf("got %v, want a write error", err)
		}
		if rs := created(snapshot(t, v)); len(rs) != 0 {
			t.Errorf("a reservation that was not saved is shown: %+v", rs)
		}
	})
}

// TestConcurrentUse runs the agent's two callers at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	v, c := newVenue(t, sim.Config{Seed: 1, StateFile: filepath.Join(t.TempDir(), "s.json")})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				switch g {
				case 0:
					c.Set(start.Add(time.Duration(i) * time.Second))
				case 1:
					if _, err := v.Snapshot(context.Background()); err != nil {
						t.Error(err)
					}
				case 2:
					req := request("b-"+string(rune('a'+i%26)), "t-01")
					req.Start = start.Add(time.Duration(i%26) * 2 * time.Hour)
					v.CreateReservation(context.Background(), req)
				case 3:
					v.CancelReservation(context.Background(),
						wire.CancelRequest{BookingID: "b-" + string(rune('a'+i%26))})
				}
			}
		})
	}
	wg.Wait()
}

func TestRefuseEvery(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v, err := sim.New(sim.Config{Seed: 1, Tables: 10, Start: start, RefuseEvery: 2,
		Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var refused []string
	for i, table := range []string{"t-01", "t-02", "t-03", "t-04"} {
		req := wire.ReservationRequest{BookingID: fmt.Sprint("bk_", i), TableIDs: []string{table},
			Start: start.Add(50 * time.Hour), Duration: wire.Duration(time.Hour), Guests: 1}
		if _, err := v.CreateReservation(ctx, req); err != nil {
			if !errors.Is(err, agent.ErrRefused) {
				t.Fatalf("%s: %v, want a refusal", table, err)
			}
			refused = append(refused, table)
		}
	}
	if want := []string{"t-02", "t-04"}; !slices.Equal(refused, want) {
		t.Errorf("refused %v, want every second request: %v", refused, want)
	}
	if _, err := sim.New(sim.Config{RefuseEvery: -1}); err == nil {
		t.Error("RefuseEvery -1 accepted")
	}
}
