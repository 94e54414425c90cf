package uplink_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/shared/wire"
)

const (
	testAgent  = "agent-1"
	testSecret = "s3cret"
)

// fakeHub speaks the hub's side of the protocol and records everything.
// Like the real hub it applies an event only if its seq is above the
// applied seq, acks with the applied seq, and redelivers pending commands
// after every welcome until their result arrives.
type fakeHub struct {
	t        testing.TB
	srv      *httptest.Server
	upgrader websocket.Upgrader
	release  chan struct{} // closed at cleanup: stalled handlers return

	mu sync.Mutex
	// Behaviour, set by tests.
	refuse     int           // HTTP status refusing every attempt; 0 accepts
	refuseN    int           // refuse this many more attempts with 503
	settings   wire.Settings // sent in Welcome
	holdAcks   bool          // leave batches unacked until ackOldest/releaseAcks
	ackResults bool          // answer results with ResultAck
	cutEvery   int           // close the connection on every n-th batch
	stallNext  bool          // the next connection stops reading after welcome
	silentNext bool          // the next connection never sends welcome
	dupCommand bool          // deliver each pending command twice
	ackDelay   time.Duration // send each ack this much later (simulated latency)
	target     uint64        // when applied reaches it, reached is closed
	reached    chan struct{}
	// Records.
	attempts   int
	hellos     []wire.Hello
	helloTimes []time.Time
	applied    uint64
	events     []wire.Event // applied, in order
	dupes      int          // events at or below applied seq, ignored
	batches    int
	maxBatch   int // most events in one batch
	maxUnacked int
	statuses   []wire.Status
	results    []wire.Result
	unknown    []wire.Type
	pending    []wire.Command
	conn       *hubConn // newest connection
}

type hubConn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	unacked []uint64       // last seq of each batch not acked yet
	delayed chan time.Time // when each delayed ack is due, in batch order
}

func newHub(t testing.TB) *fakeHub {
	t.Helper()
	h := &fakeHub{t: t, release: make(chan struct{}), ackResults: true}
	h.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		close(h.release)
		h.srv.CloseClientConnections()
		h.srv.Close()
	})
	return h
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.attempts++
	refuse := h.refuse
	if h.refuseN > 0 {
		h.refuseN--
		refuse = http.StatusServiceUnavailable
	}
	h.mu.Unlock()
	if r.URL.Path != wire.ConnectPath {
		http.NotFound(w, r)
		return
	}
	id, secret, err := wire.Credential(r.Header)
	if err != nil || id != testAgent || secret != testSecret {
		http.Error(w, "unknown agent or wrong secret", http.StatusUnauthorized)
		return
	}
	if refuse != 0 {
		http.Error(w, "refused by the test", refuse)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	ws.SetReadLimit(wire.MaxMessageSize)
	c := &hubConn{ws: ws}
	h.mu.Lock()
	delay := h.ackDelay
	h.mu.Unlock()
	if delay > 0 {
		c.delayed = make(chan time.Time, 1024)
		done := make(chan struct{})
		defer func() { close(c.delayed); <-done }()
		go func() {
			defer close(done)
			for due := range c.delayed {
				time.Sleep(time.Until(due))
				h.ack(c, 1)
			}
		}()
	}
	h.serve(c)
}

func (h *fakeHub) serve(c *hubConn) {
	var hello wire.Hello
	env, ok := read(c.ws)
	if !ok {
		return // the agent went away
	}
	if env.Type != wire.TypeHello || wire.DecodeBody(env, &hello) != nil {
		h.t.Errorf("fake hub: first message is not a hello")
		return
	}

	h.mu.Lock()
	h.hellos = append(h.hellos, hello)
	h.helloTimes = append(h.helloTimes, time.Now())
	h.conn = c
	silent, stall := h.silentNext, h.stallNext
	h.silentNext, h.stallNext = false, false
	welcome := wire.Welcome{Protocol: wire.Version, AppliedSeq: h.applied, VenueID: "venue-1",
		Settings: h.settings, ServerTime: time.Now()}
	pending := slices.Clone(h.pending)
	dup := h.dupCommand
	h.mu.Unlock()

	if silent || !c.write(wire.TypeWelcome, welcome) {
		<-h.release
		return
	}
	for _, cmd := range pending {
		c.write(wire.TypeCommand, cmd)
		if dup {
			c.write(wire.TypeCommand, cmd)
		}
	}
	if stall {
		// Stop reading: pings go unanswered.
		<-h.release
		return
	}

	for {
		env, ok := read(c.ws)
		if !ok {
			return
		}
		switch env.Type {
		case wire.TypeBatch:
			var b wire.Batch
			if err := wire.DecodeBody(env, &b); err != nil || len(b.Events) == 0 {
				h.t.Errorf("fake hub: bad batch: %v", err)
				return
			}
			if !h.batch(c, b) {
				return
			}
		case wire.TypeStatus:
			var s wire.Status
			_ = wire.DecodeBody(env, &s)
			h.mu.Lock()
			h.statuses = append(h.statuses, s)
			h.mu.Unlock()
		case wire.TypeResult:
			var r wire.Result
			_ = wire.DecodeBody(env, &r)
			h.mu.Lock()
			h.results = append(h.results, r)
			h.pending = slices.DeleteFunc(h.pending, func(c wire.Command) bool {
				return c.ID == r.CommandID
			})
			ack := h.ackResults
			h.mu.Unlock()
			if ack {
				c.write(wire.TypeResultAck, wire.ResultAck{CommandID: r.CommandID})
			}
		default:
			h.mu.Lock()
			h.unknown = append(h.unknown, env.Type)
			h.mu.Unlock()
		}
	}
}

