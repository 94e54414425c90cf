package gateway

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// conn is one agent connection.
//
// The reader goroutine reads the agent's messages in order. It hands each
// one to a short-lived goroutine and waits for it, so that decoding and store
// calls never grow the reader's stack: Go halves a stack at most once per
// collection and keeps it while more than a quarter is in use (counting an
// 800-byte guard), so a reader that once handled a batch would hold 8 KiB
// for good; one that only reads stays at the 2 KiB minimum.
//
// The writer goroutine owns every write: queued messages, pending commands,
// pings, pongs and the close frame, each under a WriteWait deadline. It
// lives as long as the connection and sleeps on wake between bursts; its
// parked frame is small, so the runtime shrinks its stack back to the
// minimum once the burst is over.
//
// Closing: fail and closeWith stop message handling and let the writer send
// what is queued, a close frame, and wait briefly for the agent's answer;
// kill ends the connection at once. Both are safe from any goroutine.
type conn struct {
	g       *Gateway
	ws      *websocket.Conn
	agentID string
	remote  string
	since   time.Time

	done     chan struct{} // closed by kill
	wake     chan struct{} // capacity 1: the writer has something to do
	killOnce sync.Once

	mu        sync.Mutex
	queue     [][]byte // frames waiting for the writer; guarded by mu
	pong      []byte   // payload of a ping to answer, or nil; guarded by mu
	pingDue   bool     // the heartbeat asks for a ping; guarded by mu
	poked     bool     // pending commands should be looked up; guarded by mu
	welcomed  bool     // Welcome is queued, commands may follow; guarded by mu
	closing   bool     // messages are no longer handled; guarded by mu
	closeCode int      // close frame the writer ends with; guarded by mu
	closeText string   // guarded by mu
	dead      bool     // kill was called: nothing is written any more; guarded by mu

	// Owned by the reader (and the goroutine it waits for).
	hello   bool            // the agent's hello was accepted
	venueID string          // the agent's venue, from hello on
	status  hub.AgentStatus // what the store holds, to refresh LastSeen
	savedAt time.Time       // when status was last written

	// Owned by the writer: commands sent on this connection, still pending.
	sent map[string]struct{}
}

func newConn(g *Gateway, ws *websocket.Conn, a hub.Agent, remote string) *conn {
	return &conn{
		g:       g,
		ws:      ws,
		agentID: a.ID,
		remote:  remote,
		since:   g.opts.Now(),
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		status:  a.Status,
	}
}

// kickLocked wakes the writer if there is something to write. The caller
// holds c.mu.
func (c *conn) kickLocked() {
	if c.dead {
		return
	}
	if len(c.queue) == 0 && c.pong == nil && !c.pingDue && !c.closing &&
		!(c.poked && c.welcomed) {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// send queues a message for the writer. A full queue means the agent does
// not read: the connection is killed rather than blocking the caller.
func (c *conn) send(t wire.Type, body any) {
	frame, err := wire.Encode(t, body)
	if err != nil {
		c.g.log.Error("encode message for agent", "agent", c.agentID, "err", err)
		return
	}

	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.g.opts.SendQueue {
		c.mu.Unlock()
		c.g.stats.slowAgents.Add(1)
		c.g.log.Warn("agent does not read, send queue full; closing", "agent", c.agentID,
			"remote", c.remote, "queue", c.g.opts.SendQueue)
		c.kill()
		return
	}
	c.queue = append(c.queue, frame)
	c.kickLocked()
	c.mu.Unlock()
}

// ping asks the writer to send a ping.
func (c *conn) ping() {
	c.mu.Lock()
	c.pingDue = true
	c.kickLocked()
	c.mu.Unlock()
}

// poke asks the writer to look up pending commands.
func (c *conn) poke() {
	c.mu.Lock()
	c.poked = true
	c.kickLocked()
	c.mu.Unlock()
}

// welcome lets commands follow the queued Welcome and asks for them.
func (c *conn) welcome() {
	c.mu.Lock()
	c.welcomed = true
	c.poked = true
	c.kickLocked()
	c.mu.Unlock()
}

// fail sends the agent an Error and closes the connection.
func (c *conn) fail(closeCode int, code, message string) {
	frame, err := wire.Encode(wire.TypeError, wire.Error{Code: code, Message: message})
	if err != nil {
		frame = nil
	}
	c.closeWith(closeCode, code, frame)
}

// closeWith stops handling messages and has the writer send frame (if any),
// then a close frame with code and text (none if code is 0). The frame may
// exceed the queue bound by one: it is the last.
func (c *conn) closeWith(code int, text string, frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closing = true
	c.closeCode, c.closeText = code, text
	if frame != nil {
		c.queue = append(c.queue, frame)
	}
	c.kickLocked()
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// kill ends the connection now: the socket is closed, so a blocked read or
// write returns.
func (c *conn) kill() {
	c.killOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.dead = true
		c.queue = nil
		c.mu.Unlock()

		close(c.done)
		c.ws.Close()
		c.g.unregister(c)
		c.g.stats.connections.Add(-1)
	})
}

func (c *conn) killed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// writer is the connection's writer goroutine: it waits to be woken and
// writes until nothing is left, until the connection ends.
func (c *conn) writer() {
	defer c.g.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		if !c.writeAvailable() {
			return
		}
	}
}

