package iiko

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/agent"
)

// Token lifetimes: iiko issues tokens for an hour. A token is renewed this
// long before its end, so a call never starts with one about to expire.
const (
	tokenLifetime = time.Hour
	tokenMargin   = 5 * time.Minute
	tokenMinimum  = 30 * time.Second
)

// tokens holds the access token and renews it: before it expires (by the
// JWT's exp claim, read without checking the signature, or an hour when
// there is none) and when iiko answers 401. It is safe for concurrent use;
// one renewal runs at a time and the others wait for it.
type tokens struct {
	c   *client
	now func() time.Time

	mu      sync.Mutex // guards token and expires; held while renewing
	token   string
	expires time.Time

	viaMu sync.Mutex // guards via
	via   string     // how the token in use was got: viaKey or viaLogin
}

// get returns a valid token, renewing it if needed.
func (t *tokens) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.token != "" && now.Before(t.expires) {
		return t.token, nil
	}
	tok, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	t.token = tok
	t.expires = now.Add(lifetime(tok, now))
	return tok, nil
}

// drop forgets tok after iiko refused it, unless a newer one replaced it.
func (t *tokens) drop(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == tok {
		t.token = ""
	}
}

type tokenAnswer struct {
	CorrelationID string `json:"correlationId"`
	Token         string `json:"token"`
}

// Ways to get a token.
const (
	viaKey   = "api_key (v2)"
	viaLogin = "api_login (v1)"
)

// fetch asks for a new token: v2 with the API key, app id and client
// secret when they are set, else v1 with the API login. When iiko refuses
// the key (401 or 403) and an API login is set too, the login is tried:
// the two are alternatives, and the key is tried first at every renewal,
// so the agent goes back to it once it works. Which one is in use is
// logged when it changes.
func (t *tokens) fetch(ctx context.Context) (string, error) {
	cfg := t.c.cfg
	if cfg.APIKey == "" {
		return t.fetchVia(ctx, viaLogin)
	}
	tok, err := t.fetchVia(ctx, viaKey)
	var ae *APIError
	if err == nil || cfg.APILogin == "" || !errors.As(err, &ae) ||
		(ae.Status != 401 && ae.Status != 403) {
		return tok, err
	}
	tok, lerr := t.fetchVia(ctx, viaLogin)
	if lerr != nil {
		// Both refused: the key is what the config means first.
		return "", fmt.Errorf("%w; the api_login was tried too: %v", err, lerr)
	}
	return tok, nil
}

// usingV1 reports whether the token in use came from the API login.
func (t *tokens) usingV1() bool {
	t.viaMu.Lock()
	defer t.viaMu.Unlock()
	return t.via == viaLogin
}

// fetchVia asks for a token one way (viaKey or viaLogin).
func (t *tokens) fetchVia(ctx context.Context, via string) (string, error) {
	cfg := t.c.cfg
	var (
		path, call string
		body       any
		fix        [2]string
	)
	if via == viaKey {
		path, call = "/api/v2/access_token", "access_token (v2)"
		body = map[string]string{
			"apiKey": cfg.APIKey, "appId": cfg.AppID, "clientSecret": cfg.ClientSecret,
		}
		fix = [2]string{
			"check connector.iiko.api_key, app_id and client_secret in agent.yaml; " +
				"a new API key is made in iikoWeb -> Integrations -> API keys",
			"проверьте connector.iiko.api_key, app_id и client_secret в agent.yaml; " +
				"новый ключ создаётся в iikoWeb -> Интеграции -> API-ключи",
		}
	} else {
		path, call = "/api/1/access_token", "access_token (v1)"
		body = map[string]string{"apiLogin": cfg.APILogin}
		fix = [2]string{
			"check connector.iiko.api_login in agent.yaml (iikoWeb -> Integrations -> API logins)",
			"проверьте connector.iiko.api_login в agent.yaml (iikoWeb -> Интеграции -> API-логины)",
		}
	}
	var ans tokenAnswer
	err := t.c.do(ctx, call, path, "", body, &ans)
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == 400 || ae.Status == 401 || ae.Status == 403) {
		return "", agent.WithFix(err, fix[0], fix[1])
	}
	if err != nil {
		return "", err
	}
	if ans.Token == "" {
		return "", fmt.Errorf("iiko %s: the answer has no token", call)
	}
	t.viaMu.Lock()
	changed := t.via != via
	t.via = via
	t.viaMu.Unlock()
	if changed {
		if via == viaLogin && cfg.APIKey != "" {
			t.c.log.Warn("iiko refused the api_key; using the api_login (v1) instead: "+
				"check the key in iikoWeb -> Integrations -> API keys", "token", via)
		} else {
			t.c.log.Info("iiko token obtained", "token", via)
		}
	}
	return ans.Token, nil
}

// lifetime is how long tok may be used from now: until its exp claim less
// a margin, never more than an hour less the margin, never less than
// tokenMinimum (so a clock far off the server's does not renew on every
// call).
func lifetime(tok string, now time.Time) time.Duration {
	d := tokenLifetime - tokenMargin
	if exp, ok := jwtExpiry(tok); ok {
		if left := exp.Sub(now) - tokenMargin; left < d {
			d = left
		}
		// A short-lived token (tests, a changed policy) is renewed halfway.
		if life := exp.Sub(now); life < 2*tokenMargin {
			d = life / 2
		}
	}
	return max(d, tokenMinimum)
}

// jwtExpiry reads the exp claim of a JWT without checking its signature:
// the agent only uses it to renew in time; iiko checks the token.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return time.Time{}, false
	}
	sec, err := claims.Exp.Float64()
	if err != nil || sec <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(sec), 0), true
}
