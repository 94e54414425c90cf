// Package gateway is the hub's websocket endpoint for agents.
//
// An agent connects to /agent/v{N}/connect with its credential in the
// Authorization header. The gateway checks the protocol version and the
// credential before upgrading. Each connection then has one reader goroutine,
// which takes the agent's messages in order (hello, batches, status, results)
// and has them handled against the store, and one writer goroutine, which
// owns every write (queued replies, commands, pings, pongs, the close
// frame) under a write deadline. A batch is acked only after the store
// applied it, so an ack always means "durable". A full send queue closes the
// connection: a slow agent never blocks its reader or other agents.
//
// An idle connection is kept small (see BenchmarkIdleConnections): the write
// buffer comes from a shared pool and is held only while a frame is written;
// the read buffer is 1 KiB; the send queue is a slice allocated only while
// frames wait; the parked writer's stack shrinks back to the minimum; one
// heartbeat goroutine asks every writer to ping; and the reader's stack
// stays at the minimum because messages are handled on short-lived
// goroutines (see conn).
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// Defaults for Options.
const (
	DefaultSendQueue = 64
	// LastSeenEvery is how often, at most, an agent's last-seen time is
	// written to the store while its connection only shows liveness.
	LastSeenEvery = 30 * time.Second

	// readBufferSize is the per-connection read buffer. Frame headers and
	// control frames fit; larger payloads are read past it.
	readBufferSize = 1024
	// closeGrace is how long a closing connection waits for the agent to
	// answer the close frame before the socket is closed.
	closeGrace = time.Second
	// maxLoggedTypes bounds the set of unknown message types remembered
	// for logging once.
	maxLoggedTypes = 64
)

// Options tune a Gateway. Zero values take the defaults.
type Options struct {
	// SendQueue is how many outgoing frames may wait for one connection; a
	// connection whose queue overflows is closed. Default DefaultSendQueue.
	SendQueue int
	// Logger receives the gateway's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock for timestamps (last seen, server time); default
	// time.Now. Deadlines always use the real clock.
	Now func() time.Time
	// PingInterval, PongWait and WriteWait default to the wire constants.
	PingInterval, PongWait, WriteWait time.Duration
	// Settings are sent to every agent in Welcome.
	Settings wire.Settings
	// OnApplied, if set, is called after a batch that changed the mirror
	// of an agent's venue was applied and acked; OnResult after a command
	// result was stored. They run on the connection's reader: they must
	// return quickly (hand the work to another goroutine).
	OnApplied func(agentID, venueID string)
	OnResult  func(agentID string, c hub.Command, r wire.Result)
	// OnBatch, if set, is called for every batch applied and acked, with
	// what the store did and the time from the batch read off the socket
	// to its ack queued for the writer (metrics). It runs on the
	// connection's reader: it must return at once.
	OnBatch func(agentID string, res hub.ApplyResult, took time.Duration)
	// Replica names this hub process; it is recorded as the holder of each
	// agent's connection, so that other replicas know where it is.
	Replica string
}

