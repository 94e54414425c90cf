package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// TestBotUsername learns the bot's name with getMe, and says why when the
// Bot API refuses the token or cannot be reached, without the token.
func TestBotUsername(t *testing.T) {
	fake := telegramtest.New(t)
	ctx := context.Background()
	name, err := botUsername(ctx, http.DefaultClient, fake.URL(), "123:SECRET")
	if err != nil || name != telegramtest.BotUsername {
		t.Errorf("botUsername = %q, %v; want %q", name, err, telegramtest.BotUsername)
	}

	fake.Fail("getMe", 1, http.StatusUnauthorized, "Unauthorized")
	_, err = botUsername(ctx, http.DefaultClient, fake.URL(), "123:SECRET")
	if err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Errorf("refused token: err = %v, want it said", err)
	}
	_, err = botUsername(ctx, http.DefaultClient, "http://127.0.0.1:1", "123:SECRET")
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("unreachable API: err = %v, want it said", err)
	}
	if err != nil && strings.Contains(err.Error(), "SECRET") {
		t.Errorf("the error shows the token: %v", err)
	}
}
