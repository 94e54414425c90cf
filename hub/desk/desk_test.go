package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/shared/wire"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// t0 is 12:00 in Moscow; the tests book 19:00 the same day (start).
var (
	t0    = time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	start = time.Date(2026, 12, 10, 16, 0, 0, 0, time.UTC)
	day   = booking.Date{Year: 2026, Month: time.December, Day: 10}
)

// policy: open 12:00–23:00 every day, a party of 2 stays an hour, 15 min
// buffer, guests cancel up to 2 hours ahead.
func policy() hub.Policy {
	p := hub.Policy{
		TurnTimes:    []hub.TurnTime{{MaxParty: 2, Duration: wire.Duration(time.Hour)}},
		Buffer:       wire.Duration(15 * time.Minute),
		MinLead:      wire.Duration(time.Minute),
		CancelCutoff: wire.Duration(2 * time.Hour),
	}
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		p.Services = append(p.Services, hub.Service{Weekday: wd, Open: "12:00", Close: "23:00"})
	}
	return p
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fleet is a hub.Fleet whose agents are connected when live says so.
type fleet struct {
	mu    sync.Mutex
	live  map[string]bool
	pokes []string
}

func (f *fleet) Live(id string) hub.Live {
	f.mu.Lock()
	defer f.mu.Unlock()
	return hub.Live{Connected: f.live[id]}
}

func (f *fleet) Poke(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pokes = append(f.pokes, id)
}

func (f *fleet) Disconnect(string) {}

func (f *fleet) set(id string, live bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live[id] = live
}

func (f *fleet) poked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.pokes)
}

// env is one venue "v1" with agent "a1" and tables t1 (2 seats) and t2
// (4 seats), on a real store.
type env struct {
	t     testing.TB
	ctx   context.Context
	store hub.Store
	clock *clock
	fleet *fleet
	desk  *desk.Desk
	seq   uint64
}

func openBolt(t testing.TB) hub.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newEnv(t testing.TB, s hub.Store, mode hub.Mode) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), store: s, clock: &clock{now: t0},
		fleet: &fleet{live: map[string]bool{"a1": true}}}
	e.desk = desk.New(s, e.fleet, desk.Options{Now: e.clock.Now, Replica: "r1"})
	e.must("create venue", s.CreateVenue(e.ctx, hub.Venue{ID: "v1", Name: "Cafe",
		TimeZone: "Europe/Moscow", Mode: mode, Policy: policy(), CreatedAt: t0}))
	e.must("create agent", s.CreateAgent(e.ctx, hub.Agent{ID: "a1", VenueID: "v1",
		SecretHash: hub.HashSecret("s"), CreatedAt: t0}))
	e.status(t0)
	e.send(wire.EntityTable, "t1", wire.Table{ID: "t1", Number: "1", Seats: 2})
	e.send(wire.EntityTable, "t2", wire.Table{ID: "t2", Number: "2", Seats: 4})
	return e
}

