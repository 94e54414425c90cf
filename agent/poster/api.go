package poster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/agent"
)

// maxBody bounds an answer read from Poster.
const maxBody = 16 << 20

// Error codes Poster answers in {"error": {"code": ...}}.
const (
	CodeTokenMissing = 10
	CodeTokenInvalid = 11
	CodeTokenExpired = 12
	CodeNoRights     = 20
	CodeNotFound     = 32
	CodeEmptyField   = 34
	CodeBadRequest   = 400
	CodeTariffLimit  = 700
)

// APIError is an error Poster answered for one call.
type APIError struct {
	Call    string // "incomingOrders.createReservation"
	Code    int
	Message string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("poster %s: error %d: %s", e.Call, e.Code, msg)
}

// explain wraps an *APIError with what a person can do about it. Codes that
// mean Poster refused the request wrap agent.ErrRefused when write is set.
func explain(e *APIError, write bool) error {
	switch e.Code {
	case CodeTokenMissing, CodeTokenInvalid, CodeTokenExpired:
		return agent.WithFix(e,
			"check connector.poster.token in agent.yaml (or STOLIK_POSTER_TOKEN); "+
				"make a new token in Poster: Access -> Integrations",
			"проверьте connector.poster.token в agent.yaml (или STOLIK_POSTER_TOKEN); "+
				"новый токен создаётся в Poster: Доступ -> Интеграции")
	case CodeNoRights:
		return agent.WithFix(e,
			"the token has no rights for "+e.Call+"; make a token of an owner or an "+
				"administrator in Poster: Access -> Integrations",
			"у токена нет прав на "+e.Call+"; создайте токен владельца или "+
				"администратора в Poster: Доступ -> Интеграции")
	case CodeTariffLimit:
		err := error(e)
		if write {
			err = fmt.Errorf("%w: %w", agent.ErrRefused, e)
		}
		return agent.WithFix(err,
			"reservations through the API need Poster's Pro tariff; change the "+
				"tariff in Poster, or confirm bookings by hand (manual mode)",
			"бронирование через API требует тарифа Pro в Poster; смените тариф "+
				"или подтверждайте брони вручную (ручной режим)")
	}
	if write && e.Code < 500 {
		return fmt.Errorf("%w: %w", agent.ErrRefused, e)
	}
	return e
}

// client calls Poster's API. Its errors name the call and never carry the
// token (which travels in the query string).
type client struct {
	base    string // without a trailing slash
	token   string
	http    *http.Client
	timeout time.Duration
}

func (c *client) get(ctx context.Context, call string, q url.Values) (json.RawMessage, error) {
	return c.do(ctx, http.MethodGet, call, q, nil)
}

func (c *client) post(ctx context.Context, call string, form url.Values) (json.RawMessage, error) {
	return c.do(ctx, http.MethodPost, call, nil, form)
}

func (c *client) do(ctx context.Context, method, call string, q, form url.Values) (
	json.RawMessage, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	if q == nil {
		q = url.Values{}
	}
	q.Set("token", c.token)
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/"+call+"?"+q.Encode(), body)
	if err != nil {
		return nil, fmt.Errorf("poster %s: %v", call, stripURL(err))
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, agent.WithFix(fmt.Errorf("poster %s: %w", call, stripURL(err)),
			"check that this server reaches "+c.base+" (internet, proxy, firewall)",
			"проверьте, что этот сервер видит "+c.base+" (интернет, прокси, файрвол)")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("poster %s: read answer: %w", call, stripURL(err))
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("poster %s: answer larger than %d bytes", call, maxBody)
	}
	res, err := decodeEnvelope(call, b)
	if err != nil {
		if resp.StatusCode != http.StatusOK && !errors.As(err, new(*APIError)) {
			return nil, fmt.Errorf("poster %s: HTTP %d: %s", call, resp.StatusCode,
				snippet(b))
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("poster %s: HTTP %d", call, resp.StatusCode)
	}
	return res, nil
}

// stripURL drops the request URL (which holds the token) from a transport
// error.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	if s == "" {
		return "empty answer"
	}
	return strconv.Quote(s)
}

// decodeEnvelope returns the "response" of an answer, or its "error" as an
// *APIError. Poster documents {"error": {"code", "message"}}; the flat
// {"error": code, "message": ...} seen in older answers is read too.
func decodeEnvelope(call string, b []byte) (json.RawMessage, error) {
	var env struct {
		Response json.RawMessage `json:"response"`
		Error    json.RawMessage `json:"error"`
		Message  string          `json:"message"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("poster %s: malformed answer: %v", call, err)
	}
	if len(env.Error) > 0 && string(env.Error) != "null" {
		e := &APIError{Call: call, Message: env.Message}
		var obj struct {
			Code    number `json:"code"`
			Message string `json:"message"`
		}
		var code number
		switch {
		case json.Unmarshal(env.Error, &obj) == nil:
			e.Code = int(obj.Code)
			if obj.Message != "" {
				e.Message = obj.Message
			}
		case json.Unmarshal(env.Error, &code) == nil:
			e.Code = int(code)
		default:
			return nil, fmt.Errorf("poster %s: malformed error: %s", call, snippet(env.Error))
		}
		if e.Code == 0 {
			e.Code = -1 // an error without a code is still an error
		}
		return nil, e
	}
	if len(env.Response) == 0 || string(env.Response) == "null" {
		return nil, fmt.Errorf("poster %s: answer without \"response\": %s", call, snippet(b))
	}
	return env.Response, nil
}

// text is a JSON value Poster sends as a string or as a number (ids).
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
		return fmt.Errorf("want a string or a number, got %s", snippet(b))
	}
	*s = text(n.String())
	return nil
}

// number is an integer Poster sends as a number or as a string ("" is 0).
type number int64

func (n *number) UnmarshalJSON(b []byte) error {
	var s text
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(s), 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("want an integer, got %q", s)
		}
		v = int64(f)
	}
	*n = number(v)
	return nil
}

// decimal is a number Poster sends as a number or as a string.
type decimal float64

func (d *decimal) UnmarshalJSON(b []byte) error {
	var s text
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*d = 0
		return nil
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return fmt.Errorf("want a number, got %q", s)
	}
	*d = decimal(v)
	return nil
}

// decodeList decodes a "response" that is a list of T; its errors name the
// call.
func decodeList[T any](call string, raw json.RawMessage) ([]T, error) {
	var v []T
	if err := json.Unmarshal(bytes.TrimSpace(raw), &v); err != nil {
		return nil, fmt.Errorf("poster %s: malformed response: %v", call, err)
	}
	return v, nil
}
