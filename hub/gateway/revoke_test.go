package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/hub/gateway"
	"github.com/stolik/stolik/shared/wire"
)

// TestRevokedFoundOnStatus: an agent revoked in the store behind the
// gateway's back (the stolik-hub command on the embedded store) is closed
// on its next status, told why, and cannot connect again.
func TestRevokedFoundOnStatus(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	secret := addAgent(t, e.store, "agt_a")
	ws, _ := e.connect(t, "agt_a", secret)
	if err := e.store.RevokeAgent(context.Background(), "agt_a", time.Now()); err != nil {
		t.Fatal(err)
	}
	send(t, ws, wire.TypeStatus, wire.Status{Backlog: 1})
	expectError(t, ws, wire.ErrCodeRevoked)
	if e.gw.Live("agt_a").Connected {
		t.Error("revoked agent still live")
	}
	h := http.Header{}
	wire.SetCredential(h, "agt_a", secret)
	_, resp, err := websocket.DefaultDialer.Dial(e.url(wire.ConnectPath), h)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reconnect: %v (%s), want 401", err, respText(resp))
	}
}

// TestRevokedFoundOnHeartbeat: an idle revoked agent, which only answers
// pings, is closed once its last-seen time is due to be written.
func TestRevokedFoundOnHeartbeat(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{PingInterval: 50 * time.Millisecond})
	ws, _ := e.connect(t, "agt_a", addAgent(t, e.store, "agt_a"))
	if err := e.store.RevokeAgent(context.Background(), "agt_a", time.Now()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(gateway.LastSeenEvery)
	// Reading answers the gateway's pings (gorilla's default handler).
	expectError(t, ws, wire.ErrCodeRevoked)
}

// TestDropRevoked: DropRevoked closes an agent the store has revoked and
// leaves a valid one alone, whatever the caller heard.
func TestDropRevoked(t *testing.T) {
	e := newEnv(t, nil, gateway.Options{})
	wsA, _ := e.connect(t, "agt_a", addAgent(t, e.store, "agt_a"))
	wsB, _ := e.connect(t, "agt_b", addAgent(t, e.store, "agt_b"))

	e.gw.DropRevoked("agt_b") // not revoked: a stray notification
	e.gw.DropRevoked("agt_unknown")
	if !e.gw.Live("agt_b").Connected {
		t.Fatal("valid agent dropped")
	}

	if err := e.store.RevokeAgent(context.Background(), "agt_a", time.Now()); err != nil {
		t.Fatal(err)
	}
	e.gw.DropRevoked("agt_a")
	if e.gw.Live("agt_a").Connected {
		t.Error("revoked agent still live after DropRevoked")
	}
	expectError(t, wsA, wire.ErrCodeRevoked)

	send(t, wsB, wire.TypeStatus, wire.Status{Backlog: 2})
	waitFor(t, "agt_b's status saved", func() bool {
		return getAgent(t, e.store, "agt_b").Status.Backlog == 2
	})
	if !e.gw.Live("agt_b").Connected {
		t.Error("valid agent closed")
	}
}