func (e *env) must(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// status records the agent as last seen at seen, its RMS healthy, its
// connector writing reservations.
func (e *env) status(seen time.Time, caps ...string) {
	e.t.Helper()
	if caps == nil {
		caps = []string{"reservations.write"}
	}
	e.must("update status", e.store.UpdateAgentStatus(e.ctx, "a1", hub.AgentStatus{
		LastSeen: seen, Health: wire.ConnectorHealth{OK: true, LastSuccess: seen},
		Capabilities: caps}))
}

// send applies one upsert of the mirror, as the agent would.
func (e *env) send(kind wire.Entity, id string, v any) {
	e.t.Helper()
	data, err := json.Marshal(v)
	e.must("encode event", err)
	e.seq++
	_, err = e.store.ApplyBatch(e.ctx, "a1", []wire.Event{{Seq: e.seq, Entity: kind, ID: id,
		Op: wire.OpUpsert, Data: data, At: e.clock.Now()}})
	e.must("apply batch", err)
}

func (e *env) hold(guest string) hub.Booking {
	e.t.Helper()
	b, err := e.desk.Hold(e.ctx, desk.Request{VenueID: "v1", Start: start, Party: 2,
		GuestID: guest, Name: "Anna", Phone: "+7900", Channel: "telegram"})
	e.must("hold", err)
	return b
}

func (e *env) wantState(id string, want hub.BookingState) hub.Booking {
	e.t.Helper()
	b, err := e.store.Booking(e.ctx, id)
	e.must("get booking", err)
	if b.State != want {
		e.t.Fatalf("booking %s is %s (%s), want %s", id, b.State, b.Reason, want)
	}
	return b
}

// pending returns the agent's pending commands.
func (e *env) pending() []hub.Command {
	e.t.Helper()
	cs, err := e.store.PendingCommands(e.ctx, "a1")
	e.must("pending commands", err)
	return cs
}

// runJobs runs the desk's jobs due at the clock's time and returns how
// many ran; other kinds are left alone.
func (e *env) runJobs() int {
	e.t.Helper()
	jobs, err := e.store.ClaimJobs(e.ctx, e.clock.Now(), 100, time.Minute)
	e.must("claim jobs", err)
	handlers, ran := e.desk.Handlers(), 0
	for _, j := range jobs {
		h := handlers[j.Kind]
		if h == nil {
			continue
		}
		e.must("run job "+j.ID, h(e.ctx, j))
		e.must("finish job", e.store.FinishJob(e.ctx, j.ID))
		ran++
	}
	return ran
}

// created reports a created reservation for c, as the agent would.
func (e *env) created(c hub.Command, resID string) {
	e.t.Helper()
	body, err := json.Marshal(wire.Reservation{ID: resID})
	e.must("encode reservation", err)
	r := wire.Result{CommandID: c.ID, OK: true, Body: body}
	e.must("finish command", e.store.FinishCommand(e.ctx, "a1", r))
	e.must("on result", e.desk.OnResult(e.ctx, "a1", c, r))
}

// confirmed holds, confirms and has the RMS accept a booking.
func (e *env) confirmed(guest string) hub.Booking {
	e.t.Helper()
	b := e.hold(guest)
	_, err := e.desk.Confirm(e.ctx, b.ID, "guest:"+guest)
	e.must("confirm", err)
	cs := e.pending()
	e.created(cs[len(cs)-1], "res-"+b.ID)
	return e.wantState(b.ID, hub.BookingConfirmed)
}

func TestConfirmFlow(t *testing.T) { confirmFlow(t, openBolt(t)) }

func TestConfirmFlowPostgres(t *testing.T) {
	s, err := openPostgres(t)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	confirmFlow(t, s)
}

func confirmFlow(t *testing.T, s hub.Store) {
	e := newEnv(t, s, hub.ModeAPI)
	b := e.hold("g1")
	if b.State != hub.BookingHeld || !slices.Equal(b.TableIDs, []string{"t1"}) ||
		!b.End.Equal(start.Add(75*time.Minute)) || !b.HoldUntil.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("held booking = %+v", b)
	}
	got, err := e.desk.Confirm(e.ctx, b.ID, "guest:g1")
	e.must("confirm", err)
	if got.State != hub.BookingRequested {
		t.Fatalf("after confirm: %s, want requested", got.State)
	}
	cs := e.pending()
	if len(cs) != 1 || cs[0].Kind != wire.CommandCreateReservation {
		t.Fatalf("pending commands = %+v, want one create", cs)
	}
	var req wire.ReservationRequest
	e.must("decode body", json.Unmarshal(cs[0].Body, &req))
	want := wire.ReservationRequest{BookingID: b.ID, TableIDs: []string{"t1"}, Start: start,
		Duration: wire.Duration(time.Hour), Guests: 2, Name: "Anna", Phone: "+7900"}
	if diff := cmp.Diff(req, want); diff != "" {
		t.Errorf("reservation request (-got +want):\n%s", diff)
	}
	if !cs[0].Expires.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("command expires %s, want the confirm timeout", cs[0].Expires)
	}
	if diff := cmp.Diff(e.fleet.poked(), []string{"a1"}); diff != "" {
		t.Errorf("pokes (-got +want):\n%s", diff)
	}
	// Confirming again sends nothing new.
	_, err = e.desk.Confirm(e.ctx, b.ID, "guest:g1")
	e.must("confirm again", err)
	if n := len(e.pending()); n != 1 {
		t.Errorf("%d pending commands after a second confirm, want 1", n)
	}

	e.created(cs[0], "r-77")
	got = e.wantState(b.ID, hub.BookingConfirmed)
	if got.ReservationID != "r-77" {
		t.Errorf("reservation id = %q, want r-77", got.ReservationID)
	}
	e.created(cs[0], "r-77") // the same result twice changes nothing
	hist, err := s.BookingHistory(e.ctx, b.ID)
	e.must("history", err)
	var actors []string
	for _, h := range hist {
		actors = append(actors, string(h.To)+" by "+h.Actor)
	}
	wantActors := []string{"held by guest:g1", "requested by guest:g1", "confirmed by rms"}
	if diff := cmp.Diff(actors, wantActors); diff != "" {
		t.Errorf("audit log (-got +want):\n%s", diff)
	}
}

