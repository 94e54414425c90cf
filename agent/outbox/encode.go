package outbox

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// An event is stored as the JSON object the hub receives, with the fields
// of wire.Event. The caller encodes everything after the sequence number
// (appendTail); the writer, which assigns the number, prepends it
// (appendSeq). This encoder writes the raw data as given (it was checked
// with json.Valid) instead of re-compacting it as encoding/json would,
// which was the largest cost of an append.

const seqPrefix = `{"seq":`

// appendSeq starts the encoding of an event with sequence seq.
func appendSeq(b []byte, seq uint64) []byte {
	b = append(b, seqPrefix...)
	return strconv.AppendUint(b, seq, 10)
}

// appendTail appends the rest of e's encoding, from the comma after the
// sequence number to the closing brace. e.At must be set.
func appendTail(b []byte, e wire.Event) []byte {
	b = append(b, `,"entity":`...)
	b = appendString(b, string(e.Entity))
	b = append(b, `,"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"op":`...)
	b = appendString(b, string(e.Op))
	if len(e.Data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, e.Data...)
	}
	b = append(b, `,"at":"`...)
	b = e.At.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

// appendString appends s as a JSON string. Plain ASCII is copied; anything
// else goes through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
