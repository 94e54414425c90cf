package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage:
  stolik-agent run --config FILE
  stolik-agent version`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "run":
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		path := fs.String("config", "agent.yaml", "config file (YAML)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		c, err := config.Load(*path)
		if err != nil {
			return err
		}
		var level slog.Level
		_ = level.UnmarshalText([]byte(c.Log.Level))
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
		return service.Run(ctx, c, version, log)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}