// writeAvailable writes what is queued until nothing is left. It returns
// false when the connection is over.
func (c *conn) writeAvailable() bool {
	for {
		c.mu.Lock()
		frames, pong, ping := c.queue, c.pong, c.pingDue
		c.queue, c.pong, c.pingDue = nil, nil, false
		poke := c.poked && c.welcomed && !c.closing
		if poke {
			c.poked = false
		}
		closing, code, text, dead := c.closing, c.closeCode, c.closeText, c.dead
		c.mu.Unlock()
		if dead {
			return false
		}
		if len(frames) == 0 && pong == nil && !ping && !poke && !closing {
			return true
		}

		if err := c.writeAll(frames, pong, ping, poke); err != nil {
			c.writeFailed(err)
			return false
		}
		if closing {
			c.finish(code, text)
			return false
		}
	}
}

func (c *conn) writeAll(frames [][]byte, pong []byte, ping, poke bool) error {
	deadline := time.Now().Add(c.g.opts.WriteWait)
	if pong != nil {
		if err := c.ws.WriteControl(websocket.PongMessage, pong, deadline); err != nil {
			return err
		}
	}
	for _, f := range frames {
		if err := c.write(f); err != nil {
			return err
		}
	}
	if ping {
		if err := c.ws.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
			return err
		}
	}
	if poke {
		return c.sendPending()
	}
	return nil
}

