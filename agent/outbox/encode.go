package outbox

import (
	"strconv"
)

// An event is stored as the JSON object the hub receives (wire.AppendEvent),
// so the uplink sends stored bytes as they are. The caller encodes
// everything after the sequence number (wire.AppendEventTail); the writer,
// which assigns the number, prepends it (appendSeq). Data is written as
// given, after a json.Valid check, instead of being re-compacted as
// encoding/json would: that was the largest cost of an append.

const seqPrefix = `{"seq":`

// appendSeq starts the encoding of an event with sequence seq.
func appendSeq(b []byte, seq uint64) []byte {
	b = append(b, seqPrefix...)
	return strconv.AppendUint(b, seq, 10)
}
