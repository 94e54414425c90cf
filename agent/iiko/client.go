package iiko

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/agent"
)

// maxAnswer bounds an answer body; a venue's sections, reserves and orders
// are far smaller.
const maxAnswer = 32 << 20

// rateRetries is how many times a call answered 429 is tried again, after
// waiting, before the error is returned.
const rateRetries = 3

// rateQuiet is the least time the client keeps away from iiko after it
// kept answering 429: calls fail at once until then, so the poller does
// not keep knocking.
const rateQuiet = 30 * time.Second

// client calls the iikoCloud API: JSON over POST with a bearer token.
type client struct {
	cfg    Config
	http   *http.Client
	log    *slog.Logger
	tokens *tokens
	// sleep waits d or until ctx ends (replaced in tests).
	sleep func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex // guards quiet
	quiet time.Time  // no calls before this, after repeated 429s
}

func newClient(cfg Config, log *slog.Logger) *client {
	c := &client{cfg: cfg, http: cfg.HTTPClient, log: log, sleep: sleepCtx}
	if c.http == nil {
		c.http = &http.Client{}
	}
	c.tokens = &tokens{c: c, now: cfg.Now}
	return c
}

// call runs the operation /api/1/<name> with req as the body and decodes
// the answer into resp (when not nil). A 401 renews the token and tries
// once more; a 401 to a token just renewed means the key may not make
// this call, and is a FixError pointing to the key's rights. A 429 waits
// and tries again a few times. Errors name the call; an error answer is
// an *APIError.
func (c *client) call(ctx context.Context, name string, req, resp any) error {
	unauthorized := false
	for {
		tok, err := c.tokens.get(ctx)
		if err != nil {
			return err
		}
		err = c.do(ctx, name, "/api/1/"+name, tok, req, resp)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized && !unauthorized {
			// The token expired or was revoked early: renew and retry once.
			unauthorized = true
			c.tokens.drop(tok)
			c.log.Debug("iiko token refused; renewing", "call", name)
			continue
		}
		if unauthorized && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			return c.rightsError(name, err)
		}
		return err
	}
}

// do posts one request and decodes the answer, waiting and retrying on 429.
func (c *client) do(ctx context.Context, call, path, tok string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("iiko %s: encode request: %w", call, err)
	}
	if until := c.quietUntil(); c.cfg.Now().Before(until) {
		return fmt.Errorf("iiko %s: iiko asked to slow down (HTTP 429); no calls until %s",
			call, until.UTC().Format(time.TimeOnly)+" UTC")
	}
	for attempt := 0; ; attempt++ {
		status, b, hdr, err := c.post(ctx, path, tok, body)
		if err != nil {
			return c.transportError(call, err)
		}
		if status == http.StatusTooManyRequests && attempt < rateRetries {
			wait := retryAfter(hdr, c.cfg.RetryBase<<attempt)
			c.log.Warn("iiko asks to slow down", "call", call, "wait", wait)
			if err := c.sleep(ctx, wait); err != nil {
				return fmt.Errorf("iiko %s: waiting after HTTP 429: %w", call, err)
			}
			continue
		}
		if status == http.StatusTooManyRequests {
			c.keepQuiet(max(rateQuiet, retryAfter(hdr, 0)))
		}
		if status != http.StatusOK {
			return decodeError(call, status, b)
		}
		if resp == nil {
			return nil
		}
		if err := json.Unmarshal(b, resp); err != nil {
			return fmt.Errorf("iiko %s: malformed answer: %w", call, err)
		}
		return nil
	}
}

func (c *client) post(ctx context.Context, path, tok string,
	body []byte) (int, []byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	url := strings.TrimRight(c.cfg.BaseURL, "/") + path
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("Accept", "application/json")
	// iiko's own time limit for the operation, in seconds.
	r.Header.Set("Timeout", strconv.Itoa(max(1, int(c.cfg.RequestTimeout/time.Second))))
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := c.http.Do(r)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read answer: %w", err)
	}
	if len(b) > maxAnswer {
		return 0, nil, nil, fmt.Errorf("answer larger than %d MiB", maxAnswer>>20)
	}
	return res.StatusCode, b, res.Header, nil
}

// rightsError adds the next step to a 401 that a renewed token got: the
// credentials give a token, but not for this call.
func (c *client) rightsError(call string, err error) error {
	if c.tokens.usingV1() {
		return agent.WithFix(err,
			"iiko gives the api_login a token but refuses it for "+call+": in iikoWeb -> "+
				"Integrations -> API logins, give the login access to the organization and "+
				"to reserves and orders",
			"iiko выдаёт api_login токен, но не пускает с ним в "+call+": в iikoWeb -> "+
				"Интеграции -> API-логины дайте логину доступ к организации, резервам и заказам")
	}
	return agent.WithFix(err,
		"iiko gives the API key a token but refuses it for "+call+": in iikoWeb -> "+
			"Integrations -> API keys, check the key's rights (the organization, reserves "+
			"and orders) and that the application's access was not withdrawn",
		"iiko выдаёт API-ключу токен, но не пускает с ним в "+call+": в iikoWeb -> "+
			"Интеграции -> API-ключи проверьте права ключа (организация, резервы и заказы) "+
			"и что доступ приложения не отозван")
}

func (c *client) transportError(call string, err error) error {
	err = fmt.Errorf("iiko %s: %w", call, err)
	return agent.WithFix(err,
		"check that this server reaches "+c.cfg.BaseURL+" (internet access, proxy, firewall)",
		"проверьте, что с этого сервера доступен "+c.cfg.BaseURL+
			" (доступ в интернет, прокси, межсетевой экран)")
}

// decodeError turns an error answer into an *APIError, reading iiko's
// error body when there is one.
func decodeError(call string, status int, b []byte) error {
	e := &APIError{Call: call, Status: status}
	var body errorBody
	if json.Unmarshal(b, &body) == nil {
		e.Description, e.CorrelationID = body.ErrorDescription, body.CorrelationID
		if body.Error != nil {
			e.Code = *body.Error
		}
	} else if s := strings.TrimSpace(string(b)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		e.Description = s
	}
	return e
}

func (c *client) quietUntil() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.quiet
}

func (c *client) keepQuiet(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.quiet = c.cfg.Now().Add(d)
	c.log.Warn("iiko keeps answering 429; pausing calls", "for", d)
}

// retryAfter reads a Retry-After header in seconds, else returns def.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 300 {
			return time.Duration(n) * time.Second
		}
	}
	return def
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
