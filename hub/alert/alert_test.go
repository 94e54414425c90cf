package alert_test

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/alert"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/schedule"
	"github.com/stolik/stolik/shared/wire"
)

var t0 = time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// notes records what support was sent; fail makes the next sends fail.
type notes struct {
	mu   sync.Mutex
	keys []string
	text []string
	fail bool
}

func (n *notes) Notify(_ context.Context, key, text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail {
		return errors.New("telegram unreachable")
	}
	n.keys = append(n.keys, key)
	n.text = append(n.text, text)
	return nil
}

// since returns what was sent after the first from messages.
func (n *notes) since(from int) (keys, text []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.keys[from:]...), append([]string(nil), n.text[from:]...)
}

func (n *notes) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.keys)
}

type env struct {
	t     testing.TB
	path  string
	store hub.Store
	clock *clock
	notes *notes
	eval  *alert.Evaluator
}

func newEnv(t testing.TB, agents int) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "hub.db"), clock: &clock{t: t0},
		notes: &notes{}}
	e.open()
	ctx := context.Background()
	if err := e.store.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Кафе Пушкин",
		TimeZone: "Europe/Moscow", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for i := range agents {
		a := hub.Agent{ID: agentID(i), VenueID: "ven_1", SecretHash: hub.HashSecret("s"),
			CreatedAt: t0.Add(-time.Hour)}
		if err := e.store.CreateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
		e.seen(i, t0, wire.ConnectorHealth{OK: true, LastSuccess: t0})
	}
	return e
}

func agentID(i int) string { return fmt.Sprintf("agt_%02d", i) }

