package sendqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/hub/telegram/sendqueue"
	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestWokenByOtherReplica runs two replicas' queues on one PostgreSQL
// database, each with its own store: a message enqueued on the replica
// that does not send is sent by the one holding the sender lease within
// seconds, though it polls the store only every 30 s; also after the
// holder's listening connection was cut.
func TestWokenByOtherReplica(t *testing.T) {
	fake := telegramtest.New(t)
	url := pgtest.URL(t)
	open := func() hub.Store {
		s, err := postgres.Open(context.Background(), postgres.Config{URL: url})
		if err != nil {
			t.Fatalf("open postgres store: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	store1, store2 := open(), open()
	other := newQueue(t, store1, fake, sendqueue.Options{Holder: "replica-1",
		Poll: 30 * time.Second})
	holder := newQueue(t, store2, fake, sendqueue.Options{Holder: "replica-2",
		Poll: 30 * time.Second})
	enqueue(t, holder, sendqueue.Message{Key: "own", ChatID: anna, Text: "своё"})
	run(t, holder) // replica 1 runs no sender: replica 2 holds the lease
	waitState(t, store2, "own", hub.OutgoingSent, 5*time.Second)

	// From here on the holder idles until its poll unless it is woken.
	send := func(i int) {
		t.Helper()
		start := time.Now()
		enqueue(t, other, sendqueue.Message{Key: key("r1", i), ChatID: int64(600 + i),
			Text: key("r1", i)})
		waitState(t, store2, key("r1", i), hub.OutgoingSent, 3*time.Second)
		t.Logf("sent %v after it was enqueued on the other replica", time.Since(start))
	}
	for i := range 3 {
		send(i)
	}
	if n := pgtest.Terminate(t, url, "stolik-hub listener"); n != 1 {
		t.Fatalf("terminated %d listener sessions, want 1", n)
	}
	for i := 3; i < 6; i++ {
		send(i)
	}
}
