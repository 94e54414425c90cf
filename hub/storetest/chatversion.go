package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stolik/stolik/hub"
)

// testTelegramChatRace saves one chat from many goroutines that all read
// the same version, as replicas handling two presses at once would: one
// save wins, every other is ErrStaleChat, and the stored chat is the
// winner's.
func testTelegramChatRace(t *testing.T, s hub.Store) {
	ctx := context.Background()
	// A new chat, then the one the first round stored.
	for _, start := range []int64{0, 1} {
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.PutTelegramChat(ctx, hub.TelegramChat{ChatID: 7, Version: start,
					Flow: json.RawMessage(fmt.Sprintf(`{"writer":%d}`, i)), UpdatedAt: t0})
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("from version %d: writers %d and %d both saved", start, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, hub.ErrStaleChat):
				t.Errorf("from version %d: writer %d: %v, want ErrStaleChat", start, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("from version %d: no writer saved", start)
		}
		got, err := s.TelegramChat(ctx, 7)
		wantErr(t, "get chat", err, nil)
		want := hub.TelegramChat{ChatID: 7, Version: start + 1, UpdatedAt: t0,
			Flow: json.RawMessage(fmt.Sprintf(`{"writer":%d}`, winner))}
		diff(t, fmt.Sprintf("chat saved from version %d", start), got, want)
	}
}
