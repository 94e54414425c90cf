package uplink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/shared/wire"
)

// session is one websocket connection to the hub.
type session struct {
	u    *Uplink
	conn *websocket.Conn
	log  *slog.Logger

	out  chan []byte        // frames for the writer
	in   chan wire.Envelope // frames from the reader
	done chan struct{}      // closed by fail
	once sync.Once
	err  error // why the session ended; set before done is closed
	wg   sync.WaitGroup

	// Owned by the serve loop.
	cursor   uint64        // newest seq sent
	acked    uint64        // newest seq the hub acknowledged
	inflight []uint64      // last seq of each unacknowledged batch, ascending
	window   int           // effective Window
	maxBatch int           // effective MaxBatch
	skew     time.Duration // hub clock minus ours, from Welcome.ServerTime

	deleteWake chan struct{} // capacity 1: deleteTo grew
	deleteMu   sync.Mutex
	deleteTo   uint64 // newest seq acked by the hub, for deleteLoop
}

// connect dials target, runs the handshake and serves the connection until
// it fails or ctx is done. up is how long the connection stayed welcomed;
// zero means it never was.
func (u *Uplink) connect(ctx context.Context, target string) (up time.Duration, err error) {
	log := u.log.With("hub", target)
	u.update(func(s *Stats) { s.URL = target })

	s, w, err := u.open(ctx, target, log)
	if err == nil {
		defer s.conn.Close()
		return s.run(ctx, w)
	}
	if ctx.Err() != nil {
		return 0, err
	}

	u.update(func(s *Stats) { s.DialFailures++; s.LastError = err })
	switch {
	case errors.Is(err, ErrUnauthorized):
		log.Error("hub refused the agent credential: check agent id/secret or re-enroll",
			"err", err)
	case errors.Is(err, ErrVersion):
		log.Error("hub needs another protocol version: update the agent",
			"protocol", wire.Version, "err", err)
	default:
		log.Warn("cannot connect to hub", "err", err)
	}
	return 0, err
}

// open dials target and runs the handshake: a welcomed session, or an
// error with the connection closed.
func (u *Uplink) open(ctx context.Context, target string,
	log *slog.Logger) (*session, wire.Welcome, error) {
	conn, err := u.dial(ctx, target)
	if err != nil {
		return nil, wire.Welcome{}, err
	}
	s := &session{
		u: u, conn: conn, log: log,
		out:  make(chan []byte),
		in:   make(chan wire.Envelope),
		done: make(chan struct{}),

		deleteWake: make(chan struct{}, 1),
	}
	w, err := s.handshake(ctx)
	if err == nil {
		err = s.welcome(ctx, w)
	}
	if err != nil {
		conn.Close()
		return nil, w, err
	}
	return s, w, nil
}

// run serves a welcomed connection and keeps the stats.
func (s *session) run(ctx context.Context, w wire.Welcome) (time.Duration, error) {
	u := s.u
	since := time.Now()
	u.update(func(st *Stats) { st.Connected = true; st.Connects++ })
	s.log.Info("connected to hub", "applied_seq", w.AppliedSeq, "venue", w.VenueID,
		"window", s.window, "max_batch", s.maxBatch)

	err := s.serve(ctx)
	up := max(time.Since(since), time.Nanosecond)

	u.update(func(st *Stats) {
		st.Connected, st.Disconnects = false, st.Disconnects+1
		if ctx.Err() == nil {
			st.LastError = err
		}
	})
	if ctx.Err() == nil {
		var he *HubError
		if errors.As(err, &he) {
			s.log.Error("hub closed the connection", "code", he.Code, "message", he.Message,
				"up", up)
		} else {
			s.log.Warn("connection to hub lost", "err", err, "up", up)
		}
	}
	return up, err
}

// dial opens the websocket, turning the hub's refusals into clear errors.
func (u *Uplink) dial(ctx context.Context, target string) (*websocket.Conn, error) {
	h := http.Header{}
	wire.SetCredential(h, u.cfg.AgentID, u.cfg.Secret)
	conn, resp, err := u.cfg.Dialer.DialContext(ctx, target, h)
	if err == nil {
		return conn, nil
	}
	if resp == nil {
		return nil, fmt.Errorf("dial hub: %w", err)
	}
	// The body is the hub's plain-text reason; gorilla has already read it.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	reason := strings.TrimSpace(string(b))
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("%w: HTTP 401: %s", ErrUnauthorized, reason)
	case http.StatusUpgradeRequired:
		return nil, fmt.Errorf("%w: HTTP 426: %s", ErrVersion, reason)
	}
	return nil, fmt.Errorf("dial hub: HTTP %s: %s", resp.Status, reason)
}

