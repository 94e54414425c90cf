package iiko

import (
	"context"

	"github.com/stolik/stolik/agent"
)

// Snapshot reads the venue: tables (by revision, at most every
// SectionsEvery), reservations in the window and open orders. Times are
// UTC. On an error nothing read in this call is kept except table
// revisions already applied, which are true either way.
func (c *Connector) Snapshot(ctx context.Context) (agent.State, error) {
	v, err := c.resolve(ctx)
	if err != nil {
		return agent.State{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if err := c.readSections(ctx, v, now); err != nil {
		return agent.State{}, err
	}
	reservations, err := c.readReserves(ctx, v, now)
	if err != nil {
		return agent.State{}, err
	}
	orders, err := c.readOrders(ctx, v)
	if err != nil {
		return agent.State{}, err
	}
	halls, tables := c.sections.state()
	return agent.State{Halls: halls, Tables: tables, Orders: orders,
		Reservations: reservations}, nil
}
