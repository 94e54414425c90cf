package poster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/poster/postertest"
)

// pollInterval is the agent's default poll_interval.
const pollInterval = 5 * time.Second

// clock is a settable clock for the connector.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// BenchmarkIdleRequestsPerMinute counts the requests an idle venue costs
// Poster at the default poll interval, layout refreshes included: each
// iteration is one poll, 5 simulated seconds after the last.
func BenchmarkIdleRequestsPerMinute(b *testing.B) {
	f := newFake(b, postertest.Options{Halls: 2, TablesPerHall: 10})
	clk := &clock{t: time.Now()}
	cfg := config(b, f)
	cfg.Now = clk.Now
	c := newConnector(b, cfg)
	snapshot(b, c) // the first read of the layout is not idle
	f.ResetRequests()

	b.ResetTimer()
	// Each iteration is an hour of polls, so that the layout's re-reads
	// count even at -benchtime 1x.
	polls := int(time.Hour / pollInterval)
	for range b.N {
		for range polls {
			clk.Add(pollInterval)
			if _, err := c.Snapshot(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	minutes := float64(b.N*polls) * pollInterval.Minutes()
	b.ReportMetric(float64(f.TotalRequests())/minutes, "req/min")
}

// BenchmarkChangeToSnapshot measures from a check opened (or closed) at the
// till until a Snapshot shows it.
func BenchmarkChangeToSnapshot(b *testing.B) {
	f := newFake(b, postertest.Options{})
	c := newConnector(b, config(b, f))
	snapshot(b, c)

	b.ResetTimer()
	open := ""
	for range b.N {
		if open == "" {
			id, err := f.OpenCheck("1", 2)
			if err != nil {
				b.Fatal(err)
			}
			open = id
		} else {
			if err := f.CloseCheck(open); err != nil {
				b.Fatal(err)
			}
			open = ""
		}
		st, err := c.Snapshot(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if (open != "") != (len(st.Orders) == 1) {
			b.Fatalf("the snapshot has %d orders after the change", len(st.Orders))
		}
	}
}
