package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/stolik/stolik/shared/wire"
)

// sendCommand carries body as a command of kind the way the hub sends it
// (marshalled, in a command frame) and returns the command the way the
// agent reads it (envelope, then body), failing t on any error.
func sendCommand(t *testing.T, kind wire.CommandKind, body any) wire.Command {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := wire.Encode(wire.TypeCommand, wire.Command{ID: "cmd-1", Kind: kind, Body: raw})
	if err != nil {
		t.Fatal(err)
	}
	env, err := wire.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	var c wire.Command
	if err := wire.DecodeBody(env, &c); err != nil {
		t.Fatal(err)
	}
	if c.Kind != kind {
		t.Errorf("kind %q, want %q", c.Kind, kind)
	}
	return c
}
