package uplink_test

import (
	"testing"
	"time"
)

// BenchmarkThroughput streams a backlog of 50,000 changes (about 375 bytes
// each on the wire) from a real outbox (bbolt file, fsync on) over a
// loopback websocket to the fake hub, which acks each batch after a
// simulated round trip. It reports events/s from the first dial to the last
// event applied. The fake hub decodes every batch on the same machine, so
// its cost is part of the figure; run with -benchtime=1x or 3x.
func BenchmarkThroughput(b *testing.B) {
	const events = 50_000
	cases := []struct {
		name   string
		window int
		rtt    time.Duration
	}{
		{"window=1/rtt=0", 1, 0},
		{"window=4/rtt=0", 4, 0},
		{"window=1/rtt=5ms", 1, 5 * time.Millisecond},
		{"window=4/rtt=5ms", 4, 5 * time.Millisecond},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			var elapsed time.Duration
			var batches uint64
			for range b.N {
				b.StopTimer()
				h := newHub(b)
				h.with(func(h *fakeHub) { h.ackDelay = bc.rtt })
				st := newStore(b)
				for range events / 1000 {
					st.addSized(b, 1000, 240)
				}
				done := h.reach(events)
				cfg := testConfig(h.srv.URL)
				cfg.Window = bc.window
				b.StartTimer()

				began := time.Now()
				r := start(b, cfg, st, nil)
				<-done
				elapsed += time.Since(began)

				b.StopTimer()
				batches += r.u.Stats().BatchesSent
				if err := r.stop(b); err == nil {
					b.Fatal("Run returned nil after cancel")
				}
			}
			b.ReportMetric(float64(events*b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(batches)/float64(b.N), "batches/op")
		})
	}
}
