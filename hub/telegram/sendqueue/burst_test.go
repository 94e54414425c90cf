package sendqueue_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

const group = int64(-100777)

// burst enqueues n reminders to n guests, groupN messages to one group and
// three to one guest, interleaved, and returns every key by chat.
func burst(t testing.TB, q *sendqueue.Queue, n, groupN int) map[int64][]string {
	t.Helper()
	keys := map[int64][]string{}
	add := func(chat int64, k string) {
		enqueue(t, q, sendqueue.Message{Key: k, ChatID: chat, Text: k})
		keys[chat] = append(keys[chat], k)
	}
	for i := range n {
		add(int64(10_000+i), key("reminder", i))
		if i%(n/groupN) == 0 && len(keys[group]) < groupN {
			add(group, key("staff", i))
		}
		if i < 3 {
			add(anna, key("anna", i))
		}
	}
	return keys
}

// sent returns the times of the calls that succeeded, by chat and all.
func sent(calls []telegramtest.Call) (map[int64][]time.Time, []time.Time) {
	byChat := map[int64][]time.Time{}
	var all []time.Time
	for _, c := range calls {
		if c.ErrorCode == 0 {
			byChat[c.Int("chat_id")] = append(byChat[c.Int("chat_id")], c.At)
			all = append(all, c.At)
		}
	}
	slices.SortFunc(all, time.Time.Compare)
	return byChat, all
}

// mostInWindow is the most times within any window of length d.
func mostInWindow(times []time.Time, d time.Duration) int {
	most, i := 0, 0
	for j := range times {
		for times[j].Sub(times[i]) >= d {
			i++
		}
		most = max(most, j-i+1)
	}
	return most
}

// checkLimits fails t if the successful calls broke the queue's limits:
// 1 a second per private chat, 20 a minute (and 3 s apart) per group, 25 a
// second overall.
func checkLimits(t testing.TB, calls []telegramtest.Call) {
	t.Helper()
	byChat, all := sent(calls)
	for chat, times := range byChat {
		gap := time.Second
		if chat < 0 {
			if n := mostInWindow(times, time.Minute); n > 20 {
				t.Errorf("group %d got %d messages within a minute, want at most 20", chat, n)
			}
			// Spaced like this, no minute can hold more than 20.
			gap = 3 * time.Second
		}
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); d < gap {
				t.Errorf("chat %d got messages %v apart, want at least %v", chat, d, gap)
			}
		}
	}
	if n := mostInWindow(all, time.Second); n > 25 {
		t.Errorf("%d messages went out within a second, want at most 25", n)
	}
}

// TestBurst sends 1,000 reminders to 1,000 guests, 10 messages to a staff
// group and 3 to one guest through the fake with Telegram's limits taken
// literally, with a 429 injected mid-way: every message arrives once, in
// order per chat, within the limits, and nothing goes out during the
// 429's retry_after. It takes about 45 s (-short: 100 guests, 5 s).
func TestBurst(t *testing.T) {
	n, groupN := 1000, 10
	if testing.Short() {
		n, groupN = 100, 3
	}
	fake := telegramtest.New(t)
	fake.SetLimits(telegramtest.StrictLimits)
	store := openBolt(t)
	q := newQueue(t, store, fake, sendqueue.Options{})
	keys := burst(t, q, n, groupN)
	total := 0
	for _, ks := range keys {
		total += len(ks)
	}

	start := time.Now()
	run(t, q)
	within := time.Duration(total/20+30) * time.Second
	waitFor(t, "a fifth of the burst sent", within, func() bool {
		return len(fake.Calls("sendMessage")) >= total/5
	})
	fake.RateLimit("sendMessage", 1, 1)
	waitFor(t, "the whole burst sent", within, func() bool {
		_, all := sent(fake.Calls("sendMessage"))
		return len(all) >= total
	})
	elapsed := time.Since(start)

	calls := fake.Calls("sendMessage")
	checkLimits(t, calls)
	var flood []telegramtest.Call
	for _, c := range calls {
		if c.ErrorCode != 0 {
			flood = append(flood, c)
		}
	}
	if len(flood) != 1 || flood[0].ErrorCode != 429 {
		t.Fatalf("failed calls = %+v, want only the injected 429", flood)
	}
	for _, c := range calls {
		if d := c.At.Sub(flood[0].At); c.ErrorCode == 0 && d > 0 && d < time.Second {
			t.Errorf("a message went out %v after the 429, want none within retry_after 1s", d)
		}
	}

	// Each message once, in order per chat.
	for chat, want := range keys {
		var got []string
		for _, m := range fake.Messages(chat) {
			got = append(got, m.Text)
		}
		if !slices.Equal(got, want) {
			t.Errorf("chat %d got %q, want %q", chat, got, want)
		}
	}
	for _, ks := range keys {
		for _, k := range ks {
			if m, err := store.Outgoing(context.Background(), k); err != nil ||
				m.State != hub.OutgoingSent {
				t.Errorf("message %s: %+v (%v), want sent", k, m, err)
			}
		}
	}
	_, all := sent(calls)
	t.Logf("%d messages in %v: %.1f msgs/s; most in any second %d", total,
		elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(),
		mostInWindow(all, time.Second))
}

