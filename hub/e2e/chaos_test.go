package e2e_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/outbox"
	"github.com/stolik/stolik/agent/sim"
)

// simRun describes a simulated venue shared by the agent (through its
// config) and the test (to compute the expected final state).
type simRun struct {
	seed           int64
	halls, tables  int
	step           time.Duration
	changesPerStep int
	steps          int
	start          time.Time
}

func (s simRun) yaml() string {
	return fmt.Sprintf("connector:\n  kind: sim\n  sim: {seed: %d, halls: %d, tables: %d, "+
		"step: %s, changes_per_step: %d, steps: %d, start: %s}\n",
		s.seed, s.halls, s.tables, s.step, s.changesPerStep, s.steps,
		s.start.UTC().Format(time.RFC3339Nano))
}

func (s simRun) end() time.Time { return s.start.Add(time.Duration(s.steps) * s.step) }

func (s simRun) venue(t testing.TB) *sim.Venue {
	t.Helper()
	v, err := sim.New(sim.Config{
		Seed: s.seed, Halls: s.halls, Tables: s.tables, Start: s.start, Step: s.step,
		ChangesPerStep: s.changesPerStep, Steps: s.steps,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// outboxStats opens a stopped agent's outbox and returns its figures.
func outboxStats(t testing.TB, agentDir string) outbox.Stats {
	t.Helper()
	ob, err := outbox.Open(filepath.Join(agentDir, "data", "outbox.db"), outbox.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open the agent's outbox: %v", err)
	}
	defer ob.Close()
	return ob.Stats()
}

// converge stops the agent, then runs it until the hub has applied every
// event it stored, stops it again, and checks exactly-once delivery and the
// mirror against the simulator's last state.
func converge(t *testing.T, h *hubEnv, cred credential, agentDir, cfg string, sr simRun) outbox.Stats {
	t.Helper()
	st := outboxStats(t, agentDir)
	for round := 0; round < 3; round++ {
		a := startAgent(t, cfg)
		// Let it poll a few times: the venue may have moved on since the
		// agent last read it.
		time.Sleep(time.Second)
		waitFor(t, 2*time.Minute, "the hub to apply the agent's last event", func() bool {
			v, err := h.agent(cred.AgentID)
			return err == nil && v.AppliedSeq >= st.LastSeq
		})
		a.stop()
		st = outboxStats(t, agentDir)
		if st.Backlog == 0 {
			break
		}
	}

	v, err := h.agent(cred.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outbox: last_seq=%d stored=%d sent=%d acked=%d compacted=%d backlog=%d; "+
		"hub: applied_seq=%d applied_events=%d", st.LastSeq, st.Counters.Stored,
		st.Counters.Sent, st.Counters.Acked, st.Counters.Compacted, st.Backlog,
		v.AppliedSeq, v.AppliedEvents)
	if v.AppliedSeq != st.LastSeq {
		t.Errorf("hub applied up to %d, agent stored up to %d", v.AppliedSeq, st.LastSeq)
	}
	if st.Backlog != 0 {
		t.Errorf("agent backlog %d after the hub applied everything", st.Backlog)
	}
	// Each stored event was either compacted away before it was sent or
	// applied by the hub exactly once: the hub counts only sequences above
	// the one it applied last.
	if want := st.Counters.Stored - st.Counters.Compacted; v.AppliedEvents != want {
		t.Errorf("hub applied %d events, agent stored %d and compacted %d (want %d applied)",
			v.AppliedEvents, st.Counters.Stored, st.Counters.Compacted, want)
	}
	if st.Counters.Acked != v.AppliedEvents {
		t.Errorf("agent counted %d acked events, hub applied %d", st.Counters.Acked, v.AppliedEvents)
	}

	mirror, err := h.state(cred.VenueID)
	if err != nil {
		t.Fatal(err)
	}
	want := items(t, sr.venue(t).StateAt(sr.steps))
	if diff := cmp.Diff(want, items(t, mirrorState(mirror))); diff != "" {
		t.Errorf("hub mirror differs from the simulator's last state (-want +got):\n%s", diff)
	}
	return st
}

// TestKillAgentAndHub streams at least 100,000 simulated changes while the
// agent is killed with SIGKILL 20 times and the hub 5 times.
func TestKillAgentAndHub(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end chaos run takes about a minute")
	}
	sr := simRun{
		seed: 42, halls: 4, tables: 200, step: 10 * time.Millisecond,
		changesPerStep: 25, steps: 4200, start: time.Now().Add(2 * time.Second),
	}
	if n := sr.venue(t).ChangesAt(sr.steps); n < 100_000 {
		t.Fatalf("simulation makes only %d changes", n)
	}

	h := newHub(t, "")
	cred := h.addAgent("Chaos")
	hubProc := h.start()
	agentDir := t.TempDir()
	cfg := agentConfig(t, agentDir, cred, []string{"ws://" + h.addr},
		"poll_interval: 100ms\nuplink: {window: 4, max_batch: 500, backoff_min: 20ms, backoff_max: 500ms}\n"+
			sr.yaml())
	agentProc := startAgent(t, cfg)

	// Twenty agent kills and five hub kills at random moments of the run.
	rng := rand.New(rand.NewPCG(7, 7))
	type kill struct {
		at  time.Duration
		hub bool
	}
	span := sr.end().Sub(time.Now())
	var kills []kill
	for i := 0; i < 25; i++ {
		kills = append(kills, kill{at: time.Duration(rng.Int64N(int64(span))), hub: i >= 20})
	}
	slices.SortFunc(kills, func(a, b kill) int { return int(a.at - b.at) })
	begin := time.Now()
	for _, k := range kills {
		time.Sleep(time.Until(begin.Add(k.at)))
		pause := time.Duration(rng.IntN(300)) * time.Millisecond
		if k.hub {
			hubProc.kill()
			time.Sleep(pause)
			hubProc = h.start()
		} else {
			agentProc.kill()
			time.Sleep(pause)
			agentProc = startAgent(t, cfg)
		}
	}
	time.Sleep(time.Until(sr.end().Add(time.Second)))
	agentProc.stop()

	converge(t, h, cred, agentDir, cfg, sr)
	hubProc.stop()
}

// TestHubDownThenUp runs the agent while the hub is unreachable: the backlog
// is compacted, and drains once the hub starts.
func TestHubDownThenUp(t *testing.T) {
	sr := simRun{
		seed: 3, halls: 2, tables: 40, step: 10 * time.Millisecond,
		changesPerStep: 10, steps: 500, start: time.Now().Add(time.Second),
	}
	h := newHub(t, "")
	cred := h.addAgent("Offline")
	agentDir := t.TempDir()
	cfg := agentConfig(t, agentDir, cred, []string{"ws://" + h.addr},
		"poll_interval: 100ms\nuplink: {backoff_min: 20ms, backoff_max: 200ms}\n"+sr.yaml())
	a := startAgent(t, cfg)
	time.Sleep(time.Until(sr.end().Add(time.Second)))
	a.stop()

	before := outboxStats(t, agentDir)
	if before.Counters.Compacted == 0 {
		t.Errorf("nothing compacted while the hub was away: %+v", before)
	}
	if before.Counters.Acked != 0 {
		t.Errorf("events acked with no hub: %+v", before)
	}
	hubProc := h.start()
	// What drained is at most what was pending when the hub came up: the
	// compacted backlog, not every change made while it was away.
	st := converge(t, h, cred, agentDir, cfg, sr)
	if sent := st.Counters.Acked; sent > before.Backlog+(st.Counters.Stored-before.Counters.Stored) {
		t.Errorf("hub applied %d events; the compacted backlog held %d", sent, before.Backlog)
	}
	hubProc.stop()
}