// handshake sends Hello and waits for Welcome, before the reader and writer
// start.
func (s *session) handshake(ctx context.Context) (wire.Welcome, error) {
	var w wire.Welcome
	deadline := time.Now().Add(s.u.cfg.HandshakeTimeout)
	s.conn.SetReadLimit(wire.MaxMessageSize)

	// Cancelling ctx must not wait for the deadline.
	stop := context.AfterFunc(ctx, func() { s.conn.Close() })
	defer stop()

	hello := s.u.cfg.Hello
	hello.Protocol = wire.Version
	hello.AgentID = s.u.cfg.AgentID
	hello.LastSeq = s.u.cfg.LastSeq()
	hello.LastCommand = s.u.cmds.LastCommand()
	frame, err := wire.Encode(wire.TypeHello, hello)
	if err != nil {
		return w, err
	}
	_ = s.conn.SetWriteDeadline(deadline)
	if err := s.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		return w, fmt.Errorf("send hello: %w", err)
	}

	_ = s.conn.SetReadDeadline(deadline)
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			return w, fmt.Errorf("wait for welcome: %w", err)
		}
		env, err := wire.Decode(data)
		if err != nil {
			return w, fmt.Errorf("wait for welcome: %w", err)
		}
		switch env.Type {
		case wire.TypeWelcome:
			if err := wire.DecodeBody(env, &w); err != nil {
				return w, err
			}
			if w.Protocol < wire.MinVersion || w.Protocol > wire.Version {
				return w, fmt.Errorf("%w: hub welcomed with protocol %d, agent speaks %d..%d",
					ErrVersion, w.Protocol, wire.MinVersion, wire.Version)
			}
			return w, nil
		case wire.TypeError:
			return w, decodeHubError(env)
		case wire.TypeAck, wire.TypeCommand, wire.TypeResultAck:
			return w, fmt.Errorf("%w: hub sent %s before welcome", ErrProtocol, env.Type)
		default:
			s.log.Debug("ignoring unknown message type", "type", env.Type)
		}
	}
}

// welcome applies a Welcome: the hub holds everything up to AppliedSeq.
func (s *session) welcome(ctx context.Context, w wire.Welcome) error {
	u := s.u
	last := u.cfg.LastSeq()
	if w.AppliedSeq > last {
		// The hub will ignore new events until their seq passes AppliedSeq.
		s.log.Error("hub has applied more events than this agent ever stored: "+
			"was the agent's data directory reset? new changes are ignored by the hub "+
			"until the sequence catches up; ask support to resync this agent",
			"applied_seq", w.AppliedSeq, "last_seq", last)
	}
	// The outbox refuses acks beyond the newest sequence it assigned.
	if n := min(w.AppliedSeq, last); n > 0 {
		if err := u.outbox.Ack(ctx, n); err != nil {
			return fmt.Errorf("ack applied events: %w", err)
		}
	}
	u.outbox.Rewind(w.AppliedSeq)
	s.cursor, s.acked = w.AppliedSeq, w.AppliedSeq
	u.update(func(st *Stats) { st.AckedSeq = w.AppliedSeq })

	// The hub may lower the window and batch size, never raise them.
	s.window, s.maxBatch = u.cfg.Window, u.cfg.MaxBatch
	if n := w.Settings.Window; n > 0 && n < s.window {
		s.window = n
	}
	if n := w.Settings.MaxBatch; n > 0 && n < s.maxBatch {
		s.maxBatch = n
	}

	if !w.ServerTime.IsZero() {
		s.skew = time.Until(w.ServerTime)
		if s.skew > time.Minute || s.skew < -time.Minute {
			s.log.Warn("this computer's clock differs from the hub's; command expiry "+
				"uses the hub's time", "skew", s.skew.Round(time.Second))
		}
	}
	if u.cfg.OnWelcome != nil {
		u.cfg.OnWelcome(w)
	}
	return nil
}

// fail ends the session with err; the first error wins.
func (s *session) fail(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.done)
		s.conn.Close()
	})
}

// serve runs the reader, the writer and the deleter and drives the
// connection until it fails or ctx is done. All three have returned when
// serve returns.
func (s *session) serve(ctx context.Context) error {
	s.wg.Add(3)
	go s.readLoop()
	go s.writeLoop()
	go s.deleteLoop(ctx)
	defer s.wg.Wait()

	err := s.loop(ctx)
	if ctx.Err() != nil {
		// Say goodbye; the hub logs a normal closure instead of an error.
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "agent stopping")
		_ = s.conn.WriteControl(websocket.CloseMessage, msg,
			time.Now().Add(200*time.Millisecond))
		err = ctx.Err()
	}
	s.fail(err)
	return s.err
}

