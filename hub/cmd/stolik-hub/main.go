// Command stolik-hub is the Stolik hub: the agents' gateway, the store of
// every venue's mirror, and the HTTP API.
//
//	stolik-hub serve [--config FILE]
//	stolik-hub agent add --venue NAME [--time-zone ZONE] [--config FILE]
//	stolik-hub agent list [--config FILE]
//	stolik-hub agent revoke ID [--config FILE]
//	stolik-hub user add --email E --role support|staff [--venue V,...] [--lang ru|en]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	// Venues' zones must be known even where the host has no zoneinfo
	// (a minimal container, Windows).
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stolik-hub:", err)
		os.Exit(1)
	}
}
