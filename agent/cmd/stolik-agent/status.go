package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	ksvc "github.com/kardianos/service"

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

// check reads the config, looks at the data directory and asks each hub
// whether it is up, printing a line for each; it fails if any check does.
func check(ctx context.Context, args []string, stdout io.Writer) error {
	fs, path := flags("check")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := config.Load(*path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok   config %s (agent %s)\n", *path, c.Hub.AgentID)

	failed := 0
	if fi, err := os.Stat(c.DataDir); err == nil && fi.IsDir() {
		fmt.Fprintf(stdout, "ok   data directory %s\n", c.DataDir)
	} else if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stdout, "ok   data directory %s (created at the first start)\n", c.DataDir)
	} else {
		failed++
		fmt.Fprintf(stdout, "FAIL data directory %s: %v\n", c.DataDir, err)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	for _, u := range c.Hub.URLs {
		if err := pingHub(ctx, client, u); err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL hub %s: %v\n", u, err)
			continue
		}
		fmt.Fprintf(stdout, "ok   hub %s answers\n", u)
	}
	if failed > 0 {
		return fmt.Errorf("check: %d of the checks failed", failed)
	}
	return nil
}

func pingHub(ctx context.Context, client *http.Client, hubURL string) error {
	base, err := service.HubBase(hubURL)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w; check the address and that this server may connect out "+
			"to it (port 443 for https)", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /healthz answered %s; is it a Stolik hub?", resp.Status)
	}
	return nil
}
