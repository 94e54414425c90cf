package telegram

import (
	"errors"
	"fmt"
	"strings"
)

// Callback data is "verb:arg:arg", at most 64 bytes (Telegram's limit).
// It carries ids only: the token of the flow a button belongs to, a
// booking id, a chosen value. The state they refer to is read from the
// store when the button is pressed, and checked there: a token that is not
// the chat's current flow is stale, a booking that is not the guest's (or
// a staff button outside the venue's staff chat) is refused.
const maxCallbackData = 64

// Verbs of callback data.
const (
	cbVenue     = "v"  // v:token:venue id
	cbVenues    = "vp" // vp:token:page of the venue chooser
	cbParty     = "p"  // p:token:n, or p:token:+ for a larger party
	cbDate      = "d"  // d:token:20261204
	cbPage      = "dp" // dp:token:page of the calendar
	cbTime      = "t"  // t:token:unix seconds of the start
	cbDates     = "db" // db:token: back to the calendar
	cbName      = "n"  // n:token: use the Telegram name
	cbSkip      = "s"  // s:token: no comment
	cbConfirm   = "ok" // ok:token:
	cbAbort     = "x"  // x:token:
	cbAlt       = "a"  // a:booking id:unix seconds, another time for a refused booking
	cbCancel    = "c"  // c:booking id
	cbComing    = "m"  // m:booking id
	cbLate      = "l"  // l:booking id
	cbMy        = "my" // my:
	cbLang      = "lg" // lg:ru
	cbStaffOK   = "sc" // sc:booking id
	cbStaffDecl = "sd" // sd:booking id
	cbTillDone  = "tt" // tt:booking id, staff cancelled its reservation at the till
	cbNoop      = "-"  // a label button
)

// errBadCallback marks data that the bot never made: forged or garbled.
var errBadCallback = errors.New("malformed callback data")

// callback is decoded callback data.
type callback struct {
	Verb string
	A, B string
}

// data encodes a callback; it panics on data too long, which only a
// programming error makes (ids are short).
func data(verb string, args ...string) string {
	s := verb + ":" + strings.Join(args, ":")
	if len(s) > maxCallbackData {
		panic(fmt.Sprintf("telegram: callback data %q longer than %d bytes", s, maxCallbackData))
	}
	return s
}

// parseCallback decodes data, refusing what the bot does not make.
func parseCallback(s string) (callback, error) {
	if len(s) > maxCallbackData || s == "" {
		return callback{}, errBadCallback
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return callback{}, errBadCallback
	}
	cb := callback{Verb: parts[0], A: parts[1]}
	if len(parts) == 3 {
		cb.B = parts[2]
	}
	switch cb.Verb {
	case cbVenue, cbVenues, cbParty, cbDate, cbPage, cbTime, cbAlt:
		if cb.A == "" || cb.B == "" {
			return callback{}, errBadCallback
		}
	case cbDates, cbName, cbSkip, cbConfirm, cbAbort, cbCancel, cbComing, cbLate, cbLang,
		cbStaffOK, cbStaffDecl, cbTillDone:
		if cb.A == "" {
			return callback{}, errBadCallback
		}
	case cbMy, cbNoop:
	default:
		return callback{}, errBadCallback
	}
	return cb, nil
}
