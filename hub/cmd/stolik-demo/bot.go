package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// telegramAPI is the Bot API the demo asks who the bot is.
const telegramAPI = "https://api.telegram.org"

// botNote prepares the Telegram bot when STOLIK_TELEGRAM_TOKEN is set (the
// hub, started with the same environment, runs it): a staff link code for
// each venue. It returns what to tell the newcomer, with links to the bot
// by its real user name (asked of the Bot API with getMe). It runs before
// the hub starts, as the hub's CLI opens the embedded store.
func (d *demo) botNote(ctx context.Context, venues []scriptVenue) (string, error) {
	token := os.Getenv("STOLIK_TELEGRAM_TOKEN")
	if token == "" {
		return "Telegram bot: off. To try it, make a bot with @BotFather and run\n" +
			"  STOLIK_TELEGRAM_TOKEN=<token> make demo\n", nil
	}
	var b strings.Builder
	b.WriteString("Telegram bot: on.\n")
	name, err := botUsername(ctx, http.DefaultClient, telegramAPI, token)
	if err != nil {
		fmt.Fprintf(&b, "  (could not learn the bot's name: %v;\n"+
			"   the links below say <your bot>: put the bot's @name there)\n", err)
		name = "<your bot>"
	}
	for _, v := range venues {
		link, err := d.hubCmd(ctx, "telegram", "link", "--venue", v.id)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "  «%s»: guests book at https://t.me/%s?start=%s;\n"+
			"    staff: add the bot to a group and send /link %s there\n",
			v.rms.venue, name, v.id, link["code"])
	}
	return b.String(), nil
}

// botUsername asks the Bot API at api who the bot with token is (getMe)
// and returns its user name. Its errors never carry the token.
func botUsername(ctx context.Context, client *http.Client, api, token string) (string,
	error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		strings.TrimRight(api, "/")+"/bot"+token+"/getMe", nil)
	if err != nil {
		return "", errors.New("the token cannot go into a Bot API URL; check STOLIK_TELEGRAM_TOKEN")
	}
	resp, err := client.Do(req)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), token, "<token>")
		return "", fmt.Errorf("the Bot API at %s is unreachable: %s", api, msg)
	}
	defer resp.Body.Close()
	var answer struct {
		OK          bool   `json:"ok"`
		Description string `json:"description"`
		Result      struct {
			Username string `json:"username"`
		} `json:"result"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&answer); err != nil {
		return "", fmt.Errorf("the Bot API answered getMe with HTTP %d and no JSON", resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusNotFound:
		return "", fmt.Errorf("Telegram refused the token (%s); check STOLIK_TELEGRAM_TOKEN "+
			"against @BotFather", answer.Description)
	case !answer.OK || answer.Result.Username == "":
		return "", fmt.Errorf("getMe failed: HTTP %d %s", resp.StatusCode, answer.Description)
	}
	return answer.Result.Username, nil
}
