package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/shared/wire"
)

// TestRevokeAcrossReplicas: an agent connected to replica A is revoked
// through replica B's store (as the stolik-hub command or B's dashboard
// would). A hears it by NOTIFY and closes the agent at once, telling it
// why, long before any heartbeat; the agent cannot connect again.
func TestRevokeAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan struct{})
	go func() {
		// What stolik-hub serve runs on every replica.
		close(listening)
		_ = a.store.(*postgres.Store).ListenRevoked(ctx, a.gw.DropRevoked)
	}()
	<-listening

	wsURL := "ws" + strings.TrimPrefix(a.srv.URL, "http") + wire.ConnectPath
	h := http.Header{}
	wire.SetCredential(h, "agt_0", "secret of agt_0")
	ws, resp, err := websocket.DefaultDialer.Dial(wsURL, h)
	if err != nil {
		t.Fatalf("dial replica A: %v (%v)", err, resp)
	}
	defer ws.Close()
	frame, _ := wire.Encode(wire.TypeHello, wire.Hello{Protocol: wire.Version,
		AgentID: "agt_0", Version: "test", LastSeq: 0})
	mustDo(t, ws.WriteMessage(websocket.TextMessage, frame))
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if env := readEnvelope(t, ws); env.Type != wire.TypeWelcome {
		t.Fatalf("first message %s, want welcome", env.Type)
	}
	// The listener may still be connecting: revoke once it surely listens.
	waitUntil(t, 5*time.Second, "replica A listening", func() bool {
		conn, err := pgx.Connect(ctx, b.dbURL)
		if err != nil {
			return false
		}
		defer conn.Close(ctx)
		var n int
		err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE query LIKE 'LISTEN %stolik_revoked%'`).Scan(&n)
		return err == nil && n > 0
	})

	start := time.Now()
	mustDo(t, b.store.RevokeAgent(ctx, "agt_0", time.Now().UTC()))
	_ = ws.SetReadDeadline(time.Now().Add(wire.PingInterval))
	env := readEnvelope(t, ws)
	var e wire.Error
	if env.Type != wire.TypeError || wire.DecodeBody(env, &e) != nil ||
		e.Code != wire.ErrCodeRevoked {
		t.Fatalf("after the revocation got %s %+v, want error %s", env.Type, e,
			wire.ErrCodeRevoked)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("revoked agent closed after %v, want at once", took)
	}
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err,
		websocket.ClosePolicyViolation) {
		t.Errorf("after the error: %v, want close %d", err, websocket.ClosePolicyViolation)
	}
	if a.gw.Live("agt_0").Connected {
		t.Error("replica A still holds the revoked agent")
	}

	for _, r := range rs {
		url := "ws" + strings.TrimPrefix(r.srv.URL, "http") + wire.ConnectPath
		_, resp, err := websocket.DefaultDialer.Dial(url, h)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("reconnect to %s: %v, want 401", r.name, err)
		}
	}
}

func readEnvelope(t *testing.T, ws *websocket.Conn) wire.Envelope {
	t.Helper()
	_, frame, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	env, err := wire.Decode(frame)
	if err != nil {
		t.Fatalf("decode %q: %v", frame, err)
	}
	return env
}
