package wire_test

import (
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/shared/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files of the current version")

var at = time.Date(2025, 6, 14, 16, 0, 0, 0, time.UTC)

// samples are one message of every type, as this version encodes them.
// Their golden files under testdata/golden/v<Version> are frozen once
// released: later versions must still decode them to the same values.
var samples = map[string]struct {
	typ  wire.Type
	body any
	new  func() any
}{
	"hello": {wire.TypeHello, wire.Hello{
		Protocol: 1, AgentID: "agt_1", Version: "0.1.0", OS: "windows",
		Connector: "iiko", Capabilities: []string{"reservations.write"},
		LastSeq: 42, LastCommand: "cmd_9",
	}, func() any { return new(wire.Hello) }},
	"welcome": {wire.TypeWelcome, wire.Welcome{
		Protocol: 1, AppliedSeq: 40, VenueID: "ven_1", ServerTime: at,
		Settings: wire.Settings{
			PollInterval: wire.Duration(5 * time.Second), MaxBatch: 500, Window: 4,
		},
	}, func() any { return new(wire.Welcome) }},
	"batch": {wire.TypeBatch, wire.Batch{Events: []wire.Event{
		{Seq: 41, Entity: wire.EntityTable, ID: "t-5", Op: wire.OpUpsert, At: at,
			Data: json.RawMessage(`{"id":"t-5","hall_id":"h-1","number":"5","seats":4}`)},
		{Seq: 43, Entity: wire.EntityOrder, ID: "o-1", Op: wire.OpDelete, At: at},
	}}, func() any { return new(wire.Batch) }},
	"ack": {wire.TypeAck, wire.Ack{Seq: 43}, func() any { return new(wire.Ack) }},
	"status": {wire.TypeStatus, wire.Status{
		Backlog:   2,
		Connector: wire.ConnectorHealth{OK: false, Error: "iiko: 401", LastSuccess: at},
		Counters:  wire.Counters{Stored: 10, Sent: 9, Acked: 8, Compacted: 1},
	}, func() any { return new(wire.Status) }},
	"command": {wire.TypeCommand, wire.Command{
		ID: "cmd_1", Kind: wire.CommandCreateReservation, Expires: at.Add(time.Minute),
		Body: json.RawMessage(`{"booking_id":"bk_1","table_ids":["t-5"],` +
			`"start":"2025-06-14T16:00:00Z","duration":"2h0m0s","guests":4,"name":"Анна"}`),
	}, func() any { return new(wire.Command) }},
	"command_poll": {wire.TypeCommand, wire.Command{
		ID: "cmd_2", Kind: wire.CommandPoll, Expires: at.Add(time.Minute),
		Body: json.RawMessage(`{"reservations":["10687527-56dc-438b-a2ef-d942516b5cca"]}`),
	}, func() any { return new(wire.Command) }},
	"command_update": {wire.TypeCommand, wire.Command{
		ID: "cmd_3", Kind: wire.CommandUpdateReservation, Expires: at.Add(time.Minute),
		Body: json.RawMessage(`{"booking_id":"bk_1","reservation_id":"r-1",` +
			`"start":"2025-06-14T17:00:00Z","table_ids":["t-6","t-7"]}`),
	}, func() any { return new(wire.Command) }},
	"command_webhook": {wire.TypeCommand, wire.Command{
		ID: "cmd_4", Kind: wire.CommandSetWebhook, Expires: at.Add(time.Hour),
		Body: json.RawMessage(`{"url":"https://hub.example.ru/hooks/iiko/ven_1",` +
			`"auth_token":"5f0c2a9e"}`),
	}, func() any { return new(wire.Command) }},
	"webhook_request": {"", wire.WebhookRequest{
		URL: "https://hub.example.ru/hooks/iiko/ven_1", AuthToken: "5f0c2a9e",
	}, func() any { return new(wire.WebhookRequest) }},
	"update_request": {"", wire.UpdateRequest{
		BookingID: "bk_1", ReservationID: "r-1", Start: at.Add(time.Hour),
		Duration: wire.Duration(90 * time.Minute), TableIDs: []string{"t-6", "t-7"},
	}, func() any { return new(wire.UpdateRequest) }},
	"result": {wire.TypeResult, wire.Result{
		CommandID: "cmd_1", OK: false, Code: wire.CodeRefused, Message: "table 5 is taken",
	}, func() any { return new(wire.Result) }},
	"result_ack": {wire.TypeResultAck, wire.ResultAck{CommandID: "cmd_1"},
		func() any { return new(wire.ResultAck) }},
	"error": {wire.TypeError, wire.Error{Code: wire.ErrCodeVersion, Message: "speak 1"},
		func() any { return new(wire.Error) }},
	"reservation": {"", wire.Reservation{
		ID: "r-1", TableIDs: []string{"t-5"}, Start: at, Duration: wire.Duration(2 * time.Hour),
		Guests: 4, Name: "Анна", Phone: "+79990000000", Status: wire.ReservationNew,
		BookingID: "bk_1",
	}, func() any { return new(wire.Reservation) }},
}

func TestGoldenCurrent(t *testing.T) {
	dir := filepath.Join("testdata", "golden", "v1")
	for name, s := range samples {
		t.Run(name, func(t *testing.T) {
			var got []byte
			var err error
			if s.typ == "" {
				got, err = json.Marshal(s.body)
			} else {
				got, err = wire.Encode(s.typ, s.body)
			}
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name+".json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update once for a new message): %v", err)
			}
			if diff := cmp.Diff(strings.TrimSpace(string(want)), string(got)); diff != "" {
				t.Errorf("encoding changed (-golden +now):\n%s", diff)
			}
		})
	}
}

