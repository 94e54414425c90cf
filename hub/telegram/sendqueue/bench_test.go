package sendqueue_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// BenchmarkSendQueueBurst sends b.N messages to b.N guests through the
// fake and reports msgs/s: "telegram" with the queue's real limits (its
// ceiling is 25 a second), "unpaced" with the limits off, which measures
// what the queue and its store cost per message.
func BenchmarkSendQueueBurst(b *testing.B) {
	for _, tc := range []struct {
		name  string
		store func(testing.TB) hub.Store
		opts  sendqueue.Options
	}{
		{"telegram/bolt", openBolt, sendqueue.Options{}},
		{"unpaced/bolt", openBolt, unpaced},
		{"unpaced/postgres", openPostgres, unpaced},
	} {
		b.Run(tc.name, func(b *testing.B) {
			fake := telegramtest.New(b)
			fake.SetLimits(telegramtest.NoLimits)
			store := tc.store(b)
			q := newQueue(b, store, fake, tc.opts)
			for i := range b.N {
				k := fmt.Sprintf("bench_%d", i)
				enqueue(b, q, sendqueue.Message{Key: k, ChatID: int64(30_000 + i), Text: k})
			}

			b.ResetTimer()
			start := time.Now()
			stop := run(b, q)
			waitFor(b, "burst sent", time.Duration(b.N)*time.Second+time.Minute, func() bool {
				return len(fake.Calls("sendMessage")) >= b.N
			})
			elapsed := time.Since(start)
			b.StopTimer()
			stop()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// unpaced turns the queue's rate limits off.
var unpaced = sendqueue.Options{
	Rate: 1_000_000, PrivateInterval: time.Nanosecond, GroupInterval: time.Nanosecond,
	Batch: 256, Workers: 16,
}