func TestRefused(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	b := e.hold("g1")
	_, err := e.desk.Confirm(e.ctx, b.ID, "guest:g1")
	e.must("confirm", err)
	c := e.pending()[0]
	r := wire.Result{CommandID: c.ID, Code: wire.CodeRefused, Message: "table taken by phone"}
	e.must("on result", e.desk.OnResult(e.ctx, "a1", c, r))
	got := e.wantState(b.ID, hub.BookingDeclined)
	if got.Reason != "table taken by phone" {
		t.Errorf("reason = %q", got.Reason)
	}
	alts, err := e.desk.Alternatives(e.ctx, b.ID)
	e.must("alternatives", err)
	if len(alts) == 0 {
		t.Fatal("no alternatives after a refusal")
	}
	for _, a := range alts {
		if a.Start.Equal(start) && slices.Contains(a.TableIDs, "t1") {
			t.Errorf("alternative %v offers the refused table again", a)
		}
	}
}

func TestResultUnknownOutcomeKeepsRequested(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	b := e.hold("g1")
	_, err := e.desk.Confirm(e.ctx, b.ID, "guest:g1")
	e.must("confirm", err)
	c := e.pending()[0]
	r := wire.Result{CommandID: c.ID, Code: wire.CodeInterrupted, Message: "connection lost"}
	e.must("on result", e.desk.OnResult(e.ctx, "a1", c, r))
	e.wantState(b.ID, hub.BookingRequested)
}

func TestHoldExpiry(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	b := e.hold("g1")
	if n := e.runJobs(); n != 0 {
		t.Fatalf("%d jobs ran before the hold ran out", n)
	}
	e.clock.Set(t0.Add(5 * time.Minute))
	if n := e.runJobs(); n != 1 {
		t.Fatalf("%d jobs ran when the hold ran out, want 1", n)
	}
	e.wantState(b.ID, hub.BookingExpired)
	_, err := e.desk.Confirm(e.ctx, b.ID, "guest:g1")
	if !errors.Is(err, booking.ErrLate) {
		t.Errorf("confirm after expiry: %v, want ErrLate", err)
	}
}

func TestConfirmTimeout(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	b := e.hold("g1")
	e.clock.Set(t0.Add(time.Minute))
	_, err := e.desk.Confirm(e.ctx, b.ID, "guest:g1")
	e.must("confirm", err)
	e.clock.Set(t0.Add(6 * time.Minute)) // the old hold job must not expire it
	e.runJobs()
	e.wantState(b.ID, hub.BookingRequested)
	e.clock.Set(t0.Add(11 * time.Minute))
	if n := e.runJobs(); n != 1 {
		t.Fatalf("%d jobs ran at the confirm timeout, want 1", n)
	}
	e.wantState(b.ID, hub.BookingExpired)
	// The RMS answering late: its reservation is cancelled again.
	e.created(e.pending()[0], "r-late")
	e.wantState(b.ID, hub.BookingExpired)
	cs := e.pending()
	if len(cs) != 1 || cs[0].Kind != wire.CommandCancelReservation {
		t.Fatalf("pending = %+v, want a cancel of the late reservation", cs)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	r := desk.Request{VenueID: "v1", Start: start, Party: 2, GuestID: "g1", Name: "Anna",
		Channel: "api", IdempotencyKey: "k-1"}
	a, err := e.desk.Hold(e.ctx, r)
	e.must("hold", err)
	b, err := e.desk.Hold(e.ctx, r)
	e.must("hold again", err)
	if a.ID != b.ID {
		t.Errorf("retried hold made booking %s, want %s", b.ID, a.ID)
	}
	// A retry that asks for another time, even one no longer bookable,
	// still gets the first booking: the key, not the request, names it.
	r.Start = start.Add(-400 * 24 * time.Hour)
	c, err := e.desk.Hold(e.ctx, r)
	e.must("hold again at another time", err)
	if c.ID != a.ID || !c.Start.Equal(a.Start) {
		t.Errorf("retry at another time got %s at %v, want %s at %v", c.ID, c.Start, a.ID, a.Start)
	}
}

func TestTaken(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	staff := desk.Request{VenueID: "v1", Start: start, Party: 2, Name: "Ivan",
		Channel: desk.ChannelStaff, TableIDs: []string{"t2"}}
	_, err := e.desk.Hold(e.ctx, staff)
	e.must("staff hold", err)
	e.hold("g1") // takes t1

	for name, r := range map[string]desk.Request{
		"assigned": {VenueID: "v1", Start: start, Party: 2, GuestID: "g2", Channel: "api"},
		"chosen":   staff,
	} {
		_, err := e.desk.Hold(e.ctx, r)
		var te *desk.TakenError
		if !errors.As(err, &te) || !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("%s: hold of a taken slot: %v, want a *TakenError", name, err)
		}
		if len(te.Alternatives) == 0 {
			t.Errorf("%s: no alternatives", name)
		}
		if name == "chosen" && (te.Conflict == nil || te.Conflict.Block.TableID != "t2") {
			t.Errorf("chosen: conflict = %v, want one on t2", te.Conflict)
		}
	}
}

