package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/shared/wire"
)

// moves records the bookings Options.OnChange hears of.
type moves struct {
	mu   sync.Mutex
	list []hub.Booking
}

func (m *moves) add(_ context.Context, _ hub.BookingState, b hub.Booking) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = append(m.list, b)
}

func (m *moves) take() []hub.Booking {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.list
	m.list = nil
	return l
}

// moveEnv is an api venue whose agent writes and, with update, moves
// reservations; its desk reports changes to the returned recorder.
func moveEnv(t *testing.T, mode hub.Mode, caps ...string) (*env, *moves) {
	return moveEnvOn(t, openBolt(t), mode, caps...)
}

func moveEnvOn(t *testing.T, s hub.Store, mode hub.Mode, caps ...string) (*env, *moves) {
	e := newEnv(t, s, mode)
	e.status(t0, caps...)
	rec := &moves{}
	e.desk = desk.New(e.store, e.fleet, desk.Options{Now: e.clock.Now, OnChange: rec.add})
	return e, rec
}

func (e *env) notices() []hub.Notice {
	e.t.Helper()
	ns, err := e.store.VenueNotices(e.ctx, "v1")
	e.must("notices", err)
	return ns
}

func (e *env) result(c hub.Command, r wire.Result) {
	e.t.Helper()
	r.CommandID = c.ID
	e.must("finish command", e.store.FinishCommand(e.ctx, "a1", r))
	e.must("on result", e.desk.OnResult(e.ctx, "a1", c, r))
}

func at(b hub.Booking, start time.Time, tables ...string) bool {
	return b.Start.Equal(start) && slices.Equal(b.TableIDs, tables) &&
		b.End.Equal(start.Add(75*time.Minute))
}

// TestMoveThroughTheRMS: a confirmed booking is moved by the RMS first;
// it stays where it was until the RMS accepts, then moves, and the change
// hook hears of it with the new time.
func TestMoveThroughTheRMS(t *testing.T) {
	e, rec := moveEnv(t, hub.ModeAPI, "reservations.write", "reservations.update")
	b := e.confirmed("g1")
	// The RMS shows the reservation: it is the booking's own, not in the way.
	e.send(wire.EntityReservation, "res-"+b.ID, wire.Reservation{ID: "res-" + b.ID,
		TableIDs: b.TableIDs, Start: b.Start, Duration: wire.Duration(time.Hour), Guests: 2,
		Status: wire.ReservationConfirmed, BookingID: b.ID})
	rec.take()
	before := len(e.pending())

	later := start.Add(30 * time.Minute) // overlaps its own old time
	got, sent, err := e.desk.Move(e.ctx, b.ID, "staff:ivan", later, []string{"t2"})
	e.must("move", err)
	if !sent || !at(got, start, b.TableIDs...) {
		t.Fatalf("move returned sent %v, %+v; want sent and the booking unchanged", sent, got)
	}
	if !at(e.wantState(b.ID, hub.BookingConfirmed), start, b.TableIDs...) || len(rec.take()) != 0 {
		t.Fatal("the booking moved before the RMS answered")
	}
	cs := e.pending()
	if len(cs) != before+1 {
		t.Fatalf("%d commands, want one more", len(cs))
	}
	c := cs[len(cs)-1]
	req, err := wire.DecodeUpdateRequest(c.Body)
	e.must("decode update", err)
	if c.Kind != wire.CommandUpdateReservation || req.BookingID != b.ID ||
		req.ReservationID != "res-"+b.ID || !req.Start.Equal(later) ||
		!slices.Equal(req.TableIDs, []string{"t2"}) || c.Expires.IsZero() {
		t.Fatalf("command %s %+v, expires %v", c.Kind, req, c.Expires)
	}
	if !slices.Contains(e.fleet.poked(), "a1") {
		t.Error("the agent was not woken")
	}
	// The same move asked twice is one command.
	_, _, err = e.desk.Move(e.ctx, b.ID, "staff:ivan", later, []string{"t2"})
	e.must("move again", err)
	if n := len(e.pending()); n != before+1 {
		t.Errorf("a move asked twice made %d commands, want 1", n-before)
	}

	body, _ := json.Marshal(wire.Reservation{ID: "res-" + b.ID, TableIDs: []string{"t2"},
		Start: later, Duration: wire.Duration(time.Hour), Guests: 2,
		Status: wire.ReservationConfirmed, BookingID: b.ID})
	e.result(c, wire.Result{OK: true, Body: body})
	moved := e.wantState(b.ID, hub.BookingConfirmed)
	if !at(moved, later, "t2") {
		t.Errorf("after the RMS moved it: %v %v–%v, want t2 at %v", moved.TableIDs,
			moved.Start, moved.End, later)
	}
	heard := rec.take()
	if len(heard) != 1 || !heard[0].Start.Equal(later) || heard[0].State != hub.BookingConfirmed {
		t.Errorf("OnChange heard %+v, want the confirmed booking at %v", heard, later)
	}
	if ns := e.notices(); len(ns) != 0 {
		t.Errorf("a move the RMS took left notices %+v", ns)
	}
}

