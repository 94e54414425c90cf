package iiko_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/iiko"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

func TestTokenExpiresMidSync(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	before := snap(t, c)
	f.OpenOrder(f.Tables()[0], 2)

	// The token is refused between two calls of one snapshot.
	f.FailNext("order/by_table", http.StatusUnauthorized)
	st := snap(t, c)
	if len(st.Orders) != 1 || len(st.Tables) != len(before.Tables) {
		t.Errorf("snapshot after a 401 mid-sync has %d orders, %d tables", len(st.Orders),
			len(st.Tables))
	}
	if n := f.Counts()["access_token"]; n != 2 {
		t.Errorf("%d tokens asked, want 2 (the first and one after the 401)", n)
	}

	// Two refusals in a row are an error, not a loop.
	f.FailNext("order/by_table", 401, 401)
	_, err := c.Snapshot(context.Background())
	var ae *iiko.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Call != "order/by_table" {
		t.Errorf("two 401s: %v, want the APIError of order/by_table", err)
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	clk := newClock()
	f := newFake(t, iikotest.Options{TokenTTL: 20 * time.Minute, Now: clk.Now})
	cfg := config(f)
	cfg.Now = clk.Now
	c := newConnector(t, cfg)
	for range 6 {
		snap(t, c)
		clk.Add(5 * time.Minute)
	}
	// 20-minute tokens are renewed 5 minutes before their end: at 0 and
	// at 15 minutes, before iiko refuses them (a 401 would add more).
	if n := f.Counts()["access_token"]; n != 2 {
		t.Errorf("%d tokens over 25 minutes of 20-minute tokens, want 2", n)
	}
}

func TestTokenConcurrent(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	snap(t, c)
	f.ExpireTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			_, err := c.CreateReservation(context.Background(),
				request(f.Tables()[i%6], "bk_conc_"+string(rune('a'+i))))
			if err != nil && !errors.Is(err, agent.ErrRefused) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.Counts()["access_token"]; n > 3 {
		t.Errorf("%d tokens for 8 concurrent calls after one expiry, want at most 3", n)
	}
}

func TestRateLimited(t *testing.T) {
	clk := newClock()
	f := newFake(t, iikotest.Options{Now: clk.Now})
	cfg := config(f)
	cfg.Now = clk.Now
	c := newConnector(t, cfg)
	f.OpenOrder(f.Tables()[0], 2)
	f.RateLimitNext("order/by_table", 2)
	if st := snap(t, c); len(st.Orders) != 1 {
		t.Errorf("%d orders after waiting out two 429s, want 1", len(st.Orders))
	}
	if n := f.Counts()["order/by_table"]; n != 3 {
		t.Errorf("%d order/by_table calls, want 3", n)
	}
	f.RateLimitNext("order/by_table", 4) // the call and its three retries
	_, err := c.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "429") ||
		!strings.Contains(err.Error(), "order/by_table") {
		t.Errorf("429 without end: %v, want an error naming the call and 429", err)
	}
	// Then the connector keeps away from iiko for a while.
	n := f.Requests()
	if _, err := c.Snapshot(context.Background()); err == nil ||
		!strings.Contains(err.Error(), "slow down") {
		t.Errorf("snapshot right after: %v, want an error saying iiko asked to slow down", err)
	}
	if got := f.Requests(); got != n {
		t.Errorf("%d calls reached iiko during the pause, want 0", got-n)
	}
	clk.Add(31 * time.Second)
	snap(t, c)
}

func TestMalformedAnswer(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	cfg := config(f)
	cfg.SectionsEvery = time.Nanosecond
	c := newConnector(t, cfg)
	before, _ := snap(t, c).Items()
	for _, call := range []string{"reserve/restaurant_sections_workload", "order/by_table",
		"reserve/available_restaurant_sections"} {
		f.MalformNext(call, 1)
		_, err := c.Snapshot(context.Background())
		if err == nil || !strings.Contains(err.Error(), "iiko "+call+": malformed answer") {
			t.Errorf("malformed %s: %v, want an error naming the call", call, err)
		}
	}
	after, _ := snap(t, c).Items()
	if len(after) != len(before) {
		t.Errorf("state after malformed answers has %d items, before %d", len(after), len(before))
	}
}

