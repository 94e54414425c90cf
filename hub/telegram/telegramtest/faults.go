package telegramtest

import (
	"fmt"
	"strings"
	"time"
)

// fault is an injected failure for the next n calls of a method.
type fault struct {
	method     string // "" for any method
	n          int
	code       int
	desc       string
	retryAfter int
	lose       bool
}

// takeFault uses up one call of the first fault matching method, if any.
// A fault for any method ("") leaves getUpdates alone: the bot's polling
// would use it up before the call the test means.
func (s *Server) takeFault(method string) *fault {
	for i, f := range s.faults {
		if f.method == "" && strings.EqualFold(method, "getUpdates") ||
			f.method != "" && !strings.EqualFold(f.method, method) {
			continue
		}
		f.n--
		if f.n <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		} else {
			s.faults[i].n = f.n
		}
		return &f
	}
	return nil
}

func (s *Server) addFault(f fault) {
	if f.n <= 0 {
		return
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// RateLimit makes the next n calls of method ("" for any but getUpdates)
// fail with 429 Too Many Requests and retry_after seconds, as Telegram's
// flood control does. The failed calls change nothing.
func (s *Server) RateLimit(method string, n, retryAfter int) {
	s.addFault(fault{
		method: method, n: n, code: 429, retryAfter: retryAfter,
		desc: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter),
	})
}

// Fail makes the next n calls of method ("" for any but getUpdates) fail
// with code and description (a Telegram description such as "Forbidden:
// bot was blocked by the user", so that telebot recognises it). They
// change nothing.
func (s *Server) Fail(method string, n, code int, description string) {
	s.addFault(fault{method: method, n: n, code: code, desc: description})
}

// LoseReply makes the next n calls of method take effect but drops the
// connection before the answer: the client sees a network error and cannot
// tell whether its message went out.
func (s *Server) LoseReply(method string, n int) {
	s.addFault(fault{method: method, n: n, lose: true})
}

// Block makes the user of a private chat block the bot: sends and edits
// to the chat fail with 403 until Unblock.
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	s.chatFor(chatID).blocked = true
	s.mu.Unlock()
}

// Unblock undoes Block.
func (s *Server) Unblock(chatID int64) {
	s.mu.Lock()
	s.chatFor(chatID).blocked = false
	s.mu.Unlock()
}

// SetUneditable makes a message too old to edit: edits fail with Telegram's
// "message can't be edited".
func (s *Server) SetUneditable(chatID int64, msgID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.chatFor(chatID).byID[msgID]; ok {
		m.uneditable = true
	}
}

// Limit allows at most N counted calls in any window of length Per.
// A zero Limit allows everything.
type Limit struct {
	N   int
	Per time.Duration
}

// Limits are the flood limits the fake enforces, like Telegram's: calls
// over a limit fail with 429 and the retry_after after which the window
// has room again. Counted calls are sendMessage, editMessageText and
// editMessageReplyMarkup that would succeed; a refused call is not counted.
type Limits struct {
	// Private limits calls to one private chat; Group to one group chat;
	// Global all counted calls together.
	Private, Group, Global Limit
}

// DefaultLimits approximate Telegram's documented limits: about one
// message a second in a private chat (short bursts tolerated, as Telegram
// does: 5 in any 5 s), 20 a minute in a group, 30 a second overall.
var DefaultLimits = Limits{
	Private: Limit{N: 5, Per: 5 * time.Second},
	Group:   Limit{N: 20, Per: time.Minute},
	Global:  Limit{N: 30, Per: time.Second},
}

// StrictLimits are Telegram's limits taken literally: one message a
// second in a private chat, 20 a minute in a group, 30 a second overall.
var StrictLimits = Limits{
	Private: Limit{N: 1, Per: time.Second},
	Group:   Limit{N: 20, Per: time.Minute},
	Global:  Limit{N: 30, Per: time.Second},
}

// NoLimits turns flood control off.
var NoLimits = Limits{}

// SetLimits replaces the flood limits (DefaultLimits at start).
func (s *Server) SetLimits(l Limits) {
	s.mu.Lock()
	s.limits = l
	s.mu.Unlock()
}

// flood checks a counted call to c at time at against the limits and
// records it if allowed; otherwise it returns the 429 to send.
func (s *Server) flood(c *chat, at time.Time) *apiError {
	per := s.limits.Private
	if c.Type != ChatPrivate {
		per = s.limits.Group
	}
	c.sends = prune(c.sends, at, per.Per)
	s.global = prune(s.global, at, s.limits.Global.Per)

	wait := max(over(c.sends, at, per), over(s.global, at, s.limits.Global))
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		return &apiError{
			code: 429, retryAfter: secs,
			desc: fmt.Sprintf("Too Many Requests: retry after %d", secs),
		}
	}
	if per.N > 0 {
		c.sends = append(c.sends, at)
	}
	if s.limits.Global.N > 0 {
		s.global = append(s.global, at)
	}
	return nil
}

// prune drops the times that left the window ending at now.
func prune(times []time.Time, now time.Time, per time.Duration) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(now.Add(-per)) {
		i++
	}
	return times[i:]
}

// over returns how long until the window has room for one more call, or
// 0 if it has room now.
func over(times []time.Time, now time.Time, l Limit) time.Duration {
	if l.N <= 0 || len(times) < l.N {
		return 0
	}
	oldest := times[len(times)-l.N]
	return max(oldest.Add(l.Per).Sub(now), time.Millisecond)
}