// TestMoveRefusedByTheRMS: a refusal leaves the booking, and a staff
// notice says why; an agent that cannot move makes the booking move here
// and staff move it at the till.
func TestMoveRefusedByTheRMS(t *testing.T) { moveRefused(t, openBolt(t)) }

func TestMoveRefusedByTheRMSPostgres(t *testing.T) {
	s, err := openPostgres(t)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	moveRefused(t, s)
}

func moveRefused(t *testing.T, s hub.Store) {
	e, rec := moveEnvOn(t, s, hub.ModeAPI, "reservations.write", "reservations.update")
	b := e.confirmed("g1")
	rec.take()
	later := start.Add(time.Hour)
	_, sent, err := e.desk.Move(e.ctx, b.ID, "staff:ivan", later, nil)
	e.must("move", err)
	cs := e.pending()
	if !sent {
		t.Fatal("not sent to the RMS")
	}
	e.result(cs[len(cs)-1], wire.Result{Code: wire.CodeRefused,
		Message: "iiko did not move the reservation: the guests have arrived meanwhile"})
	if got := e.wantState(b.ID, hub.BookingConfirmed); !at(got, start, b.TableIDs...) {
		t.Errorf("a refused move moved the booking to %v", got.Start)
	}
	if len(rec.take()) != 0 {
		t.Error("OnChange heard of a refused move")
	}
	ns := e.notices()
	if len(ns) != 1 || ns[0].Kind != hub.NoticeRMSMove || ns[0].BookingID != b.ID ||
		!strings.Contains(ns[0].Comment, "guests have arrived") ||
		!strings.Contains(ns[0].Comment, "stays at 2026-12-10 19:00") {
		t.Errorf("notices %+v, want one saying why and where the booking stays", ns)
	}

	// An agent that answers unsupported (built before moves).
	_, _, err = e.desk.Move(e.ctx, b.ID, "staff:ivan", later, nil)
	e.must("move", err)
	cs = e.pending()
	e.result(cs[len(cs)-1], wire.Result{Code: wire.CodeUnsupported,
		Message: `not supported by this connector: command "reservation.update"`})
	if got := e.wantState(b.ID, hub.BookingConfirmed); !at(got, later, b.TableIDs...) {
		t.Errorf("after unsupported the booking is at %v, want %v", got.Start, later)
	}
	if heard := rec.take(); len(heard) != 1 || !heard[0].Start.Equal(later) {
		t.Errorf("OnChange heard %+v", heard)
	}
	ns = e.notices()
	if len(ns) != 2 || !strings.Contains(ns[1].Comment+ns[0].Comment, "at the till to 2026-12-10 20:00") {
		t.Errorf("notices %+v, want one asking to move it at the till", ns)
	}
}

// TestMoveWithoutTheRMS: in manual mode, or when the agent cannot move
// reservations, the booking moves at once; only a reservation the RMS
// holds makes a notice.
func TestMoveWithoutTheRMS(t *testing.T) {
	e, rec := moveEnv(t, hub.ModeManual)
	b := e.hold("g1")
	_, err := e.desk.StaffConfirm(e.ctx, b.ID, "staff:ivan")
	e.must("confirm", err)
	rec.take()
	later := start.Add(2 * time.Hour)
	got, sent, err := e.desk.Move(e.ctx, b.ID, "staff:ivan", later, []string{"t2"})
	e.must("move", err)
	if sent || !at(got, later, "t2") {
		t.Errorf("manual move: sent %v, %+v", sent, got)
	}
	if heard := rec.take(); len(heard) != 1 || !heard[0].Start.Equal(later) {
		t.Errorf("OnChange heard %+v", heard)
	}
	if len(e.pending()) != 0 || len(e.notices()) != 0 {
		t.Errorf("a manual move sent %v and noticed %v", e.pending(), e.notices())
	}

	w, _ := moveEnv(t, hub.ModeAPI, "reservations.write")
	b = w.confirmed("g2")
	n := len(w.pending())
	got, sent, err = w.desk.Move(w.ctx, b.ID, "staff:ivan", time.Time{}, []string{"t2"})
	w.must("move", err)
	if sent || !at(got, start, "t2") || len(w.pending()) != n {
		t.Errorf("move without the capability: sent %v, %+v", sent, got)
	}
	ns := w.notices()
	if len(ns) != 1 || !strings.Contains(ns[0].Comment, "move reservation res-"+b.ID+
		" at the till to 2026-12-10 19:00, tables t2") {
		t.Errorf("notices %+v, want one asking to move the reservation at the till", ns)
	}
}

