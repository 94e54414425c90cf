package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	ksvc "github.com/kardianos/service"
	"go.yaml.in/yaml/v3"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
)

func enroll(ctx context.Context, args []string, stdout io.Writer) error {
	fs, path := flags("enroll")
	err := enrollWith(ctx, fs, path, args, stdout)
	if err != nil {
		report(*path, err)
	}
	return err
}

func enrollWith(ctx context.Context, fs *flag.FlagSet, path *string, args []string,
	stdout io.Writer) error {
	hub := fs.String("hub", "", "the hub's address, such as https://hub.example.ru")
	code := fs.String("code", "", "the one-time enrollment code from Stolik support")
	force := fs.Bool("force", false, "replace the credential of an enrolled agent")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *hub == "" || *code == "" {
		return errors.New("enroll: needs --hub URL and --code CODE, " +
			"e.g. stolik-agent enroll --hub https://hub.example.ru --code K7QX-2M4P")
	}
	if id := enrolledAs(*path); id != "" && !*force {
		return fmt.Errorf("enroll: %s already holds the credential of agent %s; to "+
			"replace it (say, the server moved to another venue) add --force", *path, id)
	}

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	e, err := service.Enroll(ctx, &http.Client{Timeout: 30 * time.Second}, *hub, *code)
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	if err := config.WriteCredential(*path, e.Hub); err != nil {
		return fmt.Errorf("enroll: %w%s", err, privilegeHint(err))
	}
	fmt.Fprintf(stdout, "enrolled as agent %s of venue %s; credential written to %s\n",
		e.Hub.AgentID, e.VenueID, *path)

	// A running service reads its config at start: restart it to use the
	// new credential.
	if s, err := service.NewSystemService(*path); err == nil && isRunning(s) {
		if err := s.Restart(); err != nil {
			fmt.Fprintf(stdout, "restart the service to use it: stolik-agent restart (%v)\n", err)
		} else {
			fmt.Fprintln(stdout, "restarted the service with the new credential")
		}
	}
	return nil
}

// enrolledAs returns the agent id in the config at path, if there is one.
func enrolledAs(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var c struct {
		Hub struct {
			AgentID string `yaml:"agent_id"`
		} `yaml:"hub"`
	}
	_ = yaml.Unmarshal(b, &c)
	return c.Hub.AgentID
}

func isRunning(s ksvc.Service) bool {
	st, err := s.Status()
	return err == nil && st == ksvc.StatusRunning
}