// open opens the store file and makes an evaluator on it: called again
// after closing, it is a restarted hub.
func (e *env) open() {
	e.t.Helper()
	s, err := bolt.Open(e.path, bolt.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	e.store = s
	e.eval = alert.New(s, e.notes, alert.Options{OfflineAfter: 5 * time.Minute,
		UnhealthyAfter: 10 * time.Minute, Cooldown: 10 * time.Minute, SummaryOver: 3,
		Interval: 30 * time.Second, Now: e.clock.now})
}

// seen records that agent i showed life at at, with its connector's health.
func (e *env) seen(i int, at time.Time, h wire.ConnectorHealth) {
	e.t.Helper()
	st := hub.AgentStatus{LastSeen: at, Health: h, Replica: "hub-1"}
	if err := e.store.UpdateAgentStatus(context.Background(), agentID(i), st); err != nil {
		e.t.Fatal(err)
	}
}

// at moves the clock to t0+d and checks once; it returns what was sent.
func (e *env) at(d time.Duration) (keys, text []string) {
	e.t.Helper()
	e.clock.set(t0.Add(d))
	before := e.notes.count()
	if _, err := e.eval.Evaluate(context.Background()); err != nil {
		e.t.Fatalf("evaluate at +%v: %v", d, err)
	}
	return e.notes.since(before)
}

// wantSent fails t unless keys match the patterns in want (path.Match).
func wantSent(t testing.TB, when string, keys []string, want ...string) {
	t.Helper()
	if len(keys) != len(want) {
		t.Fatalf("%s: sent %q; want %d messages with keys like %q", when, keys, len(want), want)
	}
	for i, k := range keys {
		if ok, _ := path.Match(want[i], k); !ok {
			t.Errorf("%s: key %q; want %q", when, k, want[i])
		}
	}
}

func TestOfflineOneAlertThenOneRecovery(t *testing.T) {
	e := newEnv(t, 1)
	keys, _ := e.at(4 * time.Minute)
	wantSent(t, "offline 4m", keys)

	keys, text := e.at(6 * time.Minute)
	wantSent(t, "offline 6m", keys, "incident/inc_agt_00_offline_*/open")
	if !strings.Contains(text[0], "Кафе Пушкин (agent agt_00) offline") ||
		!strings.Contains(text[0], "since 18:00 UTC (6m)") {
		t.Errorf("alert text %q; want the venue, agent, and since when", text[0])
	}
	for _, d := range []time.Duration{7 * time.Minute, 30 * time.Minute} {
		keys, _ = e.at(d)
		wantSent(t, fmt.Sprintf("still offline at %v", d), keys)
	}

	// Back at 31m: resolved once it stayed well for the cooldown.
	e.seen(0, t0.Add(31*time.Minute), wire.ConnectorHealth{OK: true})
	keys, _ = e.at(31 * time.Minute)
	wantSent(t, "back, within the cooldown", keys)
	e.seen(0, t0.Add(41*time.Minute), wire.ConnectorHealth{OK: true})
	keys, text = e.at(41 * time.Minute)
	wantSent(t, "back for the cooldown", keys, "incident/inc_agt_00_offline_*/resolved")
	if !strings.Contains(text[0], "back online (was offline for 31m)") {
		t.Errorf("recovery text %q", text[0])
	}
	keys, _ = e.at(42 * time.Minute)
	wantSent(t, "after the recovery", keys)

	open, err := e.store.OpenIncidents(context.Background())
	if err != nil || len(open) != 0 {
		t.Errorf("open incidents %v, %v; want none", open, err)
	}
}

func TestFlappingWithinCooldownDoesNotFlood(t *testing.T) {
	e := newEnv(t, 1)
	var all []string
	seen := t0
	for flap := range 4 {
		base := time.Duration(flap) * 12 * time.Minute
		keys, _ := e.at(base + 6*time.Minute) // offline 6m since the last sign of life
		all = append(all, keys...)
		seen = t0.Add(base + 7*time.Minute) // back for a few minutes
		e.seen(0, seen, wire.ConnectorHealth{OK: true})
		keys, _ = e.at(base + 7*time.Minute)
		all = append(all, keys...)
		keys, _ = e.at(base + 12*time.Minute)
		all = append(all, keys...)
	}
	wantSent(t, "four flaps", all, "incident/inc_agt_00_offline_*/open")

	// Well for the cooldown: one recovery.
	e.seen(0, t0.Add(60*time.Minute), wire.ConnectorHealth{OK: true})
	keys, _ := e.at(60 * time.Minute)
	e.seen(0, t0.Add(70*time.Minute), wire.ConnectorHealth{OK: true})
	more, _ := e.at(70 * time.Minute)
	wantSent(t, "well after flapping", append(keys, more...),
		"incident/inc_agt_00_offline_*/resolved")
}

func TestManyAgentsDownOneSummary(t *testing.T) {
	e := newEnv(t, 50)
	keys, text := e.at(6 * time.Minute)
	wantSent(t, "50 agents down", keys, "incidents/open/*")
	if !strings.HasPrefix(text[0], "ALERT 50 agents in trouble:") ||
		!strings.Contains(text[0], "... and 20 more") {
		t.Errorf("summary %q", text[0])
	}
	open, err := e.store.OpenIncidents(context.Background())
	if err != nil || len(open) != 50 {
		t.Fatalf("%d open incidents, %v; want 50", len(open), err)
	}

	for i := range 50 {
		e.seen(i, t0.Add(10*time.Minute), wire.ConnectorHealth{OK: true})
	}
	keys, _ = e.at(10 * time.Minute)
	wantSent(t, "all back, within the cooldown", keys)
	for i := range 50 {
		e.seen(i, t0.Add(20*time.Minute), wire.ConnectorHealth{OK: true})
	}
	keys, text = e.at(20 * time.Minute)
	wantSent(t, "all back", keys, "incidents/resolved/*")
	if !strings.HasPrefix(text[0], "RESOLVED 50 agents are well again:") {
		t.Errorf("summary %q", text[0])
	}
}

func TestFewAgentsDownOneAlertEach(t *testing.T) {
	e := newEnv(t, 3) // SummaryOver is 3: three get a message each
	keys, _ := e.at(6 * time.Minute)
	wantSent(t, "3 agents down", keys, "incident/inc_agt_00_offline_*/open",
		"incident/inc_agt_01_offline_*/open", "incident/inc_agt_02_offline_*/open")
}

func TestRestartDoesNotRealert(t *testing.T) {
	e := newEnv(t, 2)
	keys, _ := e.at(6 * time.Minute)
	wantSent(t, "before the restart", keys, "incident/inc_agt_00_offline_*/open",
		"incident/inc_agt_01_offline_*/open")

	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	e.open()
	keys, _ = e.at(7 * time.Minute)
	wantSent(t, "after the restart", keys)
}

func TestUnhealthy(t *testing.T) {
	e := newEnv(t, 1)
	bad := wire.ConnectorHealth{Error: "iiko: 401 wrong API login", LastSuccess: t0}
	for _, d := range []time.Duration{4 * time.Minute, 8 * time.Minute} {
		e.seen(0, t0.Add(d), bad)
		keys, _ := e.at(d)
		wantSent(t, fmt.Sprintf("unhealthy %v", d), keys)
	}
	e.seen(0, t0.Add(11*time.Minute), bad)
	keys, text := e.at(11 * time.Minute)
	wantSent(t, "unhealthy 11m", keys, "incident/inc_agt_00_unhealthy_*/open")
	if !strings.Contains(text[0], "cannot read its RMS since 18:00 UTC (11m): "+
		"iiko: 401 wrong API login") {
		t.Errorf("alert text %q", text[0])
	}

	// Offline now: the RMS alert stays open, the offline one opens.
	keys, _ = e.at(17 * time.Minute)
	wantSent(t, "offline while unhealthy", keys, "incident/inc_agt_00_offline_*/open")

	good := wire.ConnectorHealth{OK: true, LastSuccess: t0.Add(20 * time.Minute)}
	e.seen(0, t0.Add(20*time.Minute), good)
	keys, _ = e.at(20 * time.Minute)
	wantSent(t, "well again, within the cooldown", keys)
	e.seen(0, t0.Add(30*time.Minute), good)
	keys, text = e.at(30 * time.Minute)
	wantSent(t, "well again", keys, "incident/inc_agt_00_offline_*/resolved",
		"incident/inc_agt_00_unhealthy_*/resolved")
	if !strings.Contains(text[1], "reads its RMS again") {
		t.Errorf("recovery text %q", text[1])
	}
}

func TestNeverConnectedAgentIsNotOffline(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	if err := e.store.CreateAgent(ctx, hub.Agent{ID: "agt_new", VenueID: "ven_1",
		SecretHash: hub.HashSecret("s"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	keys, _ := e.at(24 * time.Hour)
	wantSent(t, "never connected", keys)
}

func TestNotifierFailureIsRetriedWithTheSameKey(t *testing.T) {
	e := newEnv(t, 1)
	e.notes.fail = true
	e.clock.set(t0.Add(6 * time.Minute))
	if _, err := e.eval.Evaluate(context.Background()); err == nil {
		t.Fatal("evaluate with a failing notifier: no error")
	}
	if open, _ := e.store.OpenIncidents(context.Background()); len(open) != 0 {
		t.Fatalf("incident stored though its alert was not sent: %v", open)
	}
	e.notes.fail = false
	keys, _ := e.at(7 * time.Minute)
	wantSent(t, "retry", keys, "incident/inc_agt_00_offline_*/open")
	if want := fmt.Sprintf("incident/inc_agt_00_offline_%d/open", t0.Unix()); keys[0] != want {
		t.Errorf("key %q; want %q (the trouble's start, not the check's time)", keys[0], want)
	}
}

func TestRevokedAgentClosesItsIncident(t *testing.T) {
	e := newEnv(t, 1)
	keys, _ := e.at(6 * time.Minute)
	wantSent(t, "offline", keys, "incident/inc_agt_00_offline_*/open")
	err := e.store.RevokeAgent(context.Background(), agentID(0), t0.Add(7*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	keys, text := e.at(8 * time.Minute)
	wantSent(t, "revoked", keys, "incident/inc_agt_00_offline_*/resolved")
	if !strings.Contains(text[0], "revoked") {
		t.Errorf("text %q; want it to say the agent was revoked", text[0])
	}
	keys, _ = e.at(9 * time.Minute)
	wantSent(t, "after", keys)
}

// TestJobRunsOnceAndReschedules: every replica schedules the check at
// start, yet one job exists per slot; running it schedules the next.
func TestJobRunsOnceAndReschedules(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	e.clock.set(t0.Add(10 * time.Second))
	other := alert.New(e.store, e.notes, alert.Options{Now: e.clock.now,
		Interval: 30 * time.Second})
	for _, ev := range []*alert.Evaluator{e.eval, other} {
		if err := ev.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	r := schedule.New(e.store, schedule.Options{Now: e.clock.now})
	r.Handle(alert.JobEvaluate, e.eval.Run)

	if n, err := r.RunDue(ctx); n != 0 || err != nil {
		t.Fatalf("ran %d jobs (%v) before the slot", n, err)
	}
	for i, d := range []time.Duration{30 * time.Second, time.Minute, 6 * time.Minute} {
		e.clock.set(t0.Add(d))
		if n, err := r.RunDue(ctx); n != 1 || err != nil {
			t.Fatalf("run %d at +%v: %d jobs, %v; want 1", i, d, n, err)
		}
	}
	if got := e.notes.count(); got != 1 {
		t.Errorf("%d alerts sent by the job; want 1 (offline at +6m)", got)
	}
}
