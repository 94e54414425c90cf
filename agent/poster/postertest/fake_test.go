package postertest_test

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/poster/postertest"
)

func newFake(t *testing.T) *postertest.Fake {
	t.Helper()
	f, err := postertest.New(postertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// call returns the decoded answer of a GET.
func call(t *testing.T, f *postertest.Fake, method string, q url.Values) map[string]any {
	t.Helper()
	resp, err := http.Get(f.URL() + "/" + method + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v: %s", method, err, b)
	}
	return v
}

func errCode(v map[string]any) float64 {
	e, _ := v["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return c
}

func TestTokenAndUnknownCalls(t *testing.T) {
	f := newFake(t)
	for _, tc := range []struct {
		token, method string
		code          float64
	}{
		{"", "access.getSpots", 10},
		{"wrong", "access.getSpots", 11},
		{f.Token(), "menu.getProducts", 404},
	} {
		v := call(t, f, tc.method, url.Values{"token": {tc.token}})
		if got := errCode(v); got != tc.code {
			t.Errorf("%s with token %q: code %v, want %v", tc.method, tc.token, got, tc.code)
		}
	}
	f.ExpireToken()
	if got := errCode(call(t, f, "access.getSpots", url.Values{"token": {f.Token()}})); got != 12 {
		t.Errorf("expired: code %v, want 12", got)
	}
	if got := f.Requests()["access.getSpots"]; got != 3 {
		t.Errorf("access.getSpots counted %d times, want 3", got)
	}
}

func TestCreateNeedsFields(t *testing.T) {
	f := newFake(t)
	resp, err := http.PostForm(f.URL()+"/incomingOrders.createReservation?token="+f.Token(),
		url.Values{"spot_id": {"1"}, "table_id": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	json.NewDecoder(resp.Body).Decode(&v)
	if got := errCode(v); got != 34 {
		t.Errorf("create without a date: code %v, want 34", got)
	}
}

func TestActivityChangesTheVenue(t *testing.T) {
	f := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Activity(ctx, rand.New(rand.NewPCG(1, 2)), time.Millisecond)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.Checks()) == 0 || len(f.Reservations()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no check and reservation after 5s of activity")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	for _, r := range f.Reservations() {
		if len(r.TableIDs) != 1 || !strings.HasPrefix(r.Phone, "+7") {
			t.Errorf("activity made %+v", r)
		}
	}
}
