package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/config"
)

// TestProblemsNameLineAndFix: every problem in a file comes back at once,
// in file order, each with its line and what to write instead.
func TestProblemsNameLineAndFix(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []config.Problem
	}{{
		name: "unknown keys with suggestions",
		body: minimal + "pol_interval: 5s\nlog: {levl: info}\nfoo: 1\n",
		want: []config.Problem{
			{Line: 6, Field: "pol_interval", Message: "unknown key; did you mean poll_interval?"},
			{Line: 7, Field: "log.levl", Message: "unknown key; did you mean level?"},
			{Line: 8, Field: "foo", Message: "unknown key; the keys here are version, hub, " +
				"data_dir, poll_interval, log, connector, outbox, uplink"},
		},
	}, {
		name: "wrong types",
		body: minimal + "poll_interval: 5 seconds\noutbox: {max_pending: lots}\n",
		want: []config.Problem{
			{Line: 6, Message: "cannot unmarshal !!str `5 seconds` into time.Duration; " +
				"write a duration such as 500ms, 5s or 1m"},
			{Line: 7, Message: "cannot unmarshal !!str `lots` into int; write a whole number"},
		},
	}, {
		name: "bad values point at their lines, missing ones at their parent",
		body: "version: 1\nhub:\n  urls:\n    - wss://ok.example\n    - ftp://x\n" +
			"log:\n  level: loud\n",
		want: []config.Problem{
			{Line: 2, Field: "hub.agent_id", Message: "is empty; enroll the agent: " +
				"stolik-agent enroll --hub URL --code CODE (or set STOLIK_AGENT_ID)"},
			{Line: 2, Field: "hub.secret", Message: "is empty; enroll the agent: " +
				"stolik-agent enroll --hub URL --code CODE (or set STOLIK_AGENT_SECRET)"},
			{Line: 5, Field: "hub.urls[1]",
				Message: `scheme "ftp": use wss:// (or ws:// on a LAN)`},
			{Line: 7, Field: "log.level", Message: `"loud": use debug, info, warn or error`},
		},
	}, {
		name: "syntax",
		body: "version: 1\nhub:\n\turls: []\n",
		want: []config.Problem{{Line: 3, Message: "found character that cannot start any " +
			"token; check the indentation (spaces, not tabs) and the quotes on this line"}},
	}, {
		name: "a problem and an unknown key together",
		body: minimal + "poll_interval: 1ms\nconector: {kind: sim}\n",
		want: []config.Problem{
			{Line: 6, Field: "poll_interval", Message: "1ms is too short; use at least 100ms " +
				"(5s is usual)"},
			{Line: 7, Field: "conector", Message: "unknown key; did you mean connector?"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, tt.body)
			_, err := config.Load(path)
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want a *config.Error", err)
			}
			if ce.Path != path {
				t.Errorf("Path = %q, want %q", ce.Path, path)
			}
			if diff := cmp.Diff(ce.Problems, tt.want); diff != "" {
				t.Errorf("problems (-got +want):\n%s", diff)
			}
		})
	}
}

func TestErrorListsEveryProblem(t *testing.T) {
	_, err := config.Load(write(t, "version: 1\nfoo: 1\nbar: 2\n"))
	if err == nil {
		t.Fatal("bad config accepted")
	}
	msg := err.Error()
	for _, want := range []string{"problems:", "\n  line 2: foo: unknown key",
		"\n  line 3: bar: unknown key", "\n  hub.urls: is empty"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
}

func TestLogDefaultsAndBounds(t *testing.T) {
	c, err := config.Load(write(t, minimal))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Log, config.Log{Level: "info", MaxSizeMB: 10, MaxFiles: 5}); diff != "" {
		t.Errorf("log defaults (-got +want):\n%s", diff)
	}
	_, err = config.Load(write(t, minimal+"log: {max_size_mb: 0, max_files: 1000}\n"))
	if err == nil || !strings.Contains(err.Error(), "log.max_size_mb") ||
		!strings.Contains(err.Error(), "log.max_files") {
		t.Errorf("out-of-range log bounds: err = %v", err)
	}
}
