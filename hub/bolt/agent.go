package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// agentRecord is an agent as kept in the agents bucket. hub.Agent leaves its
// secret hash out of JSON so that it never reaches an API answer; the store
// needs it, so the record carries it beside the agent.
type agentRecord struct {
	hub.Agent
	SecretHash []byte `json:"secret_hash"`
}

func (r agentRecord) agent() hub.Agent {
	a := r.Agent
	a.SecretHash = r.SecretHash
	return a
}

func newAgentRecord(a hub.Agent) agentRecord {
	return agentRecord{Agent: a, SecretHash: a.SecretHash}
}

// getAgent reads one agent record in tx.
func getAgent(tx *bbolt.Tx, id string) (agentRecord, error) {
	var r agentRecord
	err := getJSON(tx.Bucket(bucketAgents), "agent", id, &r)
	return r, err
}

func putAgent(tx *bbolt.Tx, r agentRecord) error {
	return putJSON(tx.Bucket(bucketAgents), r.ID, r)
}

// CreateAgent stores a new agent; hub.ErrExists if the id is taken,
// hub.ErrNotFound if its venue does not exist.
func (s *Store) CreateAgent(ctx context.Context, a hub.Agent) error {
	if a.ID == "" || a.VenueID == "" {
		return fmt.Errorf("create agent %q of venue %q: %w", a.ID, a.VenueID, errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error { return createAgent(tx, a) })
	if err != nil {
		return fmt.Errorf("create agent %q: %w", a.ID, err)
	}
	return nil
}

// createAgent stores a new agent in tx.
func createAgent(tx *bbolt.Tx, a hub.Agent) error {
	if err := venueExists(tx, a.VenueID); err != nil {
		return err
	}
	if tx.Bucket(bucketAgents).Get([]byte(a.ID)) != nil {
		return hub.ErrExists
	}
	if err := putAgent(tx, newAgentRecord(a)); err != nil {
		return err
	}
	return indexAgentVenue(tx, a)
}

// Agent returns an agent, revoked or not.
func (s *Store) Agent(ctx context.Context, id string) (hub.Agent, error) {
	var r agentRecord
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		r, err = getAgent(tx, id)
		return err
	})
	if err != nil {
		return hub.Agent{}, fmt.Errorf("get agent: %w", err)
	}
	return r.agent(), nil
}

// Agents lists every agent, ordered by id.
func (s *Store) Agents(ctx context.Context) ([]hub.Agent, error) {
	var list []hub.Agent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAgents).ForEach(func(k, raw []byte) error {
			var r agentRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("decode agent %q: %w", k, err)
			}
			list = append(list, r.agent())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return list, nil
}

// RevokeAgent marks an agent's credential revoked at the given time.
// Revoking twice keeps the first time.
func (s *Store) RevokeAgent(ctx context.Context, id string, at time.Time) error {
	err := s.updateAgent(ctx, id, func(r *agentRecord) {
		if r.RevokedAt == nil {
			r.RevokedAt = &at
		}
	})
	if err != nil {
		return fmt.Errorf("revoke agent: %w", err)
	}
	return nil
}

// UpdateAgentStatus records what the agent reported about itself.
func (s *Store) UpdateAgentStatus(ctx context.Context, id string, st hub.AgentStatus) error {
	err := s.updateAgent(ctx, id, func(r *agentRecord) { r.Status = st })
	if err != nil {
		return fmt.Errorf("update agent status: %w", err)
	}
	return nil
}

// updateAgent changes one agent record in a write transaction.
func (s *Store) updateAgent(ctx context.Context, id string, change func(*agentRecord)) error {
	if id == "" {
		return fmt.Errorf("agent: %w", errEmptyID)
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		r, err := getAgent(tx, id)
		if err != nil {
			return err
		}
		change(&r)
		return putAgent(tx, r)
	})
}
