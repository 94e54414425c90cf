package rkeeper

import "time"

// Location is the venue's time zone, in which the till reads and writes
// times.
func (c *Connector) Location() *time.Location { return c.cfg.Location }
