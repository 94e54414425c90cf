package sendqueue_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// BenchmarkSendQueueBurst sends a burst of messages per iteration, each
// to its own guest, through the fake and reports msgs/s: "telegram" with
// the queue's real limits (its ceiling is 25 a second), "unpaced" with
// the limits off, which measures what the queue and its store cost per
// message.
func BenchmarkSendQueueBurst(b *testing.B) {
	for _, tc := range []struct {
		name  string
		store func(testing.TB) hub.Store
		opts  sendqueue.Options
		burst int
	}{
		{"telegram/bolt", openBolt, sendqueue.Options{}, 200},
		{"unpaced/bolt", openBolt, unpaced, 1000},
		{"unpaced/postgres", openPostgres, unpaced, 1000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			fake := telegramtest.New(b)
			fake.SetLimits(telegramtest.NoLimits)
			store := tc.store(b)
			q := newQueue(b, store, fake, tc.opts)
			n := b.N * tc.burst
			for i := range n {
				k := fmt.Sprintf("bench_%d", i)
				enqueue(b, q, sendqueue.Message{Key: k, ChatID: int64(30_000 + i), Text: k})
			}

			b.ResetTimer()
			start := time.Now()
			stop := run(b, q)
			waitFor(b, "burst sent", time.Duration(n)*time.Second+time.Minute, func() bool {
				return len(fake.Calls("sendMessage")) >= n
			})
			elapsed := time.Since(start)
			b.StopTimer()
			stop()
			b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// unpaced turns the queue's rate limits off.
var unpaced = sendqueue.Options{
	Rate: 1_000_000, PrivateInterval: time.Nanosecond, GroupInterval: time.Nanosecond,
	Batch: 256, Workers: 16,
}