func (s *session) loop(ctx context.Context) error {
	if err := s.sendResults(true); err != nil {
		return err
	}
	if err := s.sendStatus(); err != nil {
		return err
	}
	if err := s.fill(); err != nil {
		return err
	}

	status := time.NewTicker(s.u.cfg.StatusInterval)
	defer status.Stop()
	notify := s.u.outbox.Notify()
	for {
		var err error
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return s.err
		case env := <-s.in:
			err = s.handle(ctx, env)
		case <-notify:
			err = s.fill()
		case <-s.u.results:
			err = s.sendResults(false)
		case <-status.C:
			err = s.sendStatus()
		}
		if err != nil {
			return err
		}
	}
}

// readLoop reads frames until the connection fails. Any message, pong or
// ping from the hub proves it alive and extends the read deadline.
func (s *session) readLoop() {
	defer s.wg.Done()
	c := s.conn
	alive := func() { _ = c.SetReadDeadline(time.Now().Add(s.u.cfg.PongWait)) }
	c.SetPongHandler(func(string) error { alive(); return nil })
	c.SetPingHandler(func(data string) error {
		alive()
		// A failed pong shows up as a failed read or write soon enough.
		_ = c.WriteControl(websocket.PongMessage, []byte(data),
			time.Now().Add(s.u.cfg.WriteWait))
		return nil
	})

	for {
		// The hub's silence counts only while we listen: after waiting for
		// the serve loop (busy with slow writes, say), start a fresh wait.
		alive()
		_, data, err := c.ReadMessage()
		if err != nil {
			s.fail(fmt.Errorf("read: %w", err))
			return
		}
		env, err := wire.Decode(data)
		if err != nil {
			s.log.Error("hub sent a malformed frame", "err", err, "size", len(data))
			s.fail(err)
			return
		}
		select {
		case s.in <- env:
		case <-s.done:
			return
		}
	}
}

// writeLoop owns every write to the connection but the pong replies and the
// final close frame, which gorilla allows concurrently.
func (s *session) writeLoop() {
	defer s.wg.Done()
	ping := time.NewTicker(s.u.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-s.done:
			return
		case f := <-s.out:
			_ = s.conn.SetWriteDeadline(time.Now().Add(writeWait(s.u.cfg.WriteWait, len(f))))
			if err := s.conn.WriteMessage(websocket.TextMessage, f); err != nil {
				s.fail(fmt.Errorf("write: %w", err))
				return
			}
		case <-ping.C:
			deadline := time.Now().Add(s.u.cfg.WriteWait)
			if err := s.conn.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
				s.fail(fmt.Errorf("ping: %w", err))
				return
			}
		}
	}
}

// minWriteRate is the slowest upload (bytes per second) on which a large
// batch is still expected to get through, about 256 kbit/s.
const minWriteRate = 32 << 10

// writeWait is how long writing a frame of n bytes may take: WriteWait
// catches a dead connection, and a restaurant's slow uplink needs longer
// than that for a batch of a megabyte.
func writeWait(base time.Duration, n int) time.Duration {
	return base + time.Duration(n)*time.Second/minWriteRate
}

// send hands a message to the writer.
func (s *session) send(t wire.Type, body any) error {
	frame, err := wire.Encode(t, body)
	if err != nil {
		return err
	}
	return s.sendFrame(frame)
}

func (s *session) sendFrame(frame []byte) error {
	select {
	case s.out <- frame:
		return nil
	case <-s.done:
		return s.err
	}
}

// handle acts on one message from the hub.
func (s *session) handle(ctx context.Context, env wire.Envelope) error {
	switch env.Type {
	case wire.TypeAck:
		var a wire.Ack
		if err := wire.DecodeBody(env, &a); err != nil {
			return s.malformed(err)
		}
		return s.ack(a.Seq)
	case wire.TypeCommand:
		var c wire.Command
		if err := wire.DecodeBody(env, &c); err != nil {
			return s.malformed(err)
		}
		if c.ID == "" {
			return s.malformed(fmt.Errorf("%w: command without id", wire.ErrMalformed))
		}
		return s.command(ctx, c)
	case wire.TypeResultAck:
		var a wire.ResultAck
		if err := wire.DecodeBody(env, &a); err != nil {
			return s.malformed(err)
		}
		if err := s.u.cmds.AckResult(ctx, a.CommandID); err != nil {
			// Harmless: the result is sent again after the next Welcome and
			// acknowledged again. Dropping the connection would not help.
			s.log.Error("cannot record the hub's result ack", "command", a.CommandID,
				"err", err)
		}
		return nil
	case wire.TypeError:
		return decodeHubError(env)
	case wire.TypeWelcome, wire.TypeHello, wire.TypeBatch, wire.TypeStatus, wire.TypeResult:
		return fmt.Errorf("%w: unexpected %s from the hub", ErrProtocol, env.Type)
	}
	s.log.Debug("ignoring unknown message type", "type", env.Type)
	return nil
}

