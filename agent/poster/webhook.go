package poster

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
// address.
type Webhook struct {
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
	// of an object.
	Data string `json:"data,omitempty"`
}

// ErrBadSignature means a webhook's verify field does not match.
var ErrBadSignature = errors.New("poster webhook: verify does not match")

// Verify decodes a webhook body and checks its signature:
// verify = md5(account;object;object_id;action[;data];time;secret), where
// data takes part only when the body has it. A body that is not a webhook
// is an error; a wrong signature wraps ErrBadSignature.
func Verify(payload []byte, secret string) (Webhook, error) {
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
		return Webhook{}, fmt.Errorf("poster webhook: malformed body: %v", err)
	}
	w := Webhook{
		Account: string(raw.Account), AccountNumber: string(raw.AccountNumber),
		Object: string(raw.Object), ObjectID: string(raw.ObjectID), Action: string(raw.Action),
		Time: string(raw.Time), Verify: strings.ToLower(string(raw.Verify)),
	}
	if w.Account == "" || w.Object == "" || w.Action == "" || w.Verify == "" {
		return w, errors.New("poster webhook: account, object, action or verify is missing")
	}
	var data *string
	if len(raw.Data) > 0 && string(raw.Data) != "null" {
		// Poster sends data as a JSON string; an object is signed as sent.
		var d text
		if err := d.UnmarshalJSON(raw.Data); err == nil {
			w.Data = string(d)
		} else {
			w.Data = string(raw.Data)
		}
		data = &w.Data
	}
	want := Sign(w.Account, w.Object, w.ObjectID, w.Action, data, w.Time, secret)
	if subtle.ConstantTimeCompare([]byte(want), []byte(w.Verify)) != 1 {
		return w, fmt.Errorf("%w (object %s %s)", ErrBadSignature, w.Object, w.ObjectID)
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
