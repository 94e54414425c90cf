package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
)

// fakeHub implements the hub's side of enrollment: each code works once.
type fakeHub struct {
	mu    sync.Mutex
	codes map[string]bool // code -> used
}

func newFakeHub(t testing.TB, codes ...string) *httptest.Server {
	t.Helper()
	h := &fakeHub{codes: map[string]bool{}}
	for _, c := range codes {
		h.codes[c] = false
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/enroll", h.enroll)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func (h *fakeHub) enroll(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	var req struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "bad request body"})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	used, ok := h.codes[req.Code]
	if !ok || used {
		w.WriteHeader(http.StatusGone)
		json.NewEncoder(w).Encode(map[string]string{
			"error": "enrollment code is unknown, already used or expired"})
		return
	}
	h.codes[req.Code] = true
	json.NewEncoder(w).Encode(map[string]string{
		"agent_id": "agt_" + strings.ToLower(req.Code), "secret": "sec-" + req.Code,
		"venue_id": "ven_1"})
}

func TestEnroll(t *testing.T) {
	hub := newFakeHub(t, "GOOD", "ONCE")
	_, err := service.Enroll(context.Background(), http.DefaultClient, hub.URL, "ONCE")
	if err != nil {
		t.Fatal(err)
	}
	html := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(html.Close)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()

	tests := []struct {
		name, hub, code string
		want            config.Hub
		wantErr         []string
		refused         bool
	}{
		{name: "good code", hub: hub.URL + "/", code: " GOOD ",
			want: config.Hub{URLs: []string{hub.URL}, AgentID: "agt_good", Secret: "sec-GOOD"}},
		{name: "ws URL reaches the same API", hub: "ws" + strings.TrimPrefix(hub.URL, "http"),
			code: "GOOD", refused: true, wantErr: []string{"ask Stolik support for a new code"}},
		{name: "used code", hub: hub.URL, code: "ONCE", refused: true,
			wantErr: []string{"already used or expired",
				"ask Stolik support for a new code"}},
		{name: "unknown code", hub: hub.URL, code: "NOPE", refused: true,
			wantErr: []string{"enrollment code refused"}},
		{name: "not a hub", hub: html.URL, code: "GOOD",
			wantErr: []string{"404 Not Found", "does not look like a Stolik hub", "check --hub"}},
		{name: "nothing there", hub: closed, code: "GOOD",
			wantErr: []string{"cannot reach the hub at " + closed, "port 443"}},
		{name: "no scheme", hub: "hub.example.ru", code: "GOOD",
			wantErr: []string{`"hub.example.ru" is not an address like https://`}},
		{name: "wrong scheme", hub: "ftp://hub.example.ru", code: "GOOD",
			wantErr: []string{"use https://"}},
		{name: "empty code", hub: hub.URL, code: " ",
			wantErr: []string{"enrollment code is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := service.Enroll(context.Background(), http.DefaultClient, tt.hub, tt.code)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(e.Hub, tt.want); diff != "" || e.VenueID != "ven_1" {
					t.Errorf("enrollment (-got +want):\n%s\nvenue %q", diff, e.VenueID)
				}
				return
			}
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to say %q", err, want)
				}
			}
			if errors.Is(err, service.ErrCodeRefused) != tt.refused {
				t.Errorf("errors.Is(err, ErrCodeRefused) = %v, want %v", !tt.refused, tt.refused)
			}
		})
	}
}
