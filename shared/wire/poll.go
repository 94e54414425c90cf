package wire

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Bounds of PollHints, so that a forged webhook cannot make a poll command
// large or make the agent ask its RMS for thousands of things.
const (
	// MaxPollHints is the most ids in each list of a PollHints.
	MaxPollHints = 100
	// MaxPollHintLen is the longest id in a PollHints, in bytes.
	MaxPollHintLen = 100
)

// PollHints is the optional body of a CommandPoll: what an RMS webhook said
// changed, in the RMS's own ids. A connector that can read single things
// reads these fresh on that poll instead of trusting what it cached; the
// others ignore them and the poll works as without a body. Hints only say
// where to look: the agent still reads everything from the RMS itself.
type PollHints struct {
	// Reservations are RMS reservation ids (iiko reserve ids).
	Reservations []string `json:"reservations,omitempty"`
	// Orders are RMS order ids (iiko table order ids).
	Orders []string `json:"orders,omitempty"`
}

// Empty reports whether h names nothing.
func (h PollHints) Empty() bool { return len(h.Reservations) == 0 && len(h.Orders) == 0 }

// Validate checks h against MaxPollHints and MaxPollHintLen and that every
// id is printable UTF-8 text.
func (h PollHints) Validate() error {
	for _, l := range []struct {
		name string
		ids  []string
	}{{"reservations", h.Reservations}, {"orders", h.Orders}} {
		if len(l.ids) > MaxPollHints {
			return fmt.Errorf("poll hints: %d %s, at most %d", len(l.ids), l.name, MaxPollHints)
		}
		for _, id := range l.ids {
			if !ValidHintID(id) {
				return fmt.Errorf("poll hints: %s id %.40q is empty, longer than %d bytes "+
					"or not printable text", l.name, id, MaxPollHintLen)
			}
		}
	}
	return nil
}

// ValidHintID reports whether id may stand in a PollHints.
func ValidHintID(id string) bool {
	if id == "" || len(id) > MaxPollHintLen || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// Covers reports whether every id in o is in h too.
func (h PollHints) Covers(o PollHints) bool {
	return subset(o.Reservations, h.Reservations) && subset(o.Orders, h.Orders)
}

func subset(small, big []string) bool {
	for _, id := range small {
		if !slices.Contains(big, id) {
			return false
		}
	}
	return true
}

// DecodePollHints reads the body of a CommandPoll. An empty body (a poll
// from a hub that sends no hints) gives empty hints; fields it does not know
// are ignored; hints out of bounds are an error wrapping ErrMalformed.
func DecodePollHints(body json.RawMessage) (PollHints, error) {
	var h PollHints
	if len(body) == 0 || string(body) == "null" {
		return h, nil
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return PollHints{}, fmt.Errorf("%w: poll body: %v", ErrMalformed, err)
	}
	if err := h.Validate(); err != nil {
		return PollHints{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return h, nil
}
