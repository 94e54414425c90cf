package iiko

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// num is an integer as iiko sends it. The published schema is loose about
// types, so a number may also come as a string, with a fraction, or null
// (which reads as 0).
type num int64

func (n *num) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*n = 0
			return nil
		}
		b = []byte(s)
	}
	if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*n = num(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<62 {
		return fmt.Errorf("%q is not a number", b)
	}
	*n = num(math.Round(f))
	return nil
}
