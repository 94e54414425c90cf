package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/hub/metrics"
	"github.com/stolik/stolik/shared/wire"
)

// hubEnv is a gateway and /metrics on one loopback server, over a real
// bbolt store, wired as stolik-hub serve wires them.
type hubEnv struct {
	store hub.Store
	gw    *gateway.Gateway
	m     *metrics.Metrics
	srv   *httptest.Server
}

func newHub(t *testing.T) *hubEnv {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "V", TimeZone: "UTC",
		CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	e := &hubEnv{store: s}
	e.m = metrics.New(metrics.Options{Replica: "hub-1", Store: s, Refresh: time.Nanosecond,
		Connected: func() int { return e.gw.Stats().Connections }})
	e.gw = gateway.New(s, gateway.Options{Replica: "hub-1", OnBatch: e.m.Batch,
		OnResult: func(_ string, _ hub.Command, r wire.Result) { e.m.CommandResult(r) }})
	mux := http.NewServeMux()
	mux.Handle("/agent/", e.gw)
	mux.Handle("/metrics", e.m.Handler())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		e.gw.Close()
		e.srv.Close()
	})
	return e
}

// agent connects a new agent of the venue and says hello.
func (e *hubEnv) agent(t *testing.T, id string) *websocket.Conn {
	t.Helper()
	secret := hub.NewSecret()
	if err := e.store.CreateAgent(context.Background(), hub.Agent{ID: id, VenueID: "ven_1",
		SecretHash: hub.HashSecret(secret), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	wire.SetCredential(h, id, secret)
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + wire.ConnectPath
	ws, _, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	send(t, ws, wire.TypeHello, wire.Hello{Protocol: wire.Version, AgentID: id,
		Version: "1.0.0", OS: "linux", Connector: "sim"})
	expect(t, ws, wire.TypeWelcome, &wire.Welcome{})
	return ws
}

func send(t *testing.T, ws *websocket.Conn, typ wire.Type, body any) {
	t.Helper()
	frame, err := wire.Encode(typ, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatalf("send %s: %v", typ, err)
	}
}

func expect(t *testing.T, ws *websocket.Conn, typ wire.Type, body any) {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, frame, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read %s: %v", typ, err)
	}
	env, err := wire.Decode(frame)
	if err != nil || env.Type != typ {
		t.Fatalf("got %s (%v), want %s", frame, err, typ)
	}
	if err := wire.DecodeBody(env, body); err != nil {
		t.Fatal(err)
	}
}

// scrape gets /metrics as Prometheus does and parses it.
func (e *hubEnv) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of name with the labels given as
// "k=v" pairs, and whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
series:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// waitMetric scrapes until the series has the value, or fails.
func (e *hubEnv) waitMetric(t *testing.T, want float64, name string, labels ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, ok := value(e.scrape(t), name, labels...)
		if ok && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v (present %v), want %v", name, labels, got, ok, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hallEvents(from, n int) []wire.Event {
	var list []wire.Event
	for i := from; i < from+n; i++ {
		data, _ := json.Marshal(wire.Hall{ID: fmt.Sprintf("h%d", i), Name: "Hall"})
		list = append(list, wire.Event{Seq: uint64(i), Entity: wire.EntityHall,
			ID: fmt.Sprintf("h%d", i), Op: wire.OpUpsert, Data: data})
	}
	return list
}

func TestScrapeAfterTraffic(t *testing.T) {
	e := newHub(t)
	ctx := context.Background()
	// The Telegram counters are the package's: other tests may count too.
	before := e.scrape(t)
	sent0, _ := value(before, "stolik_telegram_sent_total")
	th0, _ := value(before, "stolik_telegram_429_total")

	ws := e.agent(t, "agt_1")
	e.waitMetric(t, 1, "stolik_agents_connected")

	// A batch of three, then the same batch again (a resend after a lost ack).
	for range 2 {
		send(t, ws, wire.TypeBatch, wire.Batch{Events: hallEvents(1, 3)})
		var ack wire.Ack
		expect(t, ws, wire.TypeAck, &ack)
		if ack.Seq != 3 {
			t.Fatalf("ack %d, want 3", ack.Seq)
		}
	}
	send(t, ws, wire.TypeStatus, wire.Status{Backlog: 7,
		Connector: wire.ConnectorHealth{OK: true}})

	// Two commands: one carried out, one the RMS refused.
	for i, r := range []wire.Result{{OK: true}, {Code: wire.CodeRefused, Message: "table taken"}} {
		cmd := hub.Command{ID: fmt.Sprintf("cmd_%d", i), AgentID: "agt_1",
			Kind: wire.CommandResync, CreatedAt: time.Now(), State: hub.CommandPending}
		if err := e.store.EnqueueCommand(ctx, cmd); err != nil {
			t.Fatal(err)
		}
		e.gw.Poke("agt_1")
		var got wire.Command
		expect(t, ws, wire.TypeCommand, &got)
		r.CommandID = got.ID
		send(t, ws, wire.TypeResult, r)
		expect(t, ws, wire.TypeResultAck, &wire.ResultAck{})
	}
	e.m.CommandsExpired(1)

	// A held booking tonight, one that ended, and one cancelled.
	now := time.Now().UTC()
	for i, b := range []hub.Booking{
		{TableIDs: []string{"t1"}, Start: now.Add(time.Hour), State: hub.BookingHeld},
		{TableIDs: []string{"t2"}, Start: now.Add(-5 * time.Hour), State: hub.BookingConfirmed},
		{TableIDs: []string{"t3"}, Start: now.Add(time.Hour), State: hub.BookingConfirmed},
	} {
		b.ID, b.VenueID, b.Party, b.Name = fmt.Sprintf("bk_%d", i), "ven_1", 2, "Guest"
		b.End, b.CreatedAt, b.Channel = b.Start.Add(2*time.Hour), now, "api"
		if _, err := e.store.CreateBooking(ctx, b, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.TransitionBooking(ctx, "bk_2", hub.Transition{
		To: hub.BookingCancelled, Actor: "test", At: now}); err != nil {
		t.Fatal(err)
	}

	metrics.TelegramSent.Inc()
	metrics.TelegramSent.Inc()
	metrics.Telegram429.Inc()

	e.waitMetric(t, 7, "stolik_agent_backlog", "agent=agt_1")
	fams := e.scrape(t)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"stolik_agents_connected", nil, 1},
		{"stolik_changes_ingested_total", []string{"replica=hub-1"}, 3},
		{"stolik_changes_duplicate_total", []string{"replica=hub-1"}, 3},
		{"stolik_ack_latency_seconds", nil, 2},
		{"stolik_commands_total", []string{"result=ok"}, 1},
		{"stolik_commands_total", []string{"result=refused"}, 1},
		{"stolik_commands_total", []string{"result=expired"}, 1},
		{"stolik_commands_total", []string{"result=failed"}, 0},
		{"stolik_bookings", []string{"state=held"}, 1},
		{"stolik_bookings", []string{"state=confirmed"}, 0},
		{"stolik_telegram_sent_total", nil, sent0 + 2},
		{"stolik_telegram_429_total", nil, th0 + 1},
	} {
		got, ok := value(fams, c.name, c.labels...)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for name, f := range fams {
		if strings.HasPrefix(name, "stolik_") && f.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
	}
	if h := fams["stolik_ack_latency_seconds"].GetMetric()[0].GetHistogram(); h.GetSampleSum() <= 0 {
		t.Errorf("ack latency sum %v, want above 0", h.GetSampleSum())
	}

	// Revoked: the agent's backlog series goes, and so does its connection.
	if err := e.store.RevokeAgent(ctx, "agt_1", time.Now()); err != nil {
		t.Fatal(err)
	}
	e.gw.Disconnect("agt_1")
	e.waitMetric(t, 0, "stolik_agents_connected")
	if v, ok := value(e.scrape(t), "stolik_agent_backlog", "agent=agt_1"); ok {
		t.Errorf("revoked agent's backlog still reported: %v", v)
	}
}

// TestBacklogOfOtherReplica: an agent whose connection another replica
// holds is that replica's to report.
func TestBacklogOfOtherReplica(t *testing.T) {
	e := newHub(t)
	ctx := context.Background()
	if err := e.store.CreateAgent(ctx, hub.Agent{ID: "agt_2", VenueID: "ven_1",
		SecretHash: hub.HashSecret("s"), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.UpdateAgentStatus(ctx, "agt_2", hub.AgentStatus{Backlog: 5,
		LastSeen: time.Now(), Replica: "hub-2"}); err != nil {
		t.Fatal(err)
	}
	if v, ok := value(e.scrape(t), "stolik_agent_backlog", "agent=agt_2"); ok {
		t.Errorf("hub-1 reports hub-2's agent: %v", v)
	}
}
