package iiko

import "time"

// Location is the venue's time zone: the configured one, or the terminal
// group's once a Snapshot has resolved it; nil before that.
func (c *Connector) Location() *time.Location {
	c.venueMu.Lock()
	defer c.venueMu.Unlock()
	if c.venue != nil {
		return c.venue.loc
	}
	if c.cfg.TimeZone != "" {
		loc, _ := time.LoadLocation(c.cfg.TimeZone) // checked in New
		return loc
	}
	return nil
}
