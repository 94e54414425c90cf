package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/web"
)

// TestLoginLimitBehindProxy: behind a trusted proxy, the sign-in limit per
// address counts the address the proxy forwarded for. Twenty failures
// from one guest address block it and not another guest's, although both
// come through the same proxy; a client's own X-Forwarded-For entry, left
// of what the proxy appended, changes nothing; a peer that is not a
// trusted proxy is counted as itself whatever it claims.
func TestLoginLimitBehindProxy(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	mustDo(t, err)
	t.Cleanup(func() { st.Close() })
	api := web.New(st, allLive{}, quietLog())
	api.SetOptions(web.Options{BcryptCost: 4, TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("::1/128")}})

	login := func(peer, xff, email string) int {
		t.Helper()
		form := url.Values{"email": {email}, "password": {"wrong password"}}
		r, err := http.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
		mustDo(t, err)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = peer
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w.Code
	}
	// One guest (203.0.113.7) through two proxy hops, a fresh email each
	// time (the per-account limit stays out of it), and a forged entry.
	for i := range 20 {
		code := login("10.0.0.2:5000", "1.2.3.4, 203.0.113.7, 10.0.0.3",
			"guest"+string(rune('a'+i))+"@x.ru")
		if code == http.StatusTooManyRequests {
			t.Fatalf("attempt %d limited already", i+1)
		}
	}
	if code := login("10.0.0.2:5000", "203.0.113.7", "another@x.ru"); code !=
		http.StatusTooManyRequests {
		t.Errorf("the same guest address after 20 failures: %d, want 429", code)
	}
	if code := login("10.0.0.2:5000", "203.0.113.7:4411", "another@x.ru"); code !=
		http.StatusTooManyRequests {
		t.Errorf("the same guest address with a port: %d, want 429", code)
	}
	if code := login("10.0.0.2:5000", "1.2.3.4, 198.51.100.9", "other@x.ru"); code ==
		http.StatusTooManyRequests {
		t.Error("another guest behind the same proxy is limited")
	}
	if code := login("[::1]:5000", "198.51.100.10", "v6@x.ru"); code ==
		http.StatusTooManyRequests {
		t.Error("a guest behind the IPv6 proxy is limited")
	}
	// Not a trusted proxy: counted as itself, whatever it forwards.
	for i := range 20 {
		login("192.0.2.50:6000", "198.51.100.77", "direct"+string(rune('a'+i))+"@x.ru")
	}
	if code := login("192.0.2.50:6000", "198.51.100.78", "direct@x.ru"); code !=
		http.StatusTooManyRequests {
		t.Errorf("an untrusted peer after 20 failures: %d, want 429", code)
	}
	if code := login("10.0.0.2:5000", "198.51.100.77", "x@x.ru"); code ==
		http.StatusTooManyRequests {
		t.Error("an address an untrusted peer named was limited")
	}
}
