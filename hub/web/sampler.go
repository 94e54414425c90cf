package web

import (
	"context"
	"sync"
	"time"

	"github.com/stolik/stolik/hub"
)

// sampler remembers, per agent, the last cumulative event count seen and
// when it last grew: the fleet's "last change received".
type sampler struct {
	mu sync.Mutex
	// last by agent id; guarded by mu.
	last map[string]seen
}

type seen struct {
	applied uint64
	changed time.Time
}

func newSampler() *sampler { return &sampler{last: make(map[string]seen)} }

// note records an agent's applied count at now and returns when it last
// grew (zero if never seen to grow).
func (sm *sampler) note(id string, applied uint64, now time.Time) time.Time {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	old, ok := sm.last[id]
	if ok && applied > old.applied {
		old.changed = now
	}
	old.applied = applied
	sm.last[id] = old
	return old.changed
}

func (sm *sampler) lastChange(id string) time.Time {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.last[id].changed
}

// SampleAgents records one hub.AgentSample per agent for the current
// minute and drops samples older than hub.SampleRetention. RunSampler
// calls it every minute; tests call it directly.
//
// With Options.Replica set (several replicas on one database), a replica
// records the agents its gateway holds, the agents its status names it
// the holder of, and the agents no live replica holds: never connected,
// or named to a replica that has not refreshed their last-seen time for
// Options.HolderSilence (it stopped), recorded as disconnected. An agent
// another live replica holds is left to that replica, which alone knows
// when the connection started; so replicas do not overwrite each other's
// samples of a minute with different answers.
func (s *Server) SampleAgents(ctx context.Context) error {
	agents, err := s.store.Agents(ctx)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	list := make([]hub.AgentSample, 0, len(agents))
	for _, a := range agents {
		s.samples.note(a.ID, a.AppliedEvents, now)
		live := s.fleet.Live(a.ID)
		if !live.Connected && s.heldElsewhere(a, now) {
			continue
		}
		list = append(list, hub.AgentSample{AgentID: a.ID, Minute: now.Truncate(time.Minute),
			AppliedEvents: a.AppliedEvents, Backlog: a.Status.Backlog,
			Connected: live.Connected, ConnectedSince: live.Since})
	}
	if err := s.store.RecordAgentSamples(ctx, list); err != nil {
		return err
	}
	return s.store.PruneAgentSamples(ctx, now.Add(-hub.SampleRetention))
}

// heldElsewhere reports whether a's status names another replica as its
// holder and that replica refreshed a's last-seen time within
// HolderSilence: it is alive and answers for a.
func (s *Server) heldElsewhere(a hub.Agent, now time.Time) bool {
	st := a.Status
	if s.opts.Replica == "" || st.Replica == "" || st.Replica == s.opts.Replica ||
		st.LastSeen.IsZero() {
		return false
	}
	return now.Sub(st.LastSeen) < s.opts.HolderSilence
}

// RunSampler samples the agents every interval (a minute in production)
// until ctx ends.
func (s *Server) RunSampler(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.SampleAgents(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sample agents", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
