package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/metrics"
)

// BenchmarkScrapeReadingStore is one /metrics scrape that reads the store
// (Refresh elapsed): 1,000 agents and 100 venues, each venue with 10
// bookings ahead and 20 that ended, on the embedded store.
func BenchmarkScrapeReadingStore(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Hour)
	for v := range 100 {
		venue := fmt.Sprintf("ven_%03d", v)
		if err := s.CreateVenue(ctx, hub.Venue{ID: venue, Name: venue, TimeZone: "UTC",
			CreatedAt: now}); err != nil {
			b.Fatal(err)
		}
		for a := range 10 {
			id := fmt.Sprintf("agt_%03d_%d", v, a)
			if err := s.CreateAgent(ctx, hub.Agent{ID: id, VenueID: venue,
				SecretHash: hub.HashSecret("s"), CreatedAt: now}); err != nil {
				b.Fatal(err)
			}
			if err := s.UpdateAgentStatus(ctx, id, hub.AgentStatus{LastSeen: now,
				Backlog: uint64(a)}); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 30 {
			start := now.Add(time.Duration(i-20) * 3 * time.Hour)
			bk := hub.Booking{ID: fmt.Sprintf("bk_%03d_%02d", v, i), VenueID: venue,
				TableIDs: []string{"t1"}, Start: start, End: start.Add(2 * time.Hour),
				Party: 2, State: hub.BookingConfirmed, Name: "Guest", Channel: "api",
				CreatedAt: now}
			if _, err := s.CreateBooking(ctx, bk, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	}
	m := metrics.New(metrics.Options{Store: s, Refresh: time.Nanosecond})
	h := m.Handler()

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != 200 {
			b.Fatalf("scrape: %d", w.Code)
		}
		io.Copy(io.Discard, w.Body)
	}
}