func TestPaused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   hub.Mode
		live   bool
		seen   time.Duration // before now
		paused bool
	}{
		{"online", hub.ModeAPI, true, 0, false},
		{"offline briefly", hub.ModeAPI, false, 2 * time.Minute, false},
		{"offline too long", hub.ModeAPI, false, 10 * time.Minute, true},
		{"manual never pauses", hub.ModeManual, false, 10 * time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, openBolt(t), tc.mode)
			e.clock.Set(t0.Add(time.Hour))
			e.status(t0.Add(time.Hour - tc.seen))
			e.fleet.set("a1", tc.live)
			slots, err := e.desk.Availability(e.ctx, "v1", day, 2, "")
			if got := errors.Is(err, desk.ErrPaused); got != tc.paused {
				t.Fatalf("availability: %v; paused %v, want %v", err, got, tc.paused)
			}
			if !tc.paused && len(slots) == 0 {
				t.Error("no slots offered")
			}
		})
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	b := e.confirmed("g1")
	got, err := e.desk.Cancel(e.ctx, b.ID, "guest:g1", "plans changed")
	e.must("cancel", err)
	if got.State != hub.BookingCancelled {
		t.Fatalf("state %s, want cancelled", got.State)
	}
	cs := e.pending()
	if len(cs) != 1 || cs[0].Kind != wire.CommandCancelReservation {
		t.Fatalf("pending = %+v, want a cancel", cs)
	}
	var req wire.CancelRequest
	e.must("decode", json.Unmarshal(cs[0].Body, &req))
	wantReq := wire.CancelRequest{BookingID: b.ID, ReservationID: "res-" + b.ID,
		Reason: "plans changed"}
	if diff := cmp.Diff(req, wantReq); diff != "" {
		t.Errorf("cancel request (-got +want):\n%s", diff)
	}

	// After the cutoff the guest cannot, staff can.
	late := newEnv(t, openBolt(t), hub.ModeAPI)
	b = late.confirmed("g1")
	late.clock.Set(start.Add(-time.Hour))
	late.status(late.clock.Now())
	_, err = late.desk.Cancel(late.ctx, b.ID, "guest:g1", "")
	if !errors.Is(err, booking.ErrCancelCutoff) {
		t.Fatalf("guest cancel after the cutoff: %v, want ErrCancelCutoff", err)
	}
	late.wantState(b.ID, hub.BookingConfirmed)
	_, err = late.desk.Cancel(late.ctx, b.ID, "staff:ivan", "called")
	e.must("staff cancel", err)
	late.wantState(b.ID, hub.BookingCancelled)
}

func TestManual(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeManual)
	b := e.hold("g1")
	_, err := e.desk.Confirm(e.ctx, b.ID, "guest:g1")
	e.must("confirm", err)
	if cs := e.pending(); len(cs) != 0 {
		t.Fatalf("manual venue got commands %+v", cs)
	}
	_, err = e.desk.StaffConfirm(e.ctx, b.ID, "staff:ivan")
	e.must("staff confirm", err)
	e.wantState(b.ID, hub.BookingConfirmed)
	_, err = e.desk.Seat(e.ctx, b.ID, "staff:ivan")
	e.must("seat", err)
	_, err = e.desk.Complete(e.ctx, b.ID, "staff:ivan")
	e.must("complete", err)
	e.wantState(b.ID, hub.BookingCompleted)
}