// recorder is an API that notes which queue made each call.
type recorder struct {
	sendqueue.API
	name string
	mu   *sync.Mutex
	log  *[]string
}

func (r recorder) Send(ctx context.Context, chatID int64, text string, markup json.RawMessage,
	parseMode string) (int, error) {
	r.mu.Lock()
	*r.log = append(*r.log, r.name)
	r.mu.Unlock()
	return r.API.Send(ctx, chatID, text, markup, parseMode)
}

// keepLease is a store whose ReleaseLease does nothing: its queue, when
// stopped, leaves its sender lease to run out, as a crashed replica does.
type keepLease struct{ hub.Store }

func (keepLease) ReleaseLease(context.Context, string, string) error { return nil }

// TestTwoQueuesOneStore runs two queues, as two replicas do, on one
// PostgreSQL store: one sends at a time; when it dies without releasing
// its sender lease, the other takes over once the lease runs out; every
// message goes out once and the limits hold across the handover.
func TestTwoQueuesOneStore(t *testing.T) {
	const n = 120
	fake := telegramtest.New(t)
	fake.SetLimits(telegramtest.StrictLimits)
	store := openPostgres(t)

	var (
		mu  sync.Mutex
		log []string
	)
	queue := func(name string) *sendqueue.Queue {
		api := recorder{API: &sendqueue.BotAPI{URL: fake.URL(), Token: "1:t"}, name: name,
			mu: &mu, log: &log}
		return sendqueue.New(keepLease{store}, api, sendqueue.Options{
			Holder: name, Logger: testLogger(t), SenderLease: time.Second, Lease: 3 * time.Second,
		})
	}
	a, b := queue("a"), queue("b")
	for i := range n {
		enqueue(t, a, sendqueue.Message{Key: key("m", i), ChatID: int64(20_000 + i),
			Text: key("m", i)})
	}
	stopA, stopB := run(t, a), run(t, b)

	waitFor(t, "a third sent", 30*time.Second, func() bool {
		return len(fake.Calls("sendMessage")) >= n/3
	})
	mu.Lock()
	first := log[0]
	mu.Unlock()
	if first == "a" {
		stopA()
	} else {
		stopB()
	}
	waitFor(t, "all sent", 60*time.Second, func() bool {
		_, all := sent(fake.Calls("sendMessage"))
		return len(all) >= n
	})

	mu.Lock()
	defer mu.Unlock()
	switches := 0
	for i := 1; i < len(log); i++ {
		if log[i] != log[i-1] {
			switches++
		}
	}
	if switches != 1 || len(log) != n {
		t.Errorf("senders in call order switched %d times over %d calls, want 1 over %d: %v",
			switches, len(log), n, log)
	}
	checkLimits(t, fake.Calls("sendMessage"))
	for i := range n {
		if msgs := fake.Messages(int64(20_000 + i)); len(msgs) != 1 {
			t.Errorf("chat %d got %d messages, want 1", 20_000+i, len(msgs))
		}
	}
}
