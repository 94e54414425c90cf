package wire_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

func batchEvents(n int) []wire.Event {
	evs := make([]wire.Event, n)
	for i := range evs {
		evs[i] = wire.Event{
			Seq: uint64(i + 1), Entity: wire.EntityReservation, ID: fmt.Sprintf("r-%06d", i),
			Op: wire.OpUpsert, At: time.Date(2026, 3, 1, 18, 0, 0, 123456789, time.UTC),
			Data: json.RawMessage(`{"id":"r","guests":4,"name":"Анна \"А\"",` +
				`"comment":"` + strings.Repeat("x", 200) + `"}`),
		}
	}
	return evs
}

// TestAppendBatchMatchesEncode pins the hand-written encoder to the
// standard one, byte for byte, including awkward ids.
func TestAppendBatchMatchesEncode(t *testing.T) {
	evs := batchEvents(3)
	evs[1] = wire.Event{Seq: 9, Entity: "table", ID: `t "5" <&> ю\n`, Op: wire.OpDelete}
	evs[2].At = time.Time{}
	evs[2].At = time.Date(2026, 3, 1, 18, 0, 0, 0, time.FixedZone("MSK", 3*3600))
	want, err := wire.Encode(wire.TypeBatch, wire.Batch{Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	if got := wire.AppendBatch(nil, evs); string(got) != string(want) {
		t.Errorf("AppendBatch:\n got %s\nwant %s", got, want)
	}
	// Data is copied as it is, where encoding/json would escape HTML
	// characters: the same JSON value, different bytes.
	evs[0].Data = json.RawMessage(`{"name":"<b>"}`)
	var got, want2 wire.Batch
	env, err := wire.Decode(wire.AppendBatch(nil, evs))
	if err != nil || wire.DecodeBody(env, &got) != nil {
		t.Fatalf("AppendBatch output does not decode: %v", err)
	}
	b, _ := wire.Encode(wire.TypeBatch, wire.Batch{Events: evs})
	env, _ = wire.Decode(b)
	_ = wire.DecodeBody(env, &want2)
	if g, w := string(got.Events[0].Data), `{"name":"<b>"}`; g != w {
		t.Errorf("data %s, want %s", g, w)
	}
	if len(got.Events) != len(want2.Events) || got.Events[1].ID != want2.Events[1].ID {
		t.Errorf("decoded batches differ: %+v vs %+v", got, want2)
	}
	if got, want := wire.AppendBatch(nil, nil), `{"type":"batch","body":{"events":[]}}`; string(got) != want {
		t.Errorf("empty batch %s, want %s", got, want)
	}
}

func BenchmarkEncodeBatch(b *testing.B) {
	evs := batchEvents(1000)
	b.Run("encoding-json", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := wire.Encode(wire.TypeBatch, wire.Batch{Events: evs}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf = wire.AppendBatch(buf[:0], evs)
		}
	})
}

func TestAppendRawBatch(t *testing.T) {
	evs := batchEvents(4)
	raw := make([]wire.RawEvent, len(evs))
	for i, e := range evs {
		raw[i] = wire.RawEvent{Seq: e.Seq, JSON: wire.AppendEvent(nil, e)}
	}
	if got, want := wire.AppendRawBatch(nil, raw), wire.AppendBatch(nil, evs); string(got) != string(want) {
		t.Errorf("raw batch:\n got %s\nwant %s", got, want)
	}
}
