// Package uplink is the agent's one websocket to the hub. It streams the
// outbox to the hub in pipelined batches, deletes events only after the hub
// acknowledged them, runs the hub's commands at most once and reports their
// results until the hub acknowledged those too.
//
// # Connection life
//
// Run dials each hub URL in turn (base URL + wire.ConnectPath, credential in
// the Authorization header). After a full round of failures it sleeps a
// capped exponential backoff with full jitter: a uniform random delay in
// [0, min(BackoffMax, BackoffMin·2^attempt)], so a fleet of agents cut off
// together does not come back together. The attempt count resets once a
// connection has stayed up for a minute. A refused credential (HTTP 401) or
// protocol version (HTTP 426) will not fix itself quickly, so those rounds
// wait with the ceiling at BackoffMax.
//
// On a connection the agent sends Hello and waits for Welcome. Welcome says
// which sequence the hub has durably applied: the uplink acks that much in
// the outbox (deleting it), rewinds the outbox's sent mark to it and resends
// everything after it. The hub ignores events it already applied, so a cut
// mid-batch costs a resend, never a loss or a double effect.
//
// # Goroutines per connection
//
// One reader goroutine reads frames and hands them to the serve loop; one
// writer goroutine owns every write (batches, status, results, pings); the
// serve loop owns the connection's state (cursor, in-flight batches) and
// calls the outbox. A failure anywhere closes the connection; the session
// waits for both goroutines before Run dials again, so nothing leaks.
//
// The writer pings every PingInterval. A hub silent for PongWait (no
// message, ping or pong) while the reader listens is taken for dead. A
// write may take WriteWait plus one second per 32 KiB, so that a megabyte
// batch still gets through a slow restaurant uplink.
//
// # Batches and acks
//
// While fewer than Window batches are unacknowledged, the serve loop takes
// the next events after its cursor from the outbox and sends them. Acks are
// cumulative: Ack{Seq} retires the batches it covers at once, and a third
// goroutine deletes the events up to Seq from the outbox, merging acks that
// arrive while it waits for the disk, so that fsyncs never stall sending.
// An ack for a sequence never sent is a protocol error and ends the
// connection.
//
// # Commands
//
// A command is recorded durably (Commands.BeginCommand) before it runs, so a
// command the hub delivers twice runs once. A command past its expiry is
// finished with wire.CodeExpired without running; expiry is judged on the
// hub's clock, estimated from Welcome.ServerTime. Commands run in their own
// goroutines, at most MaxCommands at a time, and survive reconnects: the
// result is stored (FinishCommand) and sent on whatever connection is up,
// and resent after each Welcome until the hub answers with ResultAck.
//
// # Wiring
//
// The outbox's Next, Ack, Rewind and Notify satisfy Outbox directly. Its
// BeginCommand returns the outbox's own Begin type, so the command inbox is
// plugged in through a small adapter that embeds the outbox and converts
// that one result:
//
//	type commands struct{ *outbox.Outbox }
//
//	func (c commands) BeginCommand(ctx context.Context, cmd wire.Command) (uplink.Begin, error) {
//		b, err := c.Outbox.BeginCommand(ctx, cmd)
//		return uplink.Begin{Run: b.Run, Result: b.Result}, err
//	}
//
// Config.LastSeq and Config.Status read the outbox's Stats.
//
// # Limits
//
// An event whose encoding alone exceeds wire.MaxMessageSize can never be
// sent: each connection ends with an error naming it, and the events behind
// it wait. Connectors must keep single entities well below a megabyte.
//
// If the hub has applied more than the outbox ever assigned (the agent's
// data directory was wiped), the uplink logs it as an error but cannot fix
// it: the hub ignores new events until their sequence passes AppliedSeq.
package uplink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stolik/stolik/shared/wire"
)

