package wire_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/shared/wire"
)

// TestPollHintsRoundTrip sends hints the way the hub does (a command frame)
// and reads them the way the agent does.
func TestPollHintsRoundTrip(t *testing.T) {
	want := wire.PollHints{
		Reservations: []string{"10687527-56dc-438b-a2ef-d942516b5cca", "бронь 7"},
		Orders:       []string{"o-1"},
	}
	c := sendCommand(t, wire.CommandPoll, want)
	got, err := wire.DecodePollHints(c.Body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("hints after a round trip (-got +want):\n%s", diff)
	}
}

// TestPollWithoutHints: a poll from a hub that sends no body, and hints
// with fields a later version may add, both decode.
func TestPollWithoutHints(t *testing.T) {
	env, err := wire.Decode([]byte(`{"type":"command","body":{"id":"c","kind":"poll"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var c wire.Command
	if err := wire.DecodeBody(env, &c); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"", "null", "{}", `{"tables":["t-1"]}`} {
		h, err := wire.DecodePollHints(json.RawMessage(body))
		if err != nil || !h.Empty() {
			t.Errorf("body %q: %+v, %v; want empty hints", body, h, err)
		}
	}
	if h, err := wire.DecodePollHints(c.Body); err != nil || !h.Empty() {
		t.Errorf("a poll without a body: %+v, %v; want empty hints", h, err)
	}
}

func TestPollHintsBounds(t *testing.T) {
	many := make([]string, wire.MaxPollHints+1)
	for i := range many {
		many[i] = "r"
	}
	for name, h := range map[string]wire.PollHints{
		"too many reservations": {Reservations: many},
		"too many orders":       {Orders: many},
		"long id":               {Reservations: []string{strings.Repeat("x", wire.MaxPollHintLen+1)}},
		"empty id":              {Orders: []string{""}},
		"control character":     {Reservations: []string{"r\n1"}},
		"invalid utf-8":         {Reservations: []string{"r\xff"}},
	} {
		if err := h.Validate(); err == nil {
			t.Errorf("%s: valid, want an error", name)
		}
		if name == "invalid utf-8" {
			continue // JSON cannot carry it: encoding/json writes U+FFFD
		}
		body, _ := json.Marshal(h)
		if _, err := wire.DecodePollHints(body); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("%s: decode gave %v, want ErrMalformed", name, err)
		}
	}
	limit := wire.PollHints{Reservations: many[1:],
		Orders: []string{strings.Repeat("ю", wire.MaxPollHintLen/2)}}
	if err := limit.Validate(); err != nil {
		t.Errorf("hints at the limits: %v", err)
	}
	if _, err := wire.DecodePollHints(json.RawMessage(`{"reservations":"r-1"}`)); err == nil {
		t.Error("a string where a list belongs was accepted")
	}
}

func TestPollHintsCovers(t *testing.T) {
	h := wire.PollHints{Reservations: []string{"a", "b"}, Orders: []string{"o"}}
	for _, c := range []struct {
		o    wire.PollHints
		want bool
	}{
		{wire.PollHints{}, true},
		{wire.PollHints{Reservations: []string{"b"}}, true},
		{wire.PollHints{Reservations: []string{"a"}, Orders: []string{"o"}}, true},
		{wire.PollHints{Reservations: []string{"c"}}, false},
		{wire.PollHints{Orders: []string{"a"}}, false},
	} {
		if got := h.Covers(c.o); got != c.want {
			t.Errorf("%+v covers %+v = %v, want %v", h, c.o, got, c.want)
		}
	}
}
