// Package posterhook reads and checks the webhooks Poster (joinposter.com)
// posts to an application's webhook address. The hub takes them; it lives
// in shared so that the agent's Poster code and the hub use one reading.
package posterhook

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Webhook is a notification Poster posts to an application's webhook
// address. Poster posts every account's webhooks of one application to one
// address; Account tells them apart.
type Webhook struct {
	// Account is the account's name, as in https://<account>.joinposter.com.
	Account       string `json:"account"`
	AccountNumber string `json:"account_number"`
	// Object is what changed: "incoming_order", "transaction", "spot", ...
	Object   string `json:"object"`
	ObjectID string `json:"object_id"`
	// Action is added, changed, removed or transformed.
	Action string `json:"action"`
	Time   string `json:"time"`
	Verify string `json:"verify"`
	// Data is the optional extra: the string Poster sent, or the JSON text
	// of an object as sent.
	Data string `json:"data,omitempty"`
	// HasData is set when the body had data (signed then).
	HasData bool `json:"-"`
}

// ErrBadSignature means a webhook's verify field does not match.
var ErrBadSignature = errors.New("poster webhook: verify does not match")

// ErrMalformed means the body is not a Poster webhook.
var ErrMalformed = errors.New("poster webhook: the body is not a Poster webhook " +
	"(a JSON object with account, object, object_id, action, time and verify)")

// Decode reads a webhook body without checking its signature. A body that
// is not a webhook wraps ErrMalformed.
func Decode(payload []byte) (Webhook, error) {
	var raw struct {
		Account       text            `json:"account"`
		AccountNumber text            `json:"account_number"`
		Object        text            `json:"object"`
		ObjectID      text            `json:"object_id"`
		Action        text            `json:"action"`
		Time          text            `json:"time"`
		Verify        text            `json:"verify"`
		Data          json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Webhook{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	w := Webhook{
		Account: string(raw.Account), AccountNumber: string(raw.AccountNumber),
		Object: string(raw.Object), ObjectID: string(raw.ObjectID), Action: string(raw.Action),
		Time: string(raw.Time), Verify: strings.ToLower(string(raw.Verify)),
	}
	if w.Account == "" || w.Object == "" || w.Action == "" || w.Verify == "" {
		return w, fmt.Errorf("%w: account, object, action or verify is missing", ErrMalformed)
	}
	if len(raw.Data) > 0 && string(raw.Data) != "null" {
		// Poster sends data as a JSON string; an object is signed as sent.
		var d string
		if err := json.Unmarshal(raw.Data, &d); err == nil {
			w.Data = d
		} else {
			w.Data = string(raw.Data)
		}
		w.HasData = true
	}
	return w, nil
}

// Verify decodes a webhook body and checks its signature:
// verify = md5(account;object;object_id;action[;data];time;secret), where
// data takes part only when the body has it. A body that is not a webhook
// wraps ErrMalformed; a wrong signature wraps ErrBadSignature.
func Verify(payload []byte, secret string) (Webhook, error) {
	w, err := Decode(payload)
	if err != nil {
		return w, err
	}
	var data *string
	if w.HasData {
		data = &w.Data
	}
	want := Sign(w.Account, w.Object, w.ObjectID, w.Action, data, w.Time, secret)
	if subtle.ConstantTimeCompare([]byte(want), []byte(w.Verify)) != 1 {
		return w, fmt.Errorf("%w (account %s, object %s %s)", ErrBadSignature,
			w.Account, w.Object, w.ObjectID)
	}
	return w, nil
}

// Sign computes a webhook's verify field; data is left out when nil.
func Sign(account, object, objectID, action string, data *string, time, secret string) string {
	parts := []string{account, object, objectID, action}
	if data != nil {
		parts = append(parts, *data)
	}
	parts = append(parts, time, secret)
	sum := md5.Sum([]byte(strings.Join(parts, ";")))
	return hex.EncodeToString(sum[:])
}

// text is a JSON string or number, as Poster writes ids and times, read as
// its text.
type text string

func (s *text) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = text(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %.40s", b)
	}
	*s = text(n.String())
	return nil
}
