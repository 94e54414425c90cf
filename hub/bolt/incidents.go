package bolt

import (
	"context"
	"errors"
	"fmt"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// Incidents live in three top-level buckets:
//
//	incidents/<id>                         hub.Incident
//	incidents_open/<agent>\x00<kind>       id of the agent's unresolved one
//	agent_incidents/<agent>/<opened at,id> nothing: an agent's incidents
//
// They are created by the first PutIncident rather than by a schema
// migration, so files of every schema version read them alike: a missing
// bucket means no incident yet.
var (
	bucketIncidents      = []byte("incidents")
	bucketIncidentsOpen  = []byte("incidents_open")
	bucketAgentIncidents = []byte("agent_incidents")
)

func openKey(agentID string, kind hub.IncidentKind) []byte {
	return []byte(agentID + "\x00" + string(kind))
}

// PutIncident creates or replaces an incident and keeps its indexes, in
// one transaction.
func (s *Store) PutIncident(ctx context.Context, in hub.Incident) error {
	if err := in.Validate(); err != nil {
		return fmt.Errorf("put incident: %w", err)
	}
	in.Since, in.OpenedAt = in.Since.UTC(), in.OpenedAt.UTC()
	in.ClearedAt, in.ResolvedAt = in.ClearedAt.UTC(), in.ResolvedAt.UTC()
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := createBuckets(tx, bucketIncidents, bucketIncidentsOpen,
			bucketAgentIncidents); err != nil {
			return err
		}
		all, open := tx.Bucket(bucketIncidents), tx.Bucket(bucketIncidentsOpen)

		var old hub.Incident
		err := getJSON(all, "incident", in.ID, &old)
		switch {
		case err == nil:
			if err := dropIncidentIndexes(tx, old); err != nil {
				return err
			}
		case !errors.Is(err, hub.ErrNotFound):
			return err
		}

		if in.Open() {
			k := openKey(in.AgentID, in.Kind)
			if id := open.Get(k); id != nil && string(id) != in.ID {
				return fmt.Errorf("agent %s already has open %s incident %s: %w",
					in.AgentID, in.Kind, id, hub.ErrExists)
			}
			if err := open.Put(k, []byte(in.ID)); err != nil {
				return err
			}
		}
		byAgent, err := nested(tx, bucketAgentIncidents, in.AgentID)
		if err != nil {
			return err
		}
		if err := byAgent.Put(timeIDKey(in.OpenedAt, in.ID), nil); err != nil {
			return err
		}
		return putJSON(all, in.ID, in)
	})
	if err != nil {
		return fmt.Errorf("put incident %q: %w", in.ID, err)
	}
	return nil
}

// dropIncidentIndexes removes what indexes old, before it is replaced.
func dropIncidentIndexes(tx *bbolt.Tx, old hub.Incident) error {
	open := tx.Bucket(bucketIncidentsOpen)
	k := openKey(old.AgentID, old.Kind)
	if id := open.Get(k); id != nil && string(id) == old.ID {
		if err := open.Delete(k); err != nil {
			return err
		}
	}
	if b := existing(tx, bucketAgentIncidents, old.AgentID); b != nil {
		return b.Delete(timeIDKey(old.OpenedAt, old.ID))
	}
	return nil
}

// Incident returns one incident.
func (s *Store) Incident(ctx context.Context, id string) (hub.Incident, error) {
	var in hub.Incident
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		all := tx.Bucket(bucketIncidents)
		if all == nil {
			return fmt.Errorf("incident %q: %w", id, hub.ErrNotFound)
		}
		return getJSON(all, "incident", id, &in)
	})
	return in, err
}

// OpenIncidents lists the unresolved incidents, by agent, then kind: the
// order of the open index's keys.
func (s *Store) OpenIncidents(ctx context.Context) ([]hub.Incident, error) {
	list := []hub.Incident{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		open, all := tx.Bucket(bucketIncidentsOpen), tx.Bucket(bucketIncidents)
		if open == nil {
			return nil
		}
		return open.ForEach(func(_, id []byte) error {
			var in hub.Incident
			if err := getJSON(all, "incident", string(id), &in); err != nil {
				return err
			}
			list = append(list, in)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	return list, nil
}

// AgentIncidents lists an agent's incidents, newest OpenedAt first, then
// id (descending, the index's order walked backwards).
func (s *Store) AgentIncidents(ctx context.Context, agentID string, limit int) (
	[]hub.Incident, error) {
	list := []hub.Incident{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := existing(tx, bucketAgentIncidents, agentID)
		if b == nil {
			return nil
		}
		all := tx.Bucket(bucketIncidents)
		c := b.Cursor()
		for k, _ := c.Last(); k != nil && (limit <= 0 || len(list) < limit); k, _ = c.Prev() {
			var in hub.Incident
			if err := getJSON(all, "incident", string(k[timeKeyLen:]), &in); err != nil {
				return err
			}
			list = append(list, in)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list incidents of agent %q: %w", agentID, err)
	}
	return list, nil
}
