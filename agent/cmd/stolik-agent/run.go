package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: stolik-agent COMMAND [--config FILE]

  enroll --hub URL --code CODE [--force]
                 exchange a one-time enrollment code for this agent's
                 credential and write it into the config file
  run            run in the foreground (Ctrl-C stops)
  install        register the agent as a service (as root / Administrator)
  uninstall      remove the service; the config and data stay
  start, stop, restart
                 control the installed service
  status         the service's state and the config's problems
  check          check the config, the data directory and the hub
  version        print the version

--config defaults to ` + "%s"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf(usage, config.DefaultPath())
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "run":
		return runAgent(ctx, args, stderr)
	case "enroll":
		return enroll(ctx, args, stdout)
	case "install", "uninstall", "start", "stop", "restart":
		return control(cmd, args, stdout)
	case "status":
		return status(args, stdout)
	case "check":
		return check(ctx, args, stdout)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintf(stdout, usage+"\n", config.DefaultPath())
		return nil
	}
	return fmt.Errorf("unknown command %q\n"+usage, cmd, config.DefaultPath())
}

// flags returns a flag set with --config.
func flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", config.DefaultPath(), "config file (YAML)")
	return fs, path
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected %q", fs.Name(), strings.Join(fs.Args(), " "))
	}
	return nil
}

func runAgent(ctx context.Context, args []string, stderr io.Writer) error {
	fs, path := flags("run")
	managed := fs.Bool("service", false, "started by the service manager")
	if err := parse(fs, args); err != nil {
		return err
	}
	p := &service.Program{
		ConfigPath: *path, Version: version,
		Managed: *managed || service.StartedByManager(),
	}
	if !p.Managed {
		// Under a service manager the log goes to agent.log, and start, stop
		// and failures to the system log; stderr would repeat it all there.
		p.Stderr = stderr
	}
	return service.Serve(ctx, p)
}

func control(cmd string, args []string, stdout io.Writer) error {
	fs, path := flags(cmd)
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := service.NewSystemService(*path)
	if err != nil {
		return err
	}
	switch cmd {
	case "install":
		if err = service.CheckInstall(*path); err == nil {
			err = s.Install()
		}
	case "uninstall":
		if err = s.Stop(); err == nil || !isRunning(s) {
			err = s.Uninstall()
		}
	case "start":
		err = s.Start()
	case "stop":
		err = s.Stop()
	case "restart":
		err = s.Restart()
	}
	if err != nil {
		return fmt.Errorf("%s: %w%s", cmd, err, privilegeHint(err))
	}
	done := map[string]string{
		"install":   "installed the service " + service.Name + "; start it: stolik-agent start",
		"uninstall": "removed the service " + service.Name + "; the config and data stay",
		"start":     "started " + service.Name,
		"stop":      "stopped " + service.Name,
		"restart":   "restarted " + service.Name,
	}
	fmt.Fprintln(stdout, done[cmd])
	return nil
}

// privilegeHint says what to do when the service manager refused for want
// of rights.
func privilegeHint(err error) string {
	if errors.Is(err, os.ErrPermission) || strings.Contains(strings.ToLower(err.Error()),
		"access is denied") {
		return "; run it as root (sudo) or from an Administrator command prompt"
	}
	return ""
}