func (s *session) malformed(err error) error {
	s.log.Error("hub sent a malformed message", "err", err)
	return err
}

func decodeHubError(env wire.Envelope) error {
	var e wire.Error
	if err := wire.DecodeBody(env, &e); err != nil {
		return err
	}
	return &HubError{Code: e.Code, Message: e.Message}
}

// ack handles a cumulative ack: the hub durably applied everything up to
// seq. The batches it covers leave the window at once; the outbox deletes
// the events in the background (deleteLoop).
func (s *session) ack(seq uint64) error {
	if seq > s.cursor {
		return fmt.Errorf("%w: ack for seq %d, newest sent is %d", ErrProtocol, seq, s.cursor)
	}
	if seq <= s.acked {
		return nil // a repeated ack for a resent batch
	}
	s.acked = seq
	n := 0
	for n < len(s.inflight) && s.inflight[n] <= seq {
		n++
	}
	s.inflight = s.inflight[n:]
	s.u.update(func(st *Stats) { st.AckedSeq = seq })

	s.deleteMu.Lock()
	s.deleteTo = seq
	s.deleteMu.Unlock()
	select {
	case s.deleteWake <- struct{}{}:
	default:
	}
	return s.fill()
}

// deleteLoop deletes acknowledged events from the outbox, off the path that
// sends batches: a delete costs an fsync, and several acks that arrive
// meanwhile are merged into one. A delete still pending when the
// connection ends is not lost: the next Welcome acks it again.
func (s *session) deleteLoop(ctx context.Context) {
	defer s.wg.Done()
	var deleted uint64
	for {
		select {
		case <-s.done:
			return
		case <-s.deleteWake:
		}
		s.deleteMu.Lock()
		seq := s.deleteTo
		s.deleteMu.Unlock()
		if seq <= deleted {
			continue
		}
		// Only after a reset outbox (see welcome) can seq pass the newest
		// sequence the outbox assigned, which it would refuse to ack.
		if err := s.u.outbox.Ack(ctx, min(seq, s.u.cfg.LastSeq())); err != nil {
			s.fail(fmt.Errorf("delete acknowledged events: %w", err))
			return
		}
		deleted = seq
	}
}

// fill sends batches while the window has room and the outbox has events.
func (s *session) fill() error {
	for len(s.inflight) < s.window {
		events, err := s.u.outbox.NextRaw(s.cursor, s.maxBatch, s.u.cfg.MaxBatchBytes)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(events) == 0 {
			return nil
		}
		frame, n, err := s.batchFrame(events)
		if err != nil {
			return err
		}
		if n < len(events) {
			// The rest goes in the next batch.
			s.u.outbox.Rewind(events[n-1].Seq)
		}
		if err := s.sendFrame(frame); err != nil {
			return err
		}
		last := events[n-1].Seq
		s.cursor = last
		s.inflight = append(s.inflight, last)
		s.u.update(func(st *Stats) { st.BatchesSent++; st.EventsSent += uint64(n) })
	}
	return nil
}

// batchFrame encodes the longest prefix of events, halving as needed, that
// fits in one message. It returns the frame and how many events it holds.
func (s *session) batchFrame(events []wire.RawEvent) ([]byte, int, error) {
	prev := s.cursor
	for _, e := range events {
		if e.Seq <= prev {
			return nil, 0, fmt.Errorf("outbox returned seq %d after %d", e.Seq, prev)
		}
		prev = e.Seq
	}
	for n := len(events); ; n /= 2 {
		// A new buffer each time: the writer goroutine owns a sent frame.
		frame := wire.AppendRawBatch(make([]byte, 0, rawSize(events[:n])+64), events[:n])
		if len(frame) <= wire.MaxMessageSize {
			return frame, n, nil
		}
		if n == 1 {
			return nil, 0, fmt.Errorf("event seq %d is %d bytes, over the %d-byte "+
				"message limit", events[0].Seq, len(frame), wire.MaxMessageSize)
		}
	}
}

// sendStatus sends the agent's status, if the caller provides one.
func (s *session) sendStatus() error {
	if s.u.cfg.Status == nil {
		return nil
	}
	return s.send(wire.TypeStatus, s.u.cfg.Status())
}

func rawSize(events []wire.RawEvent) int {
	n := 0
	for _, e := range events {
		n += len(e.JSON) + 1
	}
	return n
}
