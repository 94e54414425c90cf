package wire_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stolik/stolik/shared/wire"
)

// FuzzFrame decodes arbitrary frames as both sides do: the envelope, then
// the body for its type, then the command bodies the agent reads. Whatever
// the bytes, decoding never panics, and every failure wraps ErrMalformed
// (so the hub answers a protocol error and the agent a bad request)
// rather than being some other error a caller would not expect.
func FuzzFrame(f *testing.F) {
	dir := filepath.Join("testdata", "golden", "v1")
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"batch","body":{"events":[{"seq":"x"}]}}`))
	f.Add([]byte(`{"type":"command","body":{"kind":"poll","body":[1,2]}}`))
	f.Add([]byte(`{"type":""}`))

	bodies := map[wire.Type]func() any{
		wire.TypeHello: func() any { return &wire.Hello{} }, wire.TypeWelcome: func() any { return &wire.Welcome{} },
		wire.TypeBatch: func() any { return &wire.Batch{} }, wire.TypeAck: func() any { return &wire.Ack{} },
		wire.TypeStatus: func() any { return &wire.Status{} }, wire.TypeCommand: func() any { return &wire.Command{} },
		wire.TypeResult: func() any { return &wire.Result{} }, wire.TypeResultAck: func() any { return &wire.ResultAck{} },
		wire.TypeError: func() any { return &wire.Error{} },
	}
	malformed := func(t *testing.T, what string, err error) {
		if err != nil && !errors.Is(err, wire.ErrMalformed) {
			t.Fatalf("%s: %v does not wrap ErrMalformed", what, err)
		}
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, err := wire.Decode(frame)
		malformed(t, "envelope", err)
		if err != nil {
			return
		}
		mk, ok := bodies[env.Type]
		if !ok {
			return // a type this side does not handle: the caller refuses it
		}
		v := mk()
		err = wire.DecodeBody(env, v)
		malformed(t, "body", err)
		c, ok := v.(*wire.Command)
		if err != nil || !ok {
			return
		}
		switch c.Kind {
		case wire.CommandPoll:
			_, err = wire.DecodePollHints(c.Body)
		case wire.CommandUpdateReservation:
			_, err = wire.DecodeUpdateRequest(c.Body)
		case wire.CommandSetWebhook:
			_, err = wire.DecodeWebhookRequest(c.Body)
		default:
			var raw json.RawMessage
			err = json.Unmarshal(c.Body, &raw)
			if len(c.Body) == 0 {
				err = nil
			}
			if err != nil {
				err = errors.Join(wire.ErrMalformed, err)
			}
		}
		malformed(t, string(c.Kind)+" body", err)
	})
}