// TestReadOnlyConnector: a venue in api mode whose agent cannot write
// reservations (Quick Resto, a read-only database) is confirmed by staff;
// no create command reaches the agent, which would refuse it.
func TestReadOnlyConnector(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	e.status(t0, "") // a hello without the write capability
	b := e.hold("g1")
	_, err := e.desk.Confirm(e.ctx, b.ID, "guest:g1")
	e.must("confirm", err)
	e.wantState(b.ID, hub.BookingRequested)
	if cs := e.pending(); len(cs) != 0 {
		t.Fatalf("a read-only venue's agent got commands %+v", cs)
	}
	_, err = e.desk.StaffConfirm(e.ctx, b.ID, "staff:ivan")
	e.must("staff confirm", err)
	e.wantState(b.ID, hub.BookingConfirmed)
}

// TestCancelAtTheTill: a cancel the agent could not carry out (Poster has
// no cancel call) becomes a task for staff at the till, with the RMS's
// words; a cancel that worked does not.
func TestCancelAtTheTill(t *testing.T) {
	var tasks []string
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	e.desk = desk.New(e.store, e.fleet, desk.Options{Now: e.clock.Now,
		OnTillTask: func(_ context.Context, b hub.Booking, reason string) {
			tasks = append(tasks, b.ID+": "+reason)
		}})
	for i, r := range []wire.Result{
		{OK: true},
		{Code: wire.CodeUnsupported, Message: "cancel it on the Poster terminal"},
	} {
		b := e.confirmed(fmt.Sprintf("g%d", i))
		_, err := e.desk.Cancel(e.ctx, b.ID, "guest:g", "")
		e.must("cancel", err)
		cs := e.pending()
		c := cs[len(cs)-1]
		r.CommandID = c.ID
		e.must("finish command", e.store.FinishCommand(e.ctx, "a1", r))
		e.must("on result", e.desk.OnResult(e.ctx, "a1", c, r))
		e.wantState(b.ID, hub.BookingCancelled)
		if i == 1 {
			if want := b.ID + ": cancel it on the Poster terminal"; len(tasks) != 1 ||
				tasks[0] != want {
				t.Errorf("till tasks = %q, want [%q]", tasks, want)
			}
		} else if len(tasks) != 0 {
			t.Errorf("a cancel that worked made till tasks %q", tasks)
		}
	}
}

