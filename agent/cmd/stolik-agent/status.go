package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	ksvc "github.com/kardianos/service"

	"github.com/stolik/stolik/agent"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
)

// status prints the service's state and the config's problems; it fails
// unless the service runs with a valid config.
func status(args []string, stdout io.Writer) error {
	fs, path := flags("status")
	if err := parse(fs, args); err != nil {
		return err
	}
	var problems []error
	s, err := service.NewSystemService(*path)
	if err != nil {
		return err
	}
	st, err := s.Status()
	switch {
	case errors.Is(err, ksvc.ErrNotInstalled):
		fmt.Fprintf(stdout, "service %s: not installed\n", service.Name)
		problems = append(problems, errors.New("install it: stolik-agent install "+
			"(or install the package)"))
	case err != nil:
		fmt.Fprintf(stdout, "service %s: unknown (%s: %v)\n", service.Name, s.Platform(), err)
		problems = append(problems, fmt.Errorf("the service manager (%s) cannot tell "+
			"the service's state; is it installed? (stolik-agent install)", s.Platform()))
	case st == ksvc.StatusRunning:
		fmt.Fprintf(stdout, "service %s: running\n", service.Name)
	default:
		fmt.Fprintf(stdout, "service %s: stopped\n", service.Name)
		problems = append(problems, errors.New("start it: stolik-agent start"))
	}

	if c, err := config.Load(*path); err != nil {
		fmt.Fprintf(stdout, "config: %v\n", err)
		problems = append(problems, errors.New("fix the config, then stolik-agent restart"))
	} else {
		fmt.Fprintf(stdout, "config %s: agent %s, hub %v, data %s\n",
			*path, c.Hub.AgentID, c.Hub.URLs, c.DataDir)
		fmt.Fprintf(stdout, "log: %s\n", filepath.Join(c.DataDir, service.LogFile))
	}
	return errors.Join(problems...)
}

// check reads the config and runs service.Check: the data directory,
// each hub, and the RMS through the connector. It prints a report in
// Russian and English (or one of them, --lang) with the next step for each
// problem, and fails unless every check passed.
func check(ctx context.Context, args []string, stdout io.Writer) error {
	fs, path := flags("check")
	lang := fs.String("lang", "", "report language: ru, en (default: both)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch *lang {
	case service.LangBoth, service.LangEN, service.LangRU:
	default:
		return fmt.Errorf("check: --lang %q: use ru or en, or leave it out for both", *lang)
	}

	c, err := config.Load(*path)
	if err != nil {
		r := service.Report{Items: []service.CheckItem{service.ConfigFailed(*path, err)}}
		// An empty cert_sha256: show the fingerprint the server presents.
		if it, ok := service.PinProbe(ctx, c, err); ok {
			r.Items = append(r.Items, it)
		}
		r.Write(stdout, *lang)
		return errors.New("check: the config has problems")
	}

	r := service.Check(ctx, c)
	r.Items = append([]service.CheckItem{{
		Name: agent.Text{EN: "config " + *path, RU: "конфигурация " + *path}, OK: true,
		Detail: agent.Text{
			EN: fmt.Sprintf("agent %s, connector %s", c.Hub.AgentID, c.Connector.Kind),
			RU: fmt.Sprintf("агент %s, коннектор %s", c.Hub.AgentID, c.Connector.Kind)},
	}}, r.Items...)
	r.Write(stdout, *lang)
	if !r.OK() {
		return fmt.Errorf("check: %d of the checks failed", r.Failed())
	}
	return nil
}