// Outbox is the durable event log the uplink drains.
type Outbox interface {
	// NextRaw returns events with Seq > after, in order, each encoded as
	// wire.AppendEvent writes it: at most max events and about maxBytes of
	// encoded events, but at least one if any is stored. An empty result
	// means nothing is waiting.
	NextRaw(after uint64, max, maxBytes int) ([]wire.RawEvent, error)
	// Ack durably deletes every event with Seq <= seq. Acking an older seq
	// is a no-op.
	Ack(ctx context.Context, seq uint64) error
	// Rewind moves the outbox's sent mark back to seq: everything after it
	// will be sent again.
	Rewind(seq uint64)
	// Notify returns a channel that receives after each append.
	Notify() <-chan struct{}
}

// Begin says what to do with a command the hub delivered.
type Begin struct {
	// Run is true when the command is new; it is now recorded as started.
	Run bool
	// Result, when Run is false, is the stored result to send again; nil
	// when the hub already acknowledged it.
	Result *wire.Result
}

// Commands is the durable command inbox.
type Commands interface {
	// BeginCommand records a command id before it runs. It returns Run
	// true for a new id, and for a known id the stored result (Run false).
	BeginCommand(ctx context.Context, c wire.Command) (Begin, error)
	// FinishCommand durably stores a command's result.
	FinishCommand(ctx context.Context, r wire.Result) error
	// UnackedResults returns stored results the hub has not acknowledged,
	// oldest first.
	UnackedResults() ([]wire.Result, error)
	// AckResult records that the hub stored the result of commandID.
	AckResult(ctx context.Context, commandID string) error
	// LastCommand returns the id of the last command finished, or "".
	LastCommand() string
}

// Executor runs one command and returns its result. It must return when
// ctx is done (the agent is stopping); the uplink stores whatever it
// returns, so a command is never run a second time.
type Executor func(ctx context.Context, c wire.Command) wire.Result

// Defaults for zero Config fields.
const (
	DefaultWindow           = 4
	DefaultMaxBatch         = 1000
	DefaultMaxBatchBytes    = wire.MaxMessageSize - batchMargin
	DefaultBackoffMin       = 500 * time.Millisecond
	DefaultBackoffMax       = 60 * time.Second
	DefaultStatusInterval   = 30 * time.Second
	DefaultHandshakeTimeout = 15 * time.Second
	DefaultMaxCommands      = 4
)

// batchMargin is room left in a message for the envelope and the commas
// between events, which the outbox's byte count does not see.
const batchMargin = 64 << 10

// stableAfter is how long a connection must stay up before the backoff
// starts again from BackoffMin.
const stableAfter = time.Minute

// Config configures an Uplink. Zero durations and counts take the defaults.
type Config struct {
	// URLs are the hub's base URLs (ws, wss, http or https), tried in turn.
	URLs []string
	// AgentID and Secret are the agent's credential.
	AgentID, Secret string
	// Hello carries Version, OS, Connector and Capabilities; the uplink
	// fills in the protocol, agent id, last seq and last command.
	Hello wire.Hello
	// LastSeq returns the newest sequence number the outbox assigned.
	LastSeq func() uint64
	// Window is how many unacknowledged batches may be in flight; the hub
	// may lower it in Welcome.Settings.
	Window int
	// MaxBatch is the most events in one batch; the hub may lower it.
	MaxBatch int
	// MaxBatchBytes bounds the encoded events of one batch.
	MaxBatchBytes int
	// BackoffMin and BackoffMax bound the reconnect delay.
	BackoffMin, BackoffMax time.Duration
	// StatusInterval is how often Status is sent; it is also sent right
	// after each Welcome.
	StatusInterval time.Duration
	// Status reports backlog, connector health and counters. Nil sends no
	// status.
	Status func() wire.Status
	// OnWelcome, if set, is called with each Welcome, before any batch is
	// sent on that connection. It must not block.
	OnWelcome func(wire.Welcome)
	// Dialer dials the hub; nil uses one with HandshakeTimeout and the
	// proxy from the environment.
	Dialer *websocket.Dialer
	// HandshakeTimeout bounds the websocket upgrade and the wait for
	// Welcome.
	HandshakeTimeout time.Duration
	// MaxCommands is how many commands may run at once.
	MaxCommands int
	// Logger receives the uplink's logs; nil discards them.
	Logger *slog.Logger
	// PingInterval, PongWait and WriteWait are the heartbeat timings;
	// defaults come from package wire. Tests shorten them.
	PingInterval, PongWait, WriteWait time.Duration
}

