// Command stolik-agent is the Stolik agent: it reads a restaurant's RMS,
// buffers every change durably and streams it to the hub.
//
//	stolik-agent run --config FILE
//	stolik-agent version
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stolik-agent:", err)
		os.Exit(1)
	}
}