func (o Options) withDefaults() Options {
	if o.SendQueue <= 0 {
		o.SendQueue = DefaultSendQueue
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PingInterval <= 0 {
		o.PingInterval = wire.PingInterval
	}
	if o.PongWait <= 0 {
		o.PongWait = wire.PongWait
	}
	if o.WriteWait <= 0 {
		o.WriteWait = wire.WriteWait
	}
	return o
}

// Stats are a gateway's running totals since New.
type Stats struct {
	// Connections is the number of agent connections open now, including
	// ones still in the handshake.
	Connections int
	// Accepted counts connections upgraded after authentication.
	Accepted uint64
	// Refused counts connect requests refused for their version or
	// credential.
	Refused uint64
	// Batches counts batches applied and acknowledged.
	Batches uint64
	// Events counts events newly applied; Duplicates counts events skipped
	// because they were applied before.
	Events, Duplicates uint64
	// Commands counts commands sent; Results counts results stored.
	Commands, Results uint64
	// ProtocolErrors counts connections closed because of what the agent
	// sent: malformed or oversized messages, wrong order, wrong hello.
	ProtocolErrors uint64
	// StoreErrors counts store calls that failed.
	StoreErrors uint64
	// SlowAgents counts connections closed because their send queue
	// overflowed.
	SlowAgents uint64
	// Replaced counts connections replaced by a newer one of the same agent.
	Replaced uint64
}

type counters struct {
	connections    atomic.Int64
	accepted       atomic.Uint64
	refused        atomic.Uint64
	batches        atomic.Uint64
	events         atomic.Uint64
	duplicates     atomic.Uint64
	commands       atomic.Uint64
	results        atomic.Uint64
	protocolErrors atomic.Uint64
	storeErrors    atomic.Uint64
	slowAgents     atomic.Uint64
	replaced       atomic.Uint64
}

// Gateway accepts agent websockets and serves them. It implements
// http.Handler (mount it at "/agent/") and hub.Fleet.
type Gateway struct {
	store    hub.Store
	opts     Options
	log      *slog.Logger
	upgrader websocket.Upgrader
	stats    counters

	// ctx is passed to store calls; Close cancels it when connections do
	// not end in time.
	ctx    context.Context
	cancel context.CancelFunc
	// stop ends the heartbeat.
	stop chan struct{}
	// wg counts reader and writer goroutines. Add is called under mu while
	// closed is false, so it never races with Close's Wait.
	wg sync.WaitGroup

	mu      sync.Mutex
	conns   map[string]*conn   // current connection per agent id; guarded by mu
	closed  bool               // Close was called; guarded by mu
	unknown map[wire.Type]bool // message types already logged; guarded by mu
}

var _ hub.Fleet = (*Gateway)(nil)

// New returns a gateway serving agents from store.
func New(store hub.Store, opts Options) *Gateway {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		store: store,
		opts:  opts,
		log:   opts.Logger,
		upgrader: websocket.Upgrader{
			HandshakeTimeout: opts.WriteWait,
			ReadBufferSize:   readBufferSize,
			WriteBufferPool:  &bufferPool{},
		},
		ctx:     ctx,
		cancel:  cancel,
		stop:    make(chan struct{}),
		conns:   make(map[string]*conn),
		unknown: make(map[wire.Type]bool),
	}
	go g.heartbeat()
	return g
}

// heartbeat has every connection ping its agent each PingInterval. One
// ticker for all connections keeps timers out of the idle connection.
func (g *Gateway) heartbeat() {
	t := time.NewTicker(g.opts.PingInterval)
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
		g.mu.Lock()
		for _, c := range g.conns {
			conns = append(conns, c)
		}
		g.mu.Unlock()
		for i, c := range conns {
			c.ping()
			conns[i] = nil
		}
		conns = conns[:0]
	}
}

// bufferPool lends websocket write buffers to connections while they write
// a frame, so an idle connection holds none.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() any  { return b.p.Get() }
func (b *bufferPool) Put(v any) { b.p.Put(v) }

// dummyHash is compared against when the agent is unknown, so that an
// unknown id takes as long to refuse as a wrong secret.
var dummyHash = hub.HashSecret("no such agent")

// ServeHTTP accepts an agent connection on /agent/v{N}/connect. It refuses a
// protocol version outside [wire.MinVersion, wire.Version] with 426 and a bad
// credential with 401, both before upgrading. After the upgrade it returns
// once the agent's hello is handled (or the connection failed before).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	version, ok := parseConnectPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if version < wire.MinVersion || version > wire.Version {
		g.stats.refused.Add(1)
		g.log.Warn("agent refused: unsupported protocol version",
			"version", version, "remote", r.RemoteAddr)
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, fmt.Sprintf("this hub speaks agent protocol versions %d to %d, "+
			"not %d; update the agent", wire.MinVersion, wire.Version, version),
			http.StatusUpgradeRequired)
		return
	}

	agent, status, reason := g.authenticate(r)
	if status != 0 {
		g.stats.refused.Add(1)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", wire.AuthScheme)
		}
		http.Error(w, reason, status)
		return
	}

	if g.isClosed() {
		http.Error(w, "hub shutting down, retry later", http.StatusServiceUnavailable)
		return
	}
	ws, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader already answered the request.
		g.log.Warn("agent websocket upgrade failed",
			"agent", agent.ID, "remote", r.RemoteAddr, "err", err)
		return
	}
	g.stats.accepted.Add(1)

	c := newConn(g, ws, agent, r.RemoteAddr)
	if !g.register(c) {
		ws.Close()
		return
	}
	// Once the hello is handled the handler returns: the request and the
	// server's per-connection state are released, only the reader and writer
	// goroutines and the conn remain.
	c.serve()
}