func TestCommandGone(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	ctx := context.Background()
	tables := f.Tables()
	res, err := c.CreateReservation(ctx, request(tables[0], "bk_gone"))
	if err != nil {
		t.Fatal(err)
	}
	f.ForgetCommands(true)
	// The cancel went through; iiko forgot the command: the reserve says.
	if err := c.CancelReservation(ctx, wire.CancelRequest{ReservationID: res.ID}); err != nil {
		t.Errorf("cancel with commands/status 410: %v, want success read from the reserve", err)
	}
	res2, err := c.CreateReservation(ctx, request(tables[1], "bk_gone2"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.ChangeTables(ctx, res2.ID, []string{tables[2]})
	if err == nil || errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "forgot") {
		t.Errorf("change with commands/status 410: %v, want an error saying so", err)
	}
}

func TestSlowAnswer(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	cfg := config(f)
	cfg.RequestTimeout = 50 * time.Millisecond
	c := newConnector(t, cfg)
	snap(t, c)
	f.SetSlow(time.Second)
	start := time.Now()
	_, err := c.Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "iiko ") {
		t.Errorf("slow iiko: %v, want an error naming the call", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("the slow call took %v; the 50ms timeout did not hold", d)
	}
	f.SetSlow(0)
	snap(t, c)
}

func TestDownIsRetryable(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	table := snap(t, c).Tables[0].ID
	f.SetDown(true)
	_, err := c.CreateReservation(context.Background(), request(table, "bk_down"))
	if err == nil || errors.Is(err, agent.ErrRefused) {
		t.Fatalf("create while iiko is down: %v, want a plain (retryable) error", err)
	}
	if _, ok := agent.FixOf(err); !ok {
		t.Errorf("%v: no next step for an unreachable iiko", err)
	}
	f.SetDown(false)
	if _, err := c.CreateReservation(context.Background(), request(table, "bk_down")); err != nil {
		t.Errorf("create once iiko is back: %v", err)
	}
}

func TestFakeWebhooks(t *testing.T) {
	type event struct {
		EventType string          `json:"eventType"`
		EventInfo json.RawMessage `json:"eventInfo"`
	}
	got := make(chan string, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var evs []event
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &evs) != nil || r.Header.Get("Authorization") != "tok" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		for _, e := range evs {
			got <- e.EventType
		}
	}))
	t.Cleanup(hook.Close)
	f := newFake(t, iikotest.Options{})
	f.SetWebhook(hook.URL, "tok")
	f.OpenOrder(f.Tables()[0], 2)
	f.AddReservation(wire.Reservation{TableIDs: f.Tables()[1:2], Start: time.Now().Add(time.Hour),
		Duration: wire.Duration(time.Hour), Guests: 2, Name: "Гость", Phone: "+79990001122"})
	want := map[string]bool{"TableOrderUpdate": true, "ReserveUpdate": true}
	deadline := time.After(5 * time.Second)
	for len(want) > 0 {
		select {
		case e := <-got:
			delete(want, e)
		case <-deadline:
			t.Fatalf("webhooks not received: %v", want)
		}
	}
}

func TestCancelAnswerLost(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	ctx := context.Background()
	res, err := c.CreateReservation(ctx, request(f.Tables()[0], "bk_lost_cancel"))
	if err != nil {
		t.Fatal(err)
	}
	f.LoseNextAnswer()
	req := wire.CancelRequest{BookingID: "bk_lost_cancel", ReservationID: res.ID}
	if err := c.CancelReservation(ctx, req); err == nil || errors.Is(err, agent.ErrRefused) {
		t.Fatalf("cancel whose answer was lost: %v, want a plain error", err)
	}
	if err := c.CancelReservation(ctx, req); err != nil {
		t.Errorf("retried cancel: %v, want success (iiko did cancel)", err)
	}
	if n := f.Counts()["reserve/cancel"]; n != 1 {
		t.Errorf("%d cancel calls, want 1: the retry reads the reserve first", n)
	}
}
