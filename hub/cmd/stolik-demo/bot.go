package main

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// botNote prepares the Telegram bot when STOLIK_TELEGRAM_TOKEN is set (the
// hub, started with the same environment, runs it): a staff link code for
// each venue. It returns what to tell the newcomer. It runs before the hub
// starts, as the hub's CLI opens the embedded store.
func (d *demo) botNote(ctx context.Context, venues []scriptVenue) (string, error) {
	if os.Getenv("STOLIK_TELEGRAM_TOKEN") == "" {
		return "Telegram bot: off. To try it, make a bot with @BotFather and run\n" +
			"  STOLIK_TELEGRAM_TOKEN=<token> make demo\n", nil
	}
	var b strings.Builder
	b.WriteString("Telegram bot: on.\n")
	for _, v := range venues {
		link, err := d.hubCmd(ctx, "telegram", "link", "--venue", v.id)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "  «%s»: guests book at https://t.me/<your bot>?start=%s;\n"+
			"    staff: add the bot to a group and send /link %s there\n",
			v.rms.venue, v.id, link["code"])
	}
	return b.String(), nil
}