// parseConnectPath returns N from "/agent/v{N}/connect".
func parseConnectPath(p string) (int, bool) {
	rest, ok := strings.CutPrefix(p, "/agent/v")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, "/connect")
	if !ok || num == "" || len(num) > 6 {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// authenticate checks the request's credential. It returns a non-zero HTTP
// status and a reason safe to show when the agent must be refused. Unknown
// ids and wrong secrets get the same answer.
func (g *Gateway) authenticate(r *http.Request) (hub.Agent, int, string) {
	const invalid = "invalid agent credential"
	id, secret, err := wire.Credential(r.Header)
	if err != nil {
		g.log.Warn("agent refused: no valid credential", "remote", r.RemoteAddr, "err", err)
		return hub.Agent{}, http.StatusUnauthorized, "missing or malformed agent credential"
	}

	agent, err := g.store.Agent(r.Context(), id)
	switch {
	case errors.Is(err, hub.ErrNotFound):
		hub.CheckSecret(dummyHash, secret)
		g.log.Warn("agent refused: unknown agent", "agent", id, "remote", r.RemoteAddr)
		return hub.Agent{}, http.StatusUnauthorized, invalid
	case err != nil:
		g.stats.storeErrors.Add(1)
		g.log.Error("agent refused: store failed", "agent", id, "remote", r.RemoteAddr,
			"err", err)
		return hub.Agent{}, http.StatusServiceUnavailable, "hub unavailable, retry later"
	}
	if !hub.CheckSecret(agent.SecretHash, secret) {
		g.log.Warn("agent refused: wrong secret", "agent", id, "remote", r.RemoteAddr)
		return hub.Agent{}, http.StatusUnauthorized, invalid
	}
	if agent.RevokedAt != nil {
		// Only the holder of the right secret learns that it was revoked.
		g.log.Warn("agent refused: credential revoked", "agent", id, "remote", r.RemoteAddr)
		return hub.Agent{}, http.StatusUnauthorized, "agent credential revoked"
	}
	return agent, 0, ""
}

func (g *Gateway) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// register makes c the agent's current connection, replacing an older one.
// It reports false when the gateway is closed.
func (g *Gateway) register(c *conn) bool {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false
	}
	old := g.conns[c.agentID]
	g.conns[c.agentID] = c
	g.wg.Add(2) // the reader and the writer
	g.stats.connections.Add(1)
	g.mu.Unlock()
	go c.writer()

	if old != nil {
		g.stats.replaced.Add(1)
		g.log.Info("agent connection replaced by a newer one", "agent", c.agentID,
			"old_remote", old.remote, "remote", c.remote)
		old.fail(websocket.ClosePolicyViolation, wire.ErrCodeReplaced,
			"another connection of this agent replaced this one")
	}
	return true
}

// unregister forgets c if it is still its agent's current connection.
func (g *Gateway) unregister(c *conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conns[c.agentID] == c {
		delete(g.conns, c.agentID)
	}
}

func (g *Gateway) lookup(agentID string) *conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.conns[agentID]
}

// Live reports whether the agent is connected to this gateway.
func (g *Gateway) Live(agentID string) hub.Live {
	c := g.lookup(agentID)
	if c == nil {
		return hub.Live{}
	}
	return hub.Live{Connected: true, Since: c.since, Remote: c.remote}
}

