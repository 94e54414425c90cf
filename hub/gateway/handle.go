package gateway

import (
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// protocolError logs what the agent got wrong, tells it and closes.
func (c *conn) protocolError(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.g.stats.protocolErrors.Add(1)
	c.g.log.Warn("agent protocol error; closing", "agent", c.agentID, "remote", c.remote,
		"err", msg)
	c.fail(websocket.CloseProtocolError, wire.ErrCodeProtocol, msg)
}

// storeFailed logs a store failure and closes without acknowledging: the
// agent resends after reconnecting. A revoked agent is told so.
func (c *conn) storeFailed(what string, err error) {
	if errors.Is(err, hub.ErrRevoked) {
		c.g.log.Info("agent credential revoked; closing", "agent", c.agentID,
			"remote", c.remote)
		c.fail(websocket.ClosePolicyViolation, wire.ErrCodeRevoked, "agent credential revoked")
		return
	}
	c.g.stats.storeErrors.Add(1)
	c.g.log.Error("store failed; closing agent connection", "agent", c.agentID,
		"op", what, "err", err)
	c.closeWith(websocket.CloseInternalServerErr, "hub store failed, retry later", nil)
}

// handle dispatches one message, read off the socket at received. Before the
// hello, only a hello is accepted.
func (c *conn) handle(frame []byte, received time.Time) {
	env, err := wire.Decode(frame)
	if err != nil {
		c.protocolError("%v", err)
		return
	}
	if !c.hello {
		if env.Type != wire.TypeHello {
			c.protocolError("first message must be %s, got %q", wire.TypeHello, env.Type)
			return
		}
		c.handleHello(env)
		return
	}

	switch env.Type {
	case wire.TypeBatch:
		c.handleBatch(env, received)
	case wire.TypeStatus:
		c.handleStatus(env)
	case wire.TypeResult:
		c.handleResult(env)
	case wire.TypeHello:
		c.protocolError("second %s on one connection", wire.TypeHello)
	default:
		// Forward compatible: a newer agent may send what we do not know.
		if c.g.logUnknownOnce(env.Type) {
			c.g.log.Warn("ignoring unknown message type from agent (logged once per type)",
				"agent", c.agentID, "type", env.Type)
		} else {
			c.g.log.Debug("ignoring unknown message type from agent",
				"agent", c.agentID, "type", env.Type)
		}
	}
}

func (c *conn) handleHello(env wire.Envelope) {
	var h wire.Hello
	if err := wire.DecodeBody(env, &h); err != nil {
		c.protocolError("%v", err)
		return
	}
	if h.Protocol < wire.MinVersion || h.Protocol > wire.Version {
		c.g.stats.protocolErrors.Add(1)
		msg := fmt.Sprintf("this hub speaks agent protocol versions %d to %d, "+
			"the agent speaks %d; update the agent", wire.MinVersion, wire.Version, h.Protocol)
		c.g.log.Warn("agent refused: unsupported protocol in hello", "agent", c.agentID,
			"remote", c.remote, "protocol", h.Protocol, "agent_version", h.Version)
		c.fail(websocket.CloseProtocolError, wire.ErrCodeVersion, msg)
		return
	}
	if h.AgentID != c.agentID {
		c.protocolError("hello agent_id %q does not match the credential", h.AgentID)
		return
	}

	// Read the agent again: its applied sequence may have moved since the
	// credential was checked (a replaced connection still applying).
	a, err := c.g.store.Agent(c.g.ctx, c.agentID)
	if err != nil {
		c.storeFailed("read agent", err)
		return
	}
	now := c.g.opts.Now()
	if h.LastSeq < a.AppliedSeq && !c.restart(&a, h.LastSeq, now) {
		return
	}
	c.status = a.Status
	c.status.Version = h.Version
	c.status.OS = h.OS
	c.status.Connector = h.Connector
	c.status.Capabilities = h.Capabilities
	c.status.RMSAccount = h.RMSAccount
	c.status.LastSeen = now
	c.status.Replica = c.g.opts.Replica
	if err := c.g.store.UpdateAgentStatus(c.g.ctx, c.agentID, c.status); err != nil {
		c.storeFailed("update agent status", err)
		return
	}
	c.savedAt = now
	c.hello = true
	c.venueID = a.VenueID

	c.send(wire.TypeWelcome, wire.Welcome{
		Protocol:   h.Protocol,
		AppliedSeq: a.AppliedSeq,
		VenueID:    a.VenueID,
		Settings:   c.g.opts.Settings,
		ServerTime: now,
	})
	c.welcome()

	c.g.log.Info("agent connected", "agent", c.agentID, "remote", c.remote,
		"protocol", h.Protocol, "version", h.Version, "os", h.OS, "connector", h.Connector,
		"applied_seq", a.AppliedSeq, "agent_last_seq", h.LastSeq)
}

// restart handles an agent whose outbox is behind what the hub applied: its
// data directory was wiped or restored from a backup. Its sequence numbers
// start again below the hub's, so the venue's mirror is rebuilt: forgotten
// here, and sent again whole by the agent (on its own after a wipe, through
// a resync command after a restore). It updates a and reports false if the
// connection failed.
func (c *conn) restart(a *hub.Agent, lastSeq uint64, now time.Time) bool {
	c.g.log.Warn("agent's outbox is behind the hub (data directory wiped or restored); "+
		"rebuilding the venue's mirror from the agent", "agent", c.agentID,
		"venue", a.VenueID, "applied_seq", a.AppliedSeq, "agent_last_seq", lastSeq)
	if err := c.g.store.ResetMirror(c.g.ctx, c.agentID, lastSeq); err != nil {
		c.storeFailed("reset mirror", err)
		return false
	}
	a.AppliedSeq = lastSeq
	if lastSeq == 0 {
		return true
	}
	cmd := hub.Command{
		ID: hub.NewID("cmd"), AgentID: c.agentID, Kind: wire.CommandResync,
		CreatedAt: now, Expires: now.Add(time.Hour), State: hub.CommandPending,
	}
	if err := c.g.store.EnqueueCommand(c.g.ctx, cmd); err != nil {
		c.storeFailed("enqueue resync", err)
		return false
	}
	if err := c.g.store.ScheduleJob(c.g.ctx, hub.CommandExpiryJob(cmd)); err != nil {
		c.g.log.Warn("schedule command expiry", "command", cmd.ID, "err", err)
	}
	return true
}

func (c *conn) handleBatch(env wire.Envelope, received time.Time) {
	var b wire.Batch
	if err := wire.DecodeBody(env, &b); err != nil {
		c.protocolError("%v", err)
		return
	}
	// The store checks the batch (hub.CheckBatch) inside its transaction.
	res, err := c.g.store.ApplyBatch(c.g.ctx, c.agentID, b.Events)
	if errors.Is(err, hub.ErrInvalid) {
		c.protocolError("batch refused, nothing applied: %v", err)
		return
	}
	if err != nil {
		c.storeFailed("apply batch", err)
		return
	}
	c.g.stats.batches.Add(1)
	c.g.stats.events.Add(uint64(res.Applied))
	c.g.stats.duplicates.Add(uint64(res.Skipped))
	c.send(wire.TypeAck, wire.Ack{Seq: res.Seq})
	if c.g.opts.OnBatch != nil {
		c.g.opts.OnBatch(c.agentID, res, time.Since(received))
	}
	if res.Applied > 0 && c.g.opts.OnApplied != nil {
		c.g.opts.OnApplied(c.agentID, c.venueID)
	}
}

func (c *conn) handleStatus(env wire.Envelope) {
	var s wire.Status
	if err := wire.DecodeBody(env, &s); err != nil {
		c.protocolError("%v", err)
		return
	}
	c.status.Backlog = s.Backlog
	c.status.Health = s.Connector
	c.status.Counters = s.Counters
	c.saveStatus(c.g.opts.Now())
}

func (c *conn) handleResult(env wire.Envelope) {
	var r wire.Result
	if err := wire.DecodeBody(env, &r); err != nil {
		c.protocolError("%v", err)
		return
	}
	if r.CommandID == "" {
		c.protocolError("result without command_id")
		return
	}

	err := c.g.store.FinishCommand(c.g.ctx, c.agentID, r)
	switch {
	case errors.Is(err, hub.ErrNotFound):
		// Nothing to store it in; ack so that the agent stops resending.
		c.g.log.Warn("result for an unknown command; acknowledged and dropped",
			"agent", c.agentID, "command", r.CommandID)
	case err != nil:
		c.storeFailed("finish command", err)
		return
	default:
		c.g.stats.results.Add(1)
	}
	c.send(wire.TypeResultAck, wire.ResultAck{CommandID: r.CommandID})
	if err == nil && c.g.opts.OnResult != nil {
		// The stored command, with the first result if this one repeats it.
		if cmd, err := c.g.store.Command(c.g.ctx, r.CommandID); err == nil && cmd.Result != nil {
			c.g.opts.OnResult(c.agentID, cmd, *cmd.Result)
		}
	}
}
