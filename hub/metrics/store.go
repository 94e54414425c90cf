package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stolik/stolik/hub"
)

// storeTimeout bounds the store reads of one scrape.
const storeTimeout = 5 * time.Second

// activeStates are the booking states the bookings gauge reports.
var activeStates = []hub.BookingState{hub.BookingHeld, hub.BookingRequested,
	hub.BookingConfirmed, hub.BookingSeated}

var (
	backlogDesc = prometheus.NewDesc("stolik_agent_backlog",
		"Events the agent stored and the hub has not acked, as the agent last reported; "+
			"reported by the replica that last held its connection, none once revoked.",
		[]string{"agent"}, nil)
	bookingsDesc = prometheus.NewDesc("stolik_bookings",
		"Hub bookings that have not ended, by active state (held, requested, "+
			"confirmed, seated).",
		[]string{"state"}, nil)
)

// storeCollector reports what the store knows, read at most once per
// refresh: scrapes in between get the last reading.
type storeCollector struct {
	store   hub.Store
	replica string
	refresh time.Duration
	now     func() time.Time
	log     *slog.Logger

	mu       sync.Mutex // guards the reading below and serializes reads
	readAt   time.Time
	read     bool
	backlog  map[string]uint64
	bookings map[hub.BookingState]int
}

func newStoreCollector(opts Options) *storeCollector {
	return &storeCollector{store: opts.Store, replica: opts.Replica, refresh: opts.Refresh,
		now: opts.Now, log: opts.Logger}
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogDesc
	ch <- bookingsDesc
}

// Collect implements prometheus.Collector. A store that fails leaves the
// last reading in place (logged); before any reading there is nothing.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.read || now.Sub(c.readAt) >= c.refresh {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		c.load(ctx, now)
		cancel()
	}
	for agent, n := range c.backlog {
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(n),
			agent)
	}
	for _, st := range activeStates {
		if n, ok := c.bookings[st]; ok {
			ch <- prometheus.MustNewConstMetric(bookingsDesc, prometheus.GaugeValue,
				float64(n), string(st))
		}
	}
}

// load reads the store. The caller holds c.mu.
func (c *storeCollector) load(ctx context.Context, now time.Time) {
	agents, err := c.store.Agents(ctx)
	if err != nil {
		c.log.Warn("metrics: read agents", "err", err)
		return
	}
	backlog := make(map[string]uint64)
	for _, a := range agents {
		if a.RevokedAt != nil || (c.replica != "" && a.Status.Replica != c.replica) {
			continue
		}
		if a.Status.LastSeen.IsZero() {
			continue // never connected: nothing reported
		}
		backlog[a.ID] = a.Status.Backlog
	}

	bookings, err := c.countBookings(ctx, now)
	if err != nil {
		c.log.Warn("metrics: count bookings", "err", err)
		return
	}
	c.backlog, c.bookings = backlog, bookings
	c.readAt, c.read = now, true
}

// countBookings counts the active bookings that end after now, venue by
// venue, so that each store reads only its index of the venue's bookings
// from now on, not every booking ever made.
func (c *storeCollector) countBookings(ctx context.Context, now time.Time) (
	map[hub.BookingState]int, error) {
	venues, err := c.store.Venues(ctx)
	if err != nil {
		return nil, err
	}
	counts := make(map[hub.BookingState]int, len(activeStates))
	for _, st := range activeStates {
		counts[st] = 0
	}
	for _, v := range venues {
		list, err := c.store.Bookings(ctx, hub.BookingQuery{VenueID: v.ID, From: now,
			States: activeStates})
		if err != nil {
			return nil, err
		}
		for _, b := range list {
			counts[b.State]++
		}
	}
	return counts, nil
}
