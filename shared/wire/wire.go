// Package wire is the protocol an agent and the hub speak over one websocket.
//
// Every message is a JSON object {"type": ..., "body": ...} in one websocket
// text frame of at most MaxMessageSize bytes. The protocol version is part of
// the connect path (ConnectPath); the hello/welcome handshake repeats it so
// that each side can refuse, with a clear error, a version it cannot speak.
//
// Forward compatibility: a receiver ignores message types and fields it does
// not know. A field is never renamed or given a new meaning; a change that
// cannot be expressed by adding fields needs a new Version. Golden files in
// testdata hold messages as encoded by every released version; they must
// keep decoding.
//
// Flow, agent → hub: Hello, then Batch (events with per-agent sequence
// numbers, strictly increasing), Status, Result. Hub → agent: Welcome, Ack
// (cumulative: every event up to Seq is durably applied), Command,
// ResultAck, Error. Liveness uses websocket ping/pong control frames with the
// deadlines below.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Version is the protocol version this build speaks.
const Version = 1

// MinVersion is the oldest protocol version this build still accepts.
const MinVersion = 1

// ConnectPath is where the hub accepts agent websockets for Version.
const ConnectPath = "/agent/v1/connect"

// MaxMessageSize bounds one message in either direction. A batch is cut by
// the sender so that it stays below this size.
const MaxMessageSize = 1 << 20

// Heartbeat timing. Each side pings every PingInterval; a connection that
// shows no sign of life (message or pong) for PongWait is closed. Writes give
// up after WriteWait.
const (
	PingInterval = 20 * time.Second
	PongWait     = 60 * time.Second
	WriteWait    = 10 * time.Second
)

// Type names a message kind.
type Type string

// Message types.
const (
	TypeHello     Type = "hello"
	TypeWelcome   Type = "welcome"
	TypeBatch     Type = "batch"
	TypeAck       Type = "ack"
	TypeStatus    Type = "status"
	TypeCommand   Type = "command"
	TypeResult    Type = "result"
	TypeResultAck Type = "result_ack"
	TypeError     Type = "error"
)

// Envelope is the frame around every message.
type Envelope struct {
	Type Type            `json:"type"`
	Body json.RawMessage `json:"body,omitempty"`
}

// Hello is the agent's first message on a connection.
type Hello struct {
	Protocol     int      `json:"protocol"`
	AgentID      string   `json:"agent_id"`
	Version      string   `json:"version"`
	OS           string   `json:"os"`
	Connector    string   `json:"connector"`
	Capabilities []string `json:"capabilities,omitempty"`
	// RMSAccount is the name of the RMS account the connector reads, when
	// the RMS posts every account's webhooks to one address (Poster).
	RMSAccount string `json:"rms_account,omitempty"`
	// LastSeq is the newest sequence number the agent has assigned.
	LastSeq uint64 `json:"last_seq"`
	// LastCommand is the id of the last command the agent finished.
	LastCommand string `json:"last_command,omitempty"`
}

// Welcome answers Hello.
type Welcome struct {
	Protocol int `json:"protocol"`
	// AppliedSeq is the newest event sequence the hub has durably applied for
	// this agent. The agent drops everything up to it and resends the rest.
	AppliedSeq uint64    `json:"applied_seq"`
	VenueID    string    `json:"venue_id"`
	Settings   Settings  `json:"settings"`
	ServerTime time.Time `json:"server_time"`
}

// Settings are the hub's wishes for this agent. Zero means "keep your own".
type Settings struct {
	// PollInterval is how often the connector should read the RMS.
	PollInterval Duration `json:"poll_interval,omitempty"`
	// MaxBatch is the most events the hub takes in one Batch.
	MaxBatch int `json:"max_batch,omitempty"`
	// Window is how many unacknowledged batches may be in flight.
	Window int `json:"window,omitempty"`
}

// Batch carries events in sequence order. Sequence numbers are strictly
// increasing within and across batches but may have gaps (compaction).
type Batch struct {
	Events []Event `json:"events"`
}

// Ack says that every event up to and including Seq is durably applied.
type Ack struct {
	Seq uint64 `json:"seq"`
}

// Status is the agent's periodic report about itself.
type Status struct {
	// Backlog is the number of events stored and not yet acknowledged.
	Backlog   uint64          `json:"backlog"`
	Connector ConnectorHealth `json:"connector"`
	Counters  Counters        `json:"counters"`
}

