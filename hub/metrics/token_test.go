package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stolik/stolik/hub/metrics"
)

func TestProtect(t *testing.T) {
	m := metrics.New(metrics.Options{})
	open := httptest.NewServer(metrics.Protect(m.Handler(), ""))
	defer open.Close()
	closed := httptest.NewServer(metrics.Protect(m.Handler(), "s3cret-token"))
	defer closed.Close()

	get := func(url, auth string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	for _, c := range []struct {
		name, url, auth string
		want            int
	}{
		{"no token configured", open.URL, "", 200},
		{"token configured, none sent", closed.URL, "", 401},
		{"wrong token", closed.URL, "Bearer s3cret-tokem", 401},
		{"not a bearer", closed.URL, "Basic s3cret-token", 401},
		{"right token", closed.URL, "Bearer s3cret-token", 200},
	} {
		if got := get(c.url, c.auth); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