// Poke makes the agent's connection, if any, send the pending commands it has
// not sent yet. It does not block.
func (g *Gateway) Poke(agentID string) {
	if c := g.lookup(agentID); c != nil {
		c.poke()
	}
}

// Disconnect closes the agent's connection, if any. An agent whose credential
// is revoked is told so before the connection closes.
func (g *Gateway) Disconnect(agentID string) {
	c := g.lookup(agentID)
	if c == nil {
		return
	}
	g.unregister(c)

	a, err := g.store.Agent(g.ctx, agentID)
	if err == nil && a.RevokedAt != nil {
		g.log.Info("disconnecting revoked agent", "agent", agentID, "remote", c.remote)
		c.fail(websocket.ClosePolicyViolation, wire.ErrCodeRevoked,
			"agent credential revoked")
		return
	}
	g.log.Info("disconnecting agent", "agent", agentID, "remote", c.remote)
	c.closeWith(websocket.ClosePolicyViolation, "disconnected by the hub", nil)
}

// DropRevoked closes the agent's connection here, telling the agent why,
// if the store has its credential revoked; otherwise it does nothing. It
// is what a replica does when it hears that another process (a replica,
// the stolik-hub command) revoked an agent: only the store is trusted, so
// a notification naming an agent still valid changes nothing. It does not
// block on the connection.
func (g *Gateway) DropRevoked(agentID string) {
	c := g.lookup(agentID)
	if c == nil {
		return
	}
	a, err := g.store.Agent(g.ctx, agentID)
	if err != nil {
		if g.ctx.Err() == nil {
			g.stats.storeErrors.Add(1)
			g.log.Warn("check whether agent is revoked", "agent", agentID, "err", err)
		}
		return
	}
	if a.RevokedAt == nil {
		return
	}
	g.unregister(c)
	g.log.Info("disconnecting revoked agent", "agent", agentID, "remote", c.remote)
	c.fail(websocket.ClosePolicyViolation, wire.ErrCodeRevoked, "agent credential revoked")
}

// Close closes every agent connection with a going-away close frame and
// waits for them to end, at most WriteWait plus a few seconds; connections
// still open then are cut. New connections are refused from the start.
func (g *Gateway) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	close(g.stop)
	conns := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		conns = append(conns, c)
	}
	g.mu.Unlock()

	for _, c := range conns {
		c.closeWith(websocket.CloseGoingAway, "hub shutting down", nil)
	}

	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(g.opts.WriteWait + closeGrace + time.Second)
	defer timer.Stop()
	select {
	case <-done:
		g.cancel()
		return nil
	case <-timer.C:
	}

	// Cut what is left: store calls are cancelled, sockets closed.
	g.cancel()
	for _, c := range conns {
		c.kill()
	}
	select {
	case <-done:
		return nil
	case <-time.After(closeGrace):
		return fmt.Errorf("close gateway: %d connections did not end",
			g.stats.connections.Load())
	}
}

// Stats returns the gateway's counters.
func (g *Gateway) Stats() Stats {
	s := &g.stats
	return Stats{
		Connections:    int(s.connections.Load()),
		Accepted:       s.accepted.Load(),
		Refused:        s.refused.Load(),
		Batches:        s.batches.Load(),
		Events:         s.events.Load(),
		Duplicates:     s.duplicates.Load(),
		Commands:       s.commands.Load(),
		Results:        s.results.Load(),
		ProtocolErrors: s.protocolErrors.Load(),
		StoreErrors:    s.storeErrors.Load(),
		SlowAgents:     s.slowAgents.Load(),
		Replaced:       s.replaced.Load(),
	}
}

// logUnknownOnce reports whether a message type is seen for the first time
// (up to maxLoggedTypes types), so that it is logged once at warn level.
func (g *Gateway) logUnknownOnce(t wire.Type) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.unknown[t] || len(g.unknown) >= maxLoggedTypes {
		return false
	}
	g.unknown[t] = true
	return true
}
