package wire_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stolik/stolik/shared/wire"
)

// TestWebhookRequestRoundTrip sends a webhook.set the way the hub does (a
// command frame) and reads it the way the agent does.
func TestWebhookRequestRoundTrip(t *testing.T) {
	want := wire.WebhookRequest{URL: "https://hub.example.ru/hooks/iiko/ven_1",
		AuthToken: strings.Repeat("ab", 32)}
	c := sendCommand(t, wire.CommandSetWebhook, want)
	got, err := wire.DecodeWebhookRequest(c.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("after a round trip %+v, want %+v", got, want)
	}
}

func TestWebhookRequestBounds(t *testing.T) {
	const tok = "0123abcd"
	for name, r := range map[string]wire.WebhookRequest{
		"no url":       {AuthToken: tok},
		"http":         {URL: "http://hub.example.ru/hooks/iiko/v", AuthToken: tok},
		"relative":     {URL: "/hooks/iiko/v", AuthToken: tok},
		"no host":      {URL: "https:///hooks/iiko/v", AuthToken: tok},
		"user":         {URL: "https://u:p@hub.example.ru/h", AuthToken: tok},
		"long url":     {URL: "https://h.ru/" + strings.Repeat("x", wire.MaxWebhookURLLen), AuthToken: tok},
		"no token":     {URL: "https://h.ru/h"},
		"space":        {URL: "https://h.ru/h", AuthToken: "a b"},
		"control char": {URL: "https://h.ru/h", AuthToken: "ab\n"},
		"long token": {URL: "https://h.ru/h",
			AuthToken: strings.Repeat("t", wire.MaxWebhookTokenLen+1)},
	} {
		if err := r.Validate(); err == nil {
			t.Errorf("%s: valid, want an error", name)
		}
		body, _ := json.Marshal(r)
		if _, err := wire.DecodeWebhookRequest(body); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("%s: decode gave %v, want ErrMalformed", name, err)
		}
	}
	for _, body := range []string{"", `{"url":1}`, `[]`} {
		if _, err := wire.DecodeWebhookRequest(json.RawMessage(body)); !errors.Is(err,
			wire.ErrMalformed) {
			t.Errorf("body %q: %v, want ErrMalformed", body, err)
		}
	}
	limit := wire.WebhookRequest{URL: "https://h.ru/" + strings.Repeat("x",
		wire.MaxWebhookURLLen-len("https://h.ru/")),
		AuthToken: strings.Repeat("t", wire.MaxWebhookTokenLen)}
	if err := limit.Validate(); err != nil {
		t.Errorf("a request at the limits: %v", err)
	}
}
