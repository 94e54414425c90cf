package iiko

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/stolik/stolik/agent"
)

// APIError is an error answer of the iikoCloud API: an HTTP status with the
// body {correlationId, errorDescription, error}.
type APIError struct {
	// Call names the operation, such as "reserve/create".
	Call   string
	Status int
	// Code is the body's "error" field, when iiko sets it.
	Code          string
	Description   string
	CorrelationID string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("iiko %s: HTTP %d", e.Call, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.CorrelationID != "" {
		msg += " (correlation id " + e.CorrelationID + ")"
	}
	return msg
}

// Temporary reports whether trying again later may succeed: timeouts, rate
// limits and server errors.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests ||
		e.Status >= 500
}

// errorBody is iiko's ErrorResponse.
type errorBody struct {
	CorrelationID    string  `json:"correlationId"`
	ErrorDescription string  `json:"errorDescription"`
	Error            *string `json:"error"`
}

// errorInfo is iiko's ErrorInfo, carried by a reserve or order that failed.
type errorInfo struct {
	Code        string  `json:"code"`
	Message     *string `json:"message"`
	Description *string `json:"description"`
	ErrorReason *string `json:"errorReason"`
}

func (e *errorInfo) text() string {
	for _, s := range []*string{e.Message, e.Description, e.ErrorReason} {
		if s != nil && *s != "" {
			return *s
		}
	}
	return ""
}

// refusals say, in words staff and guests understand, why iiko refused a
// reservation, by iiko error code.
var refusals = map[string]string{
	"TerminalGroupUnregistered":    "the restaurant's iiko terminal is offline",
	"TerminalGroupDisabled":        "the restaurant's iiko terminal is switched off for the API",
	"TerminalGroupIdNotDetermined": "iiko could not tell which terminal should take the booking",
	"OrganizationDisabled":         "the restaurant is disabled in iiko",
	"InvalidPhone":                 "iiko did not accept the phone number",
	"CustomerNameNotSpecified":     "iiko needs the guest's name",
	"IikoFrontTooOldVersion":       "the restaurant's iiko terminal is too old to take bookings",
	"GuestNameNotSpecified":        "iiko needs the guest's name",
	"Common":                       "iiko could not record the booking",
}

// refusal wraps agent.ErrRefused with the reason for an iiko error code.
func refusal(call, code, detail string) error {
	reason, ok := refusals[code]
	if !ok {
		reason = "iiko refused the booking"
	}
	msg := fmt.Sprintf("iiko %s: %s", call, reason)
	if code != "" {
		msg += " (" + code
		if detail != "" {
			msg += ": " + detail
		}
		msg += ")"
	}
	err := fmt.Errorf("%s: %w", msg, agent.ErrRefused)
	if code == "TerminalGroupUnregistered" || code == "TerminalGroupDisabled" {
		return agent.WithFix(err,
			"start iikoFront on the restaurant's terminal and check it is online in iikoWeb",
			"запустите iikoFront на кассе ресторана и проверьте в iikoWeb, что касса в сети")
	}
	return err
}

// isDuplicate reports whether err says a reserve with our id exists.
func isDuplicate(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == "DuplicatedReserveId"
}
