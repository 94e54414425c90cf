package postgres

import (
	"context"
	"fmt"

	"github.com/stolik/stolik/hub"
)

// AgentsOfVenue lists the venue's agents, revoked or not, ordered by id,
// through the agents_venue index.
func (s *Store) AgentsOfVenue(ctx context.Context, venueID string) ([]hub.Agent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+agentColumns+` FROM agents
		WHERE venue_id = $1 ORDER BY id`, venueID)
	if err != nil {
		return nil, fmt.Errorf("agents of venue %q: %w", venueID, err)
	}
	list, err := collect(rows, scanAgent)
	if err != nil {
		return nil, fmt.Errorf("agents of venue %q: %w", venueID, err)
	}
	return list, nil
}
