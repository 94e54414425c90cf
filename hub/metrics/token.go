package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Protect serves h only to requests that carry token as a bearer token
// (Authorization: Bearer <token>), as Prometheus sends it with
// authorization.credentials in its scrape config; others get 401. An
// empty token leaves h open.
func Protect(h http.Handler, token string) http.Handler {
	if token == "" {
		return h
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="stolik metrics"`)
			http.Error(w, "metrics need the bearer token set as metrics_token in the "+
				"hub's configuration", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
