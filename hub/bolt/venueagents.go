package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// Schema 8 adds agent_venues/<venue>/<agent id> (empty values): a venue's
// agents without reading the whole fleet. An agent's venue never changes,
// so the entry is written once, with the agent; the migration indexes the
// agents a file already holds.
var bucketAgentVenues = []byte("agent_venues")

// indexAgentVenues (re)builds agent_venues from the agents bucket.
func indexAgentVenues(tx *bbolt.Tx) error {
	if tx.Bucket(bucketAgentVenues) != nil {
		if err := tx.DeleteBucket(bucketAgentVenues); err != nil {
			return fmt.Errorf("drop bucket %s: %w", bucketAgentVenues, err)
		}
	}
	if err := createBuckets(tx, bucketAgentVenues); err != nil {
		return err
	}
	return tx.Bucket(bucketAgents).ForEach(func(k, v []byte) error {
		var r agentRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("index agent %q: %w", k, err)
		}
		return indexAgentVenue(tx, r.Agent)
	})
}

// indexAgentVenue adds a to its venue's entry in agent_venues.
func indexAgentVenue(tx *bbolt.Tx, a hub.Agent) error {
	b, err := nested(tx, bucketAgentVenues, a.VenueID)
	if err != nil {
		return err
	}
	return b.Put([]byte(a.ID), nil)
}

// AgentsOfVenue lists the venue's agents, revoked or not, ordered by id:
// it walks the venue's entry in agent_venues and reads only those agents.
func (s *Store) AgentsOfVenue(ctx context.Context, venueID string) ([]hub.Agent, error) {
	var list []hub.Agent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		index := existing(tx, bucketAgentVenues, venueID)
		if index == nil {
			return nil
		}
		return index.ForEach(func(k, _ []byte) error {
			r, err := getAgent(tx, string(k))
			if err != nil {
				return err
			}
			list = append(list, r.agent())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("agents of venue %q: %w", venueID, err)
	}
	return list, nil
}