// Errors callers may test for in Stats.LastError.
var (
	// ErrUnauthorized means the hub refused the agent's credential.
	ErrUnauthorized = errors.New("hub refused the agent credential")
	// ErrVersion means the hub does not speak this agent's protocol.
	ErrVersion = errors.New("hub needs another protocol version")
	// ErrProtocol means the hub sent something the protocol does not allow.
	ErrProtocol = errors.New("protocol error")
)

// HubError is an error the hub reported (wire.Error) before closing.
type HubError struct {
	Code, Message string
}

// Error returns the hub's code and message.
func (e *HubError) Error() string {
	return fmt.Sprintf("hub error %s: %s", e.Code, e.Message)
}

// Unwrap maps the hub's error codes to the package's sentinels, so that a
// revoked credential counts as ErrUnauthorized and an unsupported version as
// ErrVersion.
func (e *HubError) Unwrap() error {
	switch e.Code {
	case wire.ErrCodeRevoked:
		return ErrUnauthorized
	case wire.ErrCodeVersion:
		return ErrVersion
	case wire.ErrCodeProtocol:
		return ErrProtocol
	}
	return nil
}

// Stats describes the uplink's connection history.
type Stats struct {
	// Connected is true between a Welcome and the end of that connection.
	Connected bool
	// URL is the hub URL of the current or last connection attempt.
	URL string
	// Connects counts welcomed connections; Disconnects counts their ends.
	Connects, Disconnects uint64
	// DialFailures counts attempts that ended before a Welcome.
	DialFailures uint64
	// BatchesSent and EventsSent count what was sent, resends included.
	BatchesSent, EventsSent uint64
	// AckedSeq is the newest sequence the hub acknowledged.
	AckedSeq uint64
	// LastError is the error that ended the last attempt or connection.
	LastError error
}

// Uplink keeps the agent's connection to the hub.
type Uplink struct {
	cfg    Config
	urls   []string // full connect URLs, in cfg.URLs order
	log    *slog.Logger
	outbox Outbox
	cmds   Commands
	exec   Executor

	jitter      func(n int64) int64 // uniform in [0, n); tests seed it
	onBackoff   func(ceiling, d time.Duration)
	stableAfter time.Duration
	running     sync.Mutex // held by Run

	execWG  sync.WaitGroup // command goroutines
	slots   chan struct{}  // one token per running command
	results chan struct{}  // capacity 1: pending has results

	mu      sync.Mutex
	active  map[string]bool // command ids being run by this process
	pending []wire.Result   // finished results the serve loop has not sent
	stats   Stats
}

