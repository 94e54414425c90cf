package wire

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendBatch appends the frame of a Batch holding events to dst. It writes
// the same JSON as Encode(TypeBatch, Batch{Events: events}) without
// reflection, and copies each event's Data as it is: the caller vouches that
// Data is valid, compact JSON (the agent's outbox stores only such data).
// Sending a backlog is dominated by this encoding, hence the special case.
func AppendBatch(dst []byte, events []Event) []byte {
	dst = append(dst, `{"type":"batch","body":{"events":[`...)
	for i, e := range events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendEvent(dst, e)
	}
	return append(dst, "]}}"...)
}

// RawEvent is an event already encoded by AppendEvent, with its sequence
// number beside it: how the agent's outbox stores and hands out events.
type RawEvent struct {
	Seq  uint64
	JSON []byte
}

// AppendRawBatch appends the frame of a Batch made of encoded events.
func AppendRawBatch(dst []byte, events []RawEvent) []byte {
	dst = append(dst, `{"type":"batch","body":{"events":[`...)
	for i, e := range events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, e.JSON...)
	}
	return append(dst, "]}}"...)
}

// AppendEvent appends the JSON of one event to dst, as json.Marshal would
// write it, with Data copied as it is.
func AppendEvent(dst []byte, e Event) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	return AppendEventTail(dst, e)
}

// AppendEventTail appends what follows the sequence number in an event's
// JSON, from the comma after it to the closing brace, so that a writer can
// encode an event before it knows the number.
func AppendEventTail(dst []byte, e Event) []byte {
	dst = append(dst, `,"entity":`...)
	dst = appendString(dst, string(e.Entity))
	dst = append(dst, `,"id":`...)
	dst = appendString(dst, e.ID)
	dst = append(dst, `,"op":`...)
	dst = appendString(dst, string(e.Op))
	if len(e.Data) > 0 {
		dst = append(dst, `,"data":`...)
		dst = append(dst, e.Data...)
	}
	if !e.At.IsZero() {
		dst = append(dst, `,"at":"`...)
		dst = e.At.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// appendString appends s as a JSON string. Plain ASCII, the usual case for
// ids and kinds, is copied; anything else goes through encoding/json so the
// escaping is exactly the standard one.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