// TestMoveChecked: the new slot is checked like a staff hold.
func TestMoveChecked(t *testing.T) {
	e, _ := moveEnv(t, hub.ModeAPI, "reservations.write", "reservations.update")
	a := e.confirmed("g1")
	other, err := e.desk.Hold(e.ctx, desk.Request{VenueID: "v1", Start: start, Party: 2,
		Name: "Boris", Channel: desk.ChannelStaff, TableIDs: []string{"t2"}, Actor: "staff:ivan"})
	e.must("hold t2", err)
	if _, _, err := e.desk.Move(e.ctx, a.ID, "staff:ivan", time.Time{},
		[]string{"t2"}); !errors.Is(err, hub.ErrConflict) {
		t.Errorf("move onto a held table: %v, want a conflict", err)
	}
	if _, _, err := e.desk.Move(e.ctx, a.ID, "staff:ivan", start.Add(5*time.Hour),
		nil); err == nil || !strings.Contains(err.Error(), "hours") {
		t.Errorf("move past closing: %v, want the hours refused", err)
	}
	if _, _, err := e.desk.Move(e.ctx, a.ID, "staff:ivan", time.Time{},
		[]string{"t9"}); err == nil {
		t.Error("move to an unknown table accepted")
	}
	_, err = e.desk.StaffConfirm(e.ctx, other.ID, "staff:ivan")
	e.must("confirm", err)
	e.clock.Set(start)
	_, err = e.desk.Seat(e.ctx, other.ID, "staff:ivan")
	e.must("seat", err)
	e.wantState(other.ID, hub.BookingSeated)
	if _, _, err := e.desk.Move(e.ctx, other.ID, "staff:ivan", start.Add(time.Hour),
		nil); !errors.Is(err, hub.ErrBadTransition) || !strings.Contains(err.Error(), "seated") {
		t.Errorf("move of a seated booking: %v, want refused", err)
	}
	if got := e.wantState(a.ID, hub.BookingConfirmed); !at(got, start, a.TableIDs...) {
		t.Errorf("refused moves moved the booking: %+v", got)
	}
}

// TestMoveLapses: the agent never answers; when the hub expires the move
// the booking stays, and staff are told the move did not reach the RMS.
func TestMoveLapses(t *testing.T) {
	e, rec := moveEnvOn(t, openBolt(t), hub.ModeAPI, "reservations.write",
		"reservations.update")
	b := e.confirmed("g1")
	rec.take()
	_, sent, err := e.desk.Move(e.ctx, b.ID, "staff:ivan", start.Add(time.Hour), nil)
	e.must("move", err)
	if !sent {
		t.Fatal("not sent to the RMS")
	}
	expired, err := e.store.ExpireCommands(e.ctx, e.clock.Now().Add(desk.MoveTimeout+time.Minute))
	e.must("expire", err)
	if len(expired) != 1 || expired[0].Kind != wire.CommandUpdateReservation {
		t.Fatalf("expired %+v, want the move", expired)
	}
	e.desk.OnExpired(e.ctx, expired)
	if got := e.wantState(b.ID, hub.BookingConfirmed); !at(got, start, b.TableIDs...) {
		t.Errorf("a lapsed move moved the booking to %v", got.Start)
	}
	ns := e.notices()
	if len(ns) != 1 || ns[0].Kind != hub.NoticeRMSMove ||
		!strings.Contains(ns[0].Comment, "did not reach the RMS") ||
		!strings.Contains(ns[0].Comment, "did not answer in time") {
		t.Errorf("notices %+v, want one saying the move lapsed", ns)
	}
}