func TestFollowMirror(t *testing.T) {
	reservation := func(b hub.Booking, st wire.ReservationStatus, shift time.Duration,
		tables ...string) wire.Reservation {
		return wire.Reservation{ID: "res-" + b.ID, TableIDs: tables, Start: start.Add(shift),
			Duration: wire.Duration(time.Hour), Guests: 2, Status: st, BookingID: b.ID}
	}
	t.Run("appears", func(t *testing.T) {
		e := newEnv(t, openBolt(t), hub.ModeAPI)
		b := e.hold("g1")
		_, err := e.desk.Confirm(e.ctx, b.ID, "guest:g1")
		e.must("confirm", err)
		r := reservation(b, wire.ReservationNew, 0, "t1")
		e.send(wire.EntityReservation, r.ID, r)
		for range 2 {
			e.must("follow", e.desk.FollowMirror(e.ctx, "v1"))
		}
		got := e.wantState(b.ID, hub.BookingConfirmed)
		if got.ReservationID != r.ID {
			t.Errorf("reservation id %q, want %q", got.ReservationID, r.ID)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		e := newEnv(t, openBolt(t), hub.ModeAPI)
		b := e.confirmed("g1")
		r := reservation(b, wire.ReservationCancelled, 0, "t1")
		e.send(wire.EntityReservation, r.ID, r)
		e.must("follow", e.desk.FollowMirror(e.ctx, "v1"))
		got := e.wantState(b.ID, hub.BookingCancelled)
		hist, err := e.store.BookingHistory(e.ctx, b.ID)
		e.must("history", err)
		if last := hist[len(hist)-1]; last.Actor != booking.ActorRMS {
			t.Errorf("cancelled by %q, want rms (%s)", last.Actor, got.Reason)
		}
		if cs := e.pending(); len(cs) != 0 {
			t.Errorf("cancelling in the RMS sent commands %+v", cs)
		}
	})
	t.Run("removed", func(t *testing.T) {
		e := newEnv(t, openBolt(t), hub.ModeAPI)
		b := e.confirmed("g1") // the mirror has not shown its reservation yet
		e.must("follow", e.desk.FollowMirror(e.ctx, "v1"))
		e.wantState(b.ID, hub.BookingConfirmed)
		e.clock.Set(t0.Add(6 * time.Minute))
		e.status(e.clock.Now())
		e.must("follow", e.desk.FollowMirror(e.ctx, "v1"))
		e.wantState(b.ID, hub.BookingCancelled)
	})
	t.Run("moved", func(t *testing.T) {
		e := newEnv(t, openBolt(t), hub.ModeAPI)
		b := e.confirmed("g1")
		r := reservation(b, wire.ReservationConfirmed, 30*time.Minute, "t2")
		e.send(wire.EntityReservation, r.ID, r)
		e.must("follow", e.desk.FollowMirror(e.ctx, "v1"))
		got := e.wantState(b.ID, hub.BookingConfirmed)
		want := []any{[]string{"t2"}, start.Add(30 * time.Minute),
			start.Add(30*time.Minute + 75*time.Minute)}
		if diff := cmp.Diff([]any{got.TableIDs, got.Start, got.End}, want); diff != "" {
			t.Errorf("moved booking (-got +want):\n%s", diff)
		}
	})
	t.Run("seated", func(t *testing.T) {
		e := newEnv(t, openBolt(t), hub.ModeAPI)
		b := e.confirmed("g1")
		r := reservation(b, wire.ReservationConfirmed, 0, "t1")
		e.send(wire.EntityReservation, r.ID, r)
		e.clock.Set(start.Add(-5 * time.Minute))
		e.send(wire.EntityOrder, "o1", wire.Order{ID: "o1", TableIDs: []string{"t1"},
			OpenedAt: start.Add(-10 * time.Minute), Guests: 2})
		e.must("follow", e.desk.FollowMirror(e.ctx, "v1"))
		e.wantState(b.ID, hub.BookingSeated)
	})
}

func TestNoShowWaitsWhilePaused(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	b := e.confirmed("g1")
	// Past the grace the agent has been offline for ten minutes: the
	// mirror is stale, so nobody is marked a no-show yet.
	now := start.Add(booking.NoShowGrace)
	e.clock.Set(now)
	e.status(now.Add(-10 * time.Minute))
	e.fleet.set("a1", false)
	e.runJobs() // also the hold's and the request's, long moot
	e.wantState(b.ID, hub.BookingConfirmed)

	e.clock.Set(now.Add(15 * time.Minute))
	e.status(e.clock.Now())
	e.fleet.set("a1", true)
	if n := e.runJobs(); n != 1 {
		t.Fatalf("%d jobs ran after the agent came back, want the retry", n)
	}
	e.wantState(b.ID, hub.BookingNoShow)
}

func TestStaffHold(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	e.clock.Set(start.Add(-10 * time.Minute)) // short notice is fine for staff
	e.status(e.clock.Now())
	b, err := e.desk.Hold(e.ctx, desk.Request{VenueID: "v1", Start: start, Party: 2,
		Name: "Guest", Channel: desk.ChannelStaff, Actor: "staff:ivan", TableIDs: []string{"t2"}})
	e.must("staff hold", err)
	hist, err := e.store.BookingHistory(e.ctx, b.ID)
	e.must("history", err)
	if hist[0].Actor != "staff:ivan" {
		t.Errorf("created by %q, want staff:ivan", hist[0].Actor)
	}
}

func TestHoldRules(t *testing.T) {
	e := newEnv(t, openBolt(t), hub.ModeAPI)
	for _, tc := range []struct {
		name  string
		start time.Time
		party int
		want  error
	}{
		{"past", t0.Add(-time.Hour), 2, booking.ErrPast},
		{"outside hours", start.Add(6 * time.Hour), 2, booking.ErrOutsideHours},
		{"no party", start, 0, booking.ErrParty},
		{"too large", start, 500, booking.ErrLargeParty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.desk.Hold(e.ctx, desk.Request{VenueID: "v1", Start: tc.start,
				Party: tc.party, GuestID: "g1", Channel: "api"})
			var te *desk.TakenError
			if !errors.Is(err, tc.want) || errors.As(err, &te) {
				t.Errorf("hold: %v, want %v", err, tc.want)
			}
		})
	}
}
