package iiko_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/iiko/iikotest"
)

// logSink is a log buffer safe for concurrent writes.
type logSink struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A 401 to a data call that a renewed token gets too is about the key's
// rights in iikoWeb, not about iiko being unreachable.
func TestUnauthorizedAfterRenewal(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	snap(t, c)
	const call = "reserve/restaurant_sections_workload"
	f.FailNext(call, 401, 401)
	before := f.Counts()["access_token"]
	_, err := c.Snapshot(context.Background())
	fix, ok := agent.FixOf(err)
	if err == nil || !strings.Contains(err.Error(), call) || !ok ||
		!strings.Contains(fix.EN, "API keys") || !strings.Contains(fix.EN, "rights") ||
		!strings.Contains(fix.RU, "API-ключи") {
		t.Errorf("a 401 after renewal = %v (fix %+v), want one naming %s and pointing to "+
			"the key's rights in iikoWeb", err, fix, call)
	}
	if n := f.Counts()["access_token"] - before; n != 1 {
		t.Errorf("%d token requests, want 1 renewal", n)
	}
	snap(t, c) // the next poll works
}

// The API login is an alternative to a refused key: it is used, and the
// switch is logged once.
func TestLoginWhenKeyRefused(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	var logs logSink
	cfg := config(f)
	cfg.APIKey = "revoked-key"
	cfg.APILogin = f.Options().APILogin
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := newConnector(t, cfg)
	if st := snap(t, c); len(st.Tables) == 0 {
		t.Fatal("no tables read through the api_login")
	}
	f.ExpireTokens()
	snap(t, c)
	if got := f.LastRequest("access_token")["apiLogin"]; got != cfg.APILogin {
		t.Errorf("the last token request carried apiLogin %v, want %q", got, cfg.APILogin)
	}
	if n := strings.Count(logs.String(), "using the api_login"); n != 1 {
		t.Errorf("%d log lines about using the api_login, want 1:\n%s", n, logs.String())
	}

	// Both refused: the key's error and fix, the login's error said too.
	cfg.APILogin = "unknown-login"
	_, err := newConnector(t, cfg).Snapshot(context.Background())
	fix, ok := agent.FixOf(err)
	if err == nil || !ok || !strings.Contains(fix.EN, "api_key") ||
		!strings.Contains(err.Error(), "api_login was tried too") {
		t.Errorf("key and login refused = %v (fix %+v), want the key's fix and the login named",
			err, fix)
	}

	// Without a login, a refused key is the error; no v1 call.
	cfg.APILogin = ""
	_, err = newConnector(t, cfg).Snapshot(context.Background())
	if _, ok := agent.FixOf(err); err == nil || !ok {
		t.Errorf("a refused key without a login = %v, want an error with a fix", err)
	}
	if _, v1 := f.LastRequest("access_token")["apiLogin"]; v1 {
		t.Error("a v1 token was asked for without an api_login")
	}
}