// TestGoldenDecodeEveryVersion decodes the golden files of every version
// in testdata and compares them with today's samples.
func TestGoldenDecodeEveryVersion(t *testing.T) {
	versions, err := filepath.Glob(filepath.Join("testdata", "golden", "v*"))
	if err != nil || len(versions) == 0 {
		t.Fatalf("no golden versions: %v", err)
	}
	for _, dir := range versions {
		for name, s := range samples {
			path := filepath.Join(dir, name+".json")
			frame, err := os.ReadFile(path)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			got := s.new()
			if s.typ == "" {
				err = json.Unmarshal(frame, got)
			} else {
				var env wire.Envelope
				env, err = wire.Decode(frame)
				if err == nil && env.Type != s.typ {
					t.Errorf("%s: type %q, want %q", path, env.Type, s.typ)
				}
				if err == nil {
					err = wire.DecodeBody(env, got)
				}
			}
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			want := s.new()
			b, _ := json.Marshal(s.body)
			if err := json.Unmarshal(b, want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s decodes differently (-want +got):\n%s", path, diff)
			}
		}
	}
}

func TestDecodeIgnoresUnknownFields(t *testing.T) {
	frame := []byte(`{"type":"ack","body":{"seq":7,"future":"x"},"trace":"abc"}`)
	env, err := wire.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	var a wire.Ack
	if err := wire.DecodeBody(env, &a); err != nil {
		t.Fatal(err)
	}
	if a.Seq != 7 {
		t.Errorf("seq = %d, want 7", a.Seq)
	}
}

func TestDecodeMalformed(t *testing.T) {
	for name, frame := range map[string]string{
		"not json":   `{"type":`,
		"no type":    `{"body":{}}`,
		"array":      `[1,2]`,
		"empty":      ``,
		"wrong body": `{"type":"ack","body":{"seq":"x"}}`,
		"no body":    `{"type":"ack"}`,
	} {
		t.Run(name, func(t *testing.T) {
			env, err := wire.Decode([]byte(frame))
			if err == nil {
				var a wire.Ack
				err = wire.DecodeBody(env, &a)
			}
			if !errors.Is(err, wire.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	var d wire.Duration
	for in, want := range map[string]time.Duration{
		`"90m"`: 90 * time.Minute, `"5s"`: 5 * time.Second, `1000`: 1000,
	} {
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if time.Duration(d) != want {
			t.Errorf("%s = %v, want %v", in, time.Duration(d), want)
		}
	}
	if err := json.Unmarshal([]byte(`"soon"`), &d); err == nil {
		t.Error("bad duration accepted")
	}
}

func TestCredential(t *testing.T) {
	h := http.Header{}
	wire.SetCredential(h, "agt_1", "s3cret")
	id, secret, err := wire.Credential(h)
	if err != nil || id != "agt_1" || secret != "s3cret" {
		t.Fatalf("got %q %q %v", id, secret, err)
	}
	for _, v := range []string{"", "Bearer x", "Stolik-Agent nocolon", "Stolik-Agent :x"} {
		h := http.Header{}
		if v != "" {
			h.Set("Authorization", v)
		}
		if _, _, err := wire.Credential(h); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
