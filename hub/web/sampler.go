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
func (s *Server) SampleAgents(ctx context.Context) error {
	agents, err := s.store.Agents(ctx)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	list := make([]hub.AgentSample, 0, len(agents))
	for _, a := range agents {
		live := s.fleet.Live(a.ID)
		s.samples.note(a.ID, a.AppliedEvents, now)
		list = append(list, hub.AgentSample{AgentID: a.ID, Minute: now.Truncate(time.Minute),
			AppliedEvents: a.AppliedEvents, Backlog: a.Status.Backlog,
			Connected: live.Connected, ConnectedSince: live.Since})
	}
	if err := s.store.RecordAgentSamples(ctx, list); err != nil {
		return err
	}
	return s.store.PruneAgentSamples(ctx, now.Add(-hub.SampleRetention))
}

// RunSampler samples the agents every interval (a minute in production)
// until ctx ends.
//
// TODO(#8): with several replicas each samples the agents it holds and
// records the others as disconnected in the same minute; take Connected
// from the replica named in the agent's status instead.
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