// ConnectorHealth says whether the agent can read its RMS.
type ConnectorHealth struct {
	OK bool `json:"ok"`
	// Error is the last failure in words support can act on. When OK it
	// is empty, or a problem worth a look that did not stop reading (such
	// as malformed export files set aside).
	Error string `json:"error,omitempty"`
	// LastSuccess is when the RMS was last read successfully.
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// Counters are the agent outbox's running totals.
type Counters struct {
	Stored    uint64 `json:"stored"`
	Sent      uint64 `json:"sent"`
	Acked     uint64 `json:"acked"`
	Compacted uint64 `json:"compacted"`
}

// Command asks the agent to do something, such as write a reservation into
// the RMS. The agent runs a command id at most once.
type Command struct {
	ID   string      `json:"id"`
	Kind CommandKind `json:"kind"`
	// Expires is when the command becomes stale; an agent does not start a
	// command after it expired and reports CodeExpired instead.
	Expires time.Time       `json:"expires,omitzero"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// CommandKind names what a command does.
type CommandKind string

// Command kinds.
const (
	// CommandResync makes the agent send its whole current state again.
	CommandResync CommandKind = "resync"
	// CommandCreateReservation writes a reservation (body:
	// ReservationRequest) into the RMS.
	CommandCreateReservation CommandKind = "reservation.create"
	// CommandCancelReservation cancels one (body: CancelRequest).
	CommandCancelReservation CommandKind = "reservation.cancel"
	// CommandPoll asks the agent to read its RMS now rather than at the
	// next poll interval: the hub sends it when an RMS webhook says
	// something changed. Its body, optional, is PollHints: what changed,
	// for connectors that can read it at once. An agent built before
	// hints ignores the body.
	CommandPoll CommandKind = "poll"
	// CommandLogs asks for the last lines of the agent's log file (body:
	// LogsRequest); the result's body is a LogsResult. Support reads them
	// on the dashboard.
	CommandLogs CommandKind = "logs"
)

// MaxLogLines bounds LogsRequest.Lines.
const MaxLogLines = 1000

// LogsRequest is the body of a CommandLogs.
type LogsRequest struct {
	// Lines is how many of the newest lines to send, at most MaxLogLines.
	Lines int `json:"lines"`
}

// LogsResult is the result body of a CommandLogs: the lines, oldest
// first, without their line breaks.
type LogsResult struct {
	Lines []string `json:"lines"`
	// Truncated says the file had more lines than were sent.
	Truncated bool `json:"truncated,omitempty"`
}

// Result reports how a command ended.
type Result struct {
	CommandID string `json:"command_id"`
	OK        bool   `json:"ok"`
	// Code is machine-readable on failure; see the Code constants.
	Code    string          `json:"code,omitempty"`
	Message string          `json:"message,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// Result codes.
const (
	CodeExpired     = "expired"
	CodeUnsupported = "unsupported"
	CodeRefused     = "refused"
	CodeInterrupted = "interrupted"
	CodeFailed      = "failed"
	CodeBadRequest  = "bad_request"
)

// ResultAck says the hub stored the result of CommandID.
type ResultAck struct {
	CommandID string `json:"command_id"`
}

// Error is sent before a side closes the connection because of the peer.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes sent by the hub.
const (
	ErrCodeVersion  = "unsupported_version"
	ErrCodeProtocol = "protocol_error"
	ErrCodeReplaced = "replaced"
	ErrCodeRevoked  = "revoked"
	ErrCodeSlow     = "too_slow"
)

// Encode returns the frame for a message body of type t. The envelope is
// written around the encoded body rather than marshalled, which would
// validate and copy the body a second time.
func Encode(t Type, body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	frame := make([]byte, 0, len(b)+len(t)+24)
	frame = append(frame, `{"type":`...)
	frame = appendString(frame, string(t))
	frame = append(frame, `,"body":`...)
	frame = append(frame, b...)
	return append(frame, '}'), nil
}

// ErrMalformed wraps every decoding failure.
var ErrMalformed = errors.New("malformed message")

// Decode reads the envelope of a frame. The body is decoded later with
// DecodeBody, once the caller knows it handles the type.
func Decode(frame []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(frame, &e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e.Type == "" {
		return e, fmt.Errorf("%w: no type", ErrMalformed)
	}
	return e, nil
}

// DecodeBody decodes an envelope's body into v.
func DecodeBody(e Envelope, v any) error {
	if len(e.Body) == 0 {
		return fmt.Errorf("%w: %s without body", ErrMalformed, e.Type)
	}
	if err := json.Unmarshal(e.Body, v); err != nil {
		return fmt.Errorf("%w: %s body: %v", ErrMalformed, e.Type, err)
	}
	return nil
}

// Duration is a time.Duration written as a Go duration string ("5s").
type Duration time.Duration

// MarshalJSON writes d as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string, or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string like \"5s\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}