// batch applies b and acks it; false means the connection was cut.
func (h *fakeHub) batch(c *hubConn, b wire.Batch) bool {
	h.mu.Lock()
	h.batches++
	h.maxBatch = max(h.maxBatch, len(b.Events))
	cut := h.cutEvery > 0 && h.batches%h.cutEvery == 0
	// Every other cut happens after the batch was applied, the others
	// before: the agent cannot know which and must resend either way.
	if !cut || (h.batches/h.cutEvery)%2 == 0 {
		for i, e := range b.Events {
			if i > 0 && e.Seq <= b.Events[i-1].Seq {
				h.t.Errorf("fake hub: batch out of order at seq %d", e.Seq)
			}
			if e.Seq <= h.applied {
				h.dupes++
				continue
			}
			h.events = append(h.events, e)
			h.applied = e.Seq
		}
		if h.reached != nil && h.applied >= h.target {
			close(h.reached)
			h.reached = nil
		}
	}
	c.unacked = append(c.unacked, b.Events[len(b.Events)-1].Seq)
	h.maxUnacked = max(h.maxUnacked, len(c.unacked))
	hold, delay := h.holdAcks, h.ackDelay
	h.mu.Unlock()

	switch {
	case cut:
		c.ws.Close()
		return false
	case hold:
	case delay > 0:
		c.delayed <- time.Now().Add(delay)
	default:
		h.ack(c, math.MaxInt)
	}
	return true
}

// reach returns a channel closed once the hub has applied seq.
func (h *fakeHub) reach(seq uint64) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.target, h.reached = seq, make(chan struct{})
	return h.reached
}

// ack acks the oldest n unacked batches of c with the applied seq, as far
// as it covers them.
func (h *fakeHub) ack(c *hubConn, n int) {
	h.mu.Lock()
	n = min(n, len(c.unacked))
	if n == 0 {
		h.mu.Unlock()
		return
	}
	seq := min(h.applied, c.unacked[n-1])
	c.unacked = c.unacked[n:]
	h.mu.Unlock()
	c.write(wire.TypeAck, wire.Ack{Seq: seq})
}

// ackOldest acks the oldest unacked batch on the current connection.
func (h *fakeHub) ackOldest() {
	h.mu.Lock()
	c := h.conn
	h.mu.Unlock()
	h.ack(c, 1)
}

// releaseAcks stops holding acks and acks everything outstanding.
func (h *fakeHub) releaseAcks() {
	h.mu.Lock()
	h.holdAcks = false
	c := h.conn
	h.mu.Unlock()
	h.ack(c, math.MaxInt)
}

// command queues cmd as pending and delivers it on the current connection.
func (h *fakeHub) command(cmd wire.Command) {
	h.mu.Lock()
	h.pending = append(h.pending, cmd)
	c := h.conn
	h.mu.Unlock()
	if c != nil {
		c.write(wire.TypeCommand, cmd)
	}
}

// send writes a message on the current connection.
func (h *fakeHub) send(t wire.Type, body any) {
	h.mu.Lock()
	c := h.conn
	h.mu.Unlock()
	c.write(t, body)
}

// sendRaw writes a raw frame on the current connection.
func (h *fakeHub) sendRaw(frame string) {
	h.mu.Lock()
	c := h.conn
	h.mu.Unlock()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

// cut closes the current connection.
func (h *fakeHub) cut() {
	h.mu.Lock()
	c := h.conn
	h.mu.Unlock()
	c.ws.Close()
}

func (h *fakeHub) with(f func(h *fakeHub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h)
}

func (h *fakeHub) connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.hellos)
}

func (c *hubConn) write(t wire.Type, body any) bool {
	frame, err := wire.Encode(t, body)
	if err != nil {
		panic(fmt.Sprintf("encode %s: %v", t, err))
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, frame) == nil
}

func read(ws *websocket.Conn) (wire.Envelope, bool) {
	_, data, err := ws.ReadMessage()
	if err != nil {
		return wire.Envelope{}, false
	}
	env, err := wire.Decode(data)
	return env, err == nil
}