func (c *conn) write(frame []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(c.g.opts.WriteWait)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func (c *conn) writeFailed(err error) {
	if !c.killed() {
		c.g.log.Info("write to agent failed; closing", "agent", c.agentID,
			"remote", c.remote, "err", err)
	}
	c.kill()
}

// finish writes the close frame, waits a moment for the agent to answer it
// (the reader then sees the close and kills) and kills the connection.
func (c *conn) finish(code int, text string) {
	if code != 0 {
		msg := websocket.FormatCloseMessage(code, text)
		_ = c.ws.WriteControl(websocket.CloseMessage, msg,
			time.Now().Add(c.g.opts.WriteWait))
	}
	timer := time.NewTimer(closeGrace)
	defer timer.Stop()
	select {
	case <-c.done:
	case <-timer.C:
	}
	c.kill()
}

// sendPending writes the agent's pending commands not yet sent on this
// connection, oldest first.
func (c *conn) sendPending() error {
	cmds, err := c.g.store.PendingCommands(c.g.ctx, c.agentID)
	if err != nil {
		// The next poke or connection tries again.
		c.g.stats.storeErrors.Add(1)
		c.g.log.Error("list pending commands", "agent", c.agentID, "err", err)
		return nil
	}

	// Forget commands that are no longer pending, so the set stays small.
	var sent map[string]struct{}
	for _, cmd := range cmds {
		if c.isClosing() {
			break
		}
		if _, ok := c.sent[cmd.ID]; !ok {
			frame, err := wire.Encode(wire.TypeCommand, cmd.Wire())
			if err != nil {
				c.g.log.Error("encode command", "agent", c.agentID, "command", cmd.ID,
					"err", err)
				continue
			}
			if err := c.write(frame); err != nil {
				return err
			}
			c.g.stats.commands.Add(1)
		}
		if sent == nil {
			sent = make(map[string]struct{}, len(cmds))
		}
		sent[cmd.ID] = struct{}{}
	}
	c.sent = sent
	return nil
}

// serve runs the connection on the request's goroutine until the agent's
// hello is handled, then hands reading to a new goroutine, which starts with
// a small stack; the request's goroutine and its stack end.
func (c *conn) serve() {
	c.ws.SetReadLimit(wire.MaxMessageSize)
	c.extend()
	// Control frames are handled inside NextReader, on the reader's stack.
	c.ws.SetPongHandler(func(string) error {
		c.alive()
		return nil
	})
	c.ws.SetPingHandler(func(data string) error {
		c.alive()
		c.mu.Lock()
		c.pong = []byte(data)
		c.kickLocked()
		c.mu.Unlock()
		return nil
	})

	for {
		typ, r, err := c.ws.NextReader()
		if err != nil {
			c.readEnded(err)
			break
		}
		if !c.receive(typ, r) {
			break
		}
		if c.hello {
			go c.readLoop()
			return
		}
	}
	c.kill()
	c.g.wg.Done()
}

// readLoop waits for the agent's messages until the connection ends. Only
// the wait happens on this goroutine, in a frame kept small: the idle wait
// of gorilla's reader needs nearly all of a minimum (2 KiB) stack. Each
// message is read and handled on a goroutine of its own.
func (c *conn) readLoop() {
	for {
		typ, r, err := c.ws.NextReader()
		if !c.handOff(typ, r, err) {
			break
		}
	}
	c.kill()
	c.g.wg.Done()
}

// handOff has a message received on a new goroutine and waits for it. It
// reports false when reading is over.
//
//go:noinline
func (c *conn) handOff(typ int, r io.Reader, err error) bool {
	if err != nil {
		c.readEnded(err)
		return false
	}
	more := false
	offload(func() { more = c.receive(typ, r) })
	return more
}

// receive reads the rest of a message and handles it. It reports false
// when reading is over.
func (c *conn) receive(typ int, r io.Reader) bool {
	frame, err := io.ReadAll(r)
	if err != nil {
		c.readEnded(err)
		return false
	}
	received := time.Now()
	if c.isClosing() {
		// Drain until the agent answers our close frame.
		return true
	}
	c.alive()
	if typ != websocket.TextMessage {
		c.protocolError("binary frame; messages are JSON text frames")
		return true
	}
	c.handle(frame, received)
	return true
}

// readEnded logs why reading ended. After an oversized message it lingers:
// the websocket library sent close 1009 and reads no more, and closing the
// socket now, with unread data, would reset it and the agent might lose that
// close frame.
func (c *conn) readEnded(err error) {
	c.readFailed(err)
	if errors.Is(err, websocket.ErrReadLimit) {
		c.closeWith(0, "", nil)
		<-c.done
	}
}

// offload runs fn on a new goroutine and waits for it: fn's stack is freed
// when it returns instead of staying with the reader.
func offload(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// extend moves the read deadline: the agent has PongWait to show life.
func (c *conn) extend() {
	_ = c.ws.SetReadDeadline(time.Now().Add(c.g.opts.PongWait))
}

// alive records a sign of life: a message, a ping or a pong. The store
// learns the last-seen time at most every LastSeenEvery.
func (c *conn) alive() {
	if c.isClosing() {
		return
	}
	c.extend()
	if !c.hello {
		return
	}
	now := c.g.opts.Now()
	if now.Sub(c.savedAt) >= LastSeenEvery {
		// The store call needs a deep stack: not the reader's.
		offload(func() { c.saveStatus(now) })
	}
}

// saveStatus writes c.status with LastSeen now. A failure is logged; the
// connection goes on. It first reads the agent again: an agent revoked
// since it connected (by another replica, or by the stolik-hub command on
// the embedded store, which no notification reaches) is told so and
// closed, at the latest a LastSeenEvery after the revocation.
func (c *conn) saveStatus(now time.Time) {
	c.status.LastSeen = now
	c.savedAt = now
	if a, err := c.g.store.Agent(c.g.ctx, c.agentID); err == nil && a.RevokedAt != nil {
		c.g.unregister(c)
		c.storeFailed("update agent status", hub.ErrRevoked)
		return
	}
	if err := c.g.store.UpdateAgentStatus(c.g.ctx, c.agentID, c.status); err != nil {
		c.g.stats.storeErrors.Add(1)
		c.g.log.Error("update agent status", "agent", c.agentID, "err", err)
	}
}

func (c *conn) readFailed(err error) {
	if c.killed() || c.isClosing() {
		return // we ended it; the reason is logged already
	}
	log := c.g.log.With("agent", c.agentID, "remote", c.remote)
	var ne net.Error
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		c.g.stats.protocolErrors.Add(1)
		log.Warn("agent message too large; closed with 1009",
			"limit_bytes", wire.MaxMessageSize)
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
		log.Info("agent closed the connection")
	case errors.As(err, &ne) && ne.Timeout():
		log.Warn("agent silent too long (no message or pong); closing",
			"pong_wait", c.g.opts.PongWait)
	default:
		log.Info("agent connection lost", "err", err)
	}
}
