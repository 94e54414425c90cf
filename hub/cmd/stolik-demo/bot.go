package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
)

// demoBot prepares the Telegram bot when STOLIK_TELEGRAM_TOKEN is set (the
// hub, started with the same environment, runs it): a staff link code and
// an API key to give the demo venue opening hours once the hub is up. It
// returns what to tell the newcomer, and the step to run after the hub
// started.
func demoBot(ctx context.Context, hubBin string, env []string, venueID string) (string,
	func(base string) error, error) {
	if os.Getenv("STOLIK_TELEGRAM_TOKEN") == "" {
		return "Telegram bot: off. To try it, make a bot with @BotFather and run\n" +
			"  STOLIK_TELEGRAM_TOKEN=<token> make demo\n", func(string) error { return nil }, nil
	}
	link, err := hubLines(ctx, hubBin, env, "telegram", "link", "--venue", venueID)
	if err != nil {
		return "", nil, err
	}
	key, err := hubLines(ctx, hubBin, env, "apikey", "add", "--venue", venueID, "--name", "demo")
	if err != nil {
		return "", nil, err
	}
	msg := fmt.Sprintf("Telegram bot: on. Guests book at https://t.me/<your bot>?start=%s\n"+
		"Staff chat: add the bot to a group and send there /link %s\n", venueID, link["code"])
	open := func(base string) error {
		// Open 10:00-23:00 every day, so that the bot has times to offer.
		var days []string
		for wd := range 7 {
			days = append(days, fmt.Sprintf(`{"weekday":%d,"open":"10:00","close":"23:00"}`, wd))
		}
		body := `{"services":[` + strings.Join(days, ",") + `]}`
		req, err := http.NewRequestWithContext(ctx, http.MethodPut,
			base+"/api/v1/venues/"+venueID+"/policy", bytes.NewBufferString(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key["key"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("set the demo venue's hours: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("set the demo venue's hours: %s", resp.Status)
		}
		return nil
	}
	return msg, open, nil
}

// hubLines runs a stolik-hub command and returns the "key: value" lines
// it printed.
func hubLines(ctx context.Context, hubBin string, env []string, args ...string) (
	map[string]string, error) {
	cmd := exec.CommandContext(ctx, hubBin, args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("stolik-hub %s: %w", strings.Join(args[:2], " "), err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok && !strings.HasPrefix(k, "#") {
			lines[k] = strings.TrimSpace(v)
		}
	}
	return lines, nil
}