// New checks cfg, fills in defaults and returns an Uplink. Every problem
// with cfg is reported at once.
func New(cfg Config, outbox Outbox, cmds Commands, exec Executor) (*Uplink, error) {
	cfg = withDefaults(cfg)
	urls, err := validate(cfg, outbox, cmds, exec)
	if err != nil {
		return nil, fmt.Errorf("uplink config: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Uplink{
		cfg:         cfg,
		urls:        urls,
		log:         log,
		outbox:      outbox,
		cmds:        cmds,
		exec:        exec,
		jitter:      rand.Int64N,
		stableAfter: stableAfter,
		slots:       make(chan struct{}, cfg.MaxCommands),
		results:     make(chan struct{}, 1),
		active:      make(map[string]bool),
	}, nil
}

func withDefaults(c Config) Config {
	orDefault(&c.Window, DefaultWindow)
	orDefault(&c.MaxBatch, DefaultMaxBatch)
	orDefault(&c.MaxBatchBytes, DefaultMaxBatchBytes)
	orDefault(&c.MaxCommands, DefaultMaxCommands)
	orDefault(&c.BackoffMin, DefaultBackoffMin)
	orDefault(&c.BackoffMax, DefaultBackoffMax)
	orDefault(&c.StatusInterval, DefaultStatusInterval)
	orDefault(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	orDefault(&c.PingInterval, wire.PingInterval)
	orDefault(&c.PongWait, wire.PongWait)
	orDefault(&c.WriteWait, wire.WriteWait)
	if c.Dialer == nil {
		c.Dialer = &websocket.Dialer{
			Proxy:            http.ProxyFromEnvironment,
			HandshakeTimeout: c.HandshakeTimeout,
		}
	}
	return c
}

func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

func validate(c Config, o Outbox, cmds Commands, exec Executor) ([]string, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.URLs) == 0 {
		bad("no hub URL")
	}
	var urls []string
	for _, raw := range c.URLs {
		u, err := connectURL(raw)
		if err != nil {
			bad("hub URL %q: %w", raw, err)
			continue
		}
		urls = append(urls, u)
	}
	if c.AgentID == "" || c.Secret == "" {
		bad("agent id and secret are required")
	}
	if strings.Contains(c.AgentID, ":") {
		bad("agent id %q must not contain ':'", c.AgentID)
	}
	if c.LastSeq == nil {
		bad("LastSeq is required")
	}
	if o == nil || cmds == nil || exec == nil {
		bad("outbox, command inbox and executor are required")
	}
	if c.Window < 1 || c.MaxBatch < 1 || c.MaxCommands < 1 {
		bad("window, max batch and max commands must be at least 1")
	}
	if c.MaxBatchBytes < 1 || c.MaxBatchBytes > DefaultMaxBatchBytes {
		bad("max batch bytes must be between 1 and %d", DefaultMaxBatchBytes)
	}
	if c.BackoffMin <= 0 || c.BackoffMax < c.BackoffMin {
		bad("need 0 < backoff min <= backoff max")
	}
	for _, d := range []time.Duration{c.StatusInterval, c.HandshakeTimeout,
		c.PingInterval, c.PongWait, c.WriteWait} {
		if d < 0 {
			bad("durations must not be negative")
			break
		}
	}
	if c.PingInterval >= c.PongWait {
		bad("ping interval %v must be shorter than pong wait %v", c.PingInterval, c.PongWait)
	}
	return urls, errors.Join(errs...)
}

// connectURL turns a hub base URL into the websocket URL agents connect to.
func connectURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("scheme must be ws, wss, http or https")
	}
	if u.Host == "" {
		return "", fmt.Errorf("no host")
	}
	if !strings.HasSuffix(u.Path, wire.ConnectPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + wire.ConnectPath
	}
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String(), nil
}

// Run connects to the hub and serves the connection, reconnecting after
// every failure, until ctx is done. It waits for running commands to return
// and returns ctx.Err(). Run must not be called twice at the same time.
func (u *Uplink) Run(ctx context.Context) error {
	if !u.running.TryLock() {
		return errors.New("uplink is already running")
	}
	defer u.running.Unlock()
	defer u.execWG.Wait()

	attempt, start := 0, 0
	for ctx.Err() == nil {
		slow := false
		for k := range u.urls {
			i := (start + k) % len(u.urls)
			up, err := u.connect(ctx, u.urls[i])
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if up > 0 {
				// This hub worked: come back to it first, after a pause so
				// that a hub which drops us at once is not hammered.
				start = i
				if up >= u.stableAfter {
					attempt = 0
				}
				break
			}
			slow = slow || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrVersion)
		}

		ceiling := ceilingFor(attempt, u.cfg.BackoffMin, u.cfg.BackoffMax)
		if slow {
			ceiling = u.cfg.BackoffMax
		}
		d := jittered(ceiling, u.jitter)
		if u.onBackoff != nil {
			u.onBackoff(ceiling, d)
		}
		attempt++
		u.log.Debug("waiting before reconnecting", "delay", d, "attempt", attempt)
		if !sleep(ctx, d) {
			break
		}
	}
	return ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Connected reports whether a connection to the hub is up and welcomed.
func (u *Uplink) Connected() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.stats.Connected
}

// Stats returns a snapshot of the uplink's counters.
func (u *Uplink) Stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.stats
}

func (u *Uplink) update(f func(s *Stats)) {
	u.mu.Lock()
	f(&u.stats)
	u.mu.Unlock()
}
