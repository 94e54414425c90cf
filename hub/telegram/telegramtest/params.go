package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// params are a request's parameters. The Bot API takes them as a JSON
// body, a form or a query string; telebot sends JSON with every value as a
// string, so each accessor takes a value either typed or as a string.
type params map[string]json.RawMessage

// readParams reads the parameters of r in any of the forms the Bot API
// accepts and returns them with their JSON encoding (for Call.Params).
func readParams(r *http.Request) (params, json.RawMessage, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read request body: %w", err)
	}
	p := params{}
	for k, v := range r.URL.Query() {
		p.setString(k, v[0])
	}

	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(bytes.TrimSpace(body)) == 0:
	case ct == "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, nil, fmt.Errorf("decode JSON parameters: %w", err)
		}
		for k, v := range m {
			p[k] = v
		}
	case ct == "application/x-www-form-urlencoded":
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseForm(); err != nil {
			return nil, nil, fmt.Errorf("decode form parameters: %w", err)
		}
		for k, v := range r.PostForm {
			p.setString(k, v[0])
		}
	default:
		return nil, nil, fmt.Errorf("unsupported content type %q", ct)
	}

	raw, err := json.Marshal(p)
	if err != nil {
		return nil, nil, fmt.Errorf("encode parameters: %w", err)
	}
	return p, raw, nil
}

func parseParams(raw json.RawMessage) (params, error) {
	p := params{}
	if len(raw) == 0 {
		return p, nil
	}
	err := json.Unmarshal(raw, &p)
	return p, err
}

func (p params) setString(k, v string) {
	b, _ := json.Marshal(v)
	p[k] = b
}

func (p params) has(name string) bool {
	v, ok := p[name]
	return ok && string(v) != "null"
}

// str returns a string parameter; other JSON values come back as text.
func (p params) str(name string) string {
	v, ok := p[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// int returns an integer parameter given as a number or a string; ok is
// false when it is absent, err set when it is present but not an integer.
func (p params) int(name string) (n int64, ok bool, err error) {
	if !p.has(name) {
		return 0, false, nil
	}
	s := strings.TrimSpace(p.str(name))
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("parameter %s: %q is not an integer", name, s)
	}
	return n, true, nil
}

// bool returns a boolean parameter given as a JSON bool or a string.
func (p params) bool(name string) bool {
	s := p.str(name)
	return s == "true" || s == "True" || s == "1"
}

// markup returns reply_markup decoded, given as an object or as a string
// holding one (as telebot sends it), and its normalized JSON.
func (p params) markup() (*apiMarkup, json.RawMessage, error) {
	v, ok := p["reply_markup"]
	if !ok || string(v) == "null" {
		return nil, nil, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" {
			return nil, nil, nil
		}
		v = json.RawMessage(s)
	}
	var m apiMarkup
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, nil, fmt.Errorf("parameter reply_markup: %w", err)
	}
	return &m, v, nil
}
