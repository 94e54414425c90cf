// Command stolik-agent is the Stolik agent: it reads a restaurant's RMS,
// buffers every change durably and streams it to the hub. It runs in the
// foreground or as a Windows service or systemd unit.
//
//	stolik-agent enroll --hub URL --code CODE   write the credential into the config
//	stolik-agent run                            run in the foreground
//	stolik-agent install | uninstall            register the service, or remove it
//	stolik-agent start | stop | restart         control the installed service
//	stolik-agent status | check                 the service's state; config and hub checks
//	stolik-agent version
//
// Every command takes --config FILE; the default is the platform's place
// (%ProgramData%\Stolik\agent.yaml on Windows, /etc/stolik/agent.yaml on
// Linux).
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
