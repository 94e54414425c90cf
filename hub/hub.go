// Package hub holds the hub's domain: venues, agents, the mirror of each
// venue's RMS state, commands for agents, and the Store seam the embedded
// (bbolt) and PostgreSQL stores implement.
//
// The hub keeps a live mirror of every venue, fed by its agent. A batch of
// agent events is applied in one store transaction together with the agent's
// sequence number, so a batch resent after a reconnect changes nothing: the
// effect is exactly once.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// Errors stores return for callers to test.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrRevoked is returned for an agent whose credential was revoked.
	ErrRevoked = errors.New("agent credential revoked")
)

// Venue is a restaurant.
type Venue struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// TimeZone is an IANA zone name such as "Europe/Moscow".
	TimeZone string `json:"time_zone"`
	Mode     Mode   `json:"mode,omitempty"`
	Policy   Policy `json:"policy"`
	// Chain groups the venues of one restaurant chain: the Telegram bot's
	// link start=c_<chain> offers a choice among them. Empty: none. See
	// ValidChain.
	Chain     string    `json:"chain,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Agent is one installed agent and its credential. SecretHash is the
// SHA-256 of the secret; the secret itself is shown once and never stored.
type Agent struct {
	ID         string     `json:"id"`
	VenueID    string     `json:"venue_id"`
	SecretHash []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// AppliedSeq is the newest event sequence applied to the mirror.
	AppliedSeq uint64 `json:"applied_seq"`
	// AppliedEvents counts events applied (duplicates are not counted).
	AppliedEvents uint64      `json:"applied_events"`
	Status        AgentStatus `json:"status"`
}

// AgentStatus is what the agent last reported about itself.
type AgentStatus struct {
	Version      string   `json:"version,omitempty"`
	OS           string   `json:"os,omitempty"`
	Connector    string   `json:"connector,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	// RMSAccount is the RMS account the agent reads (Poster's account
	// name), by which the RMS's webhooks find the venue.
	RMSAccount string               `json:"rms_account,omitempty"`
	LastSeen   time.Time            `json:"last_seen,omitzero"`
	Backlog    uint64               `json:"backlog"`
	Health     wire.ConnectorHealth `json:"connector_health"`
	Counters   wire.Counters        `json:"counters"`
	// Replica is the hub replica holding the agent's connection.
	Replica string `json:"replica,omitempty"`
}

// VenueState is the hub's mirror of one venue's RMS.
type VenueState struct {
	VenueID      string             `json:"venue_id"`
	Halls        []wire.Hall        `json:"halls"`
	Tables       []wire.Table       `json:"tables"`
	Orders       []wire.Order       `json:"orders"`
	Reservations []wire.Reservation `json:"reservations"`
}

// NewVenueState returns the mirror of a venue that has nothing yet: empty
// lists, not nil, so that it encodes as [] rather than null.
func NewVenueState(venueID string) VenueState {
	return VenueState{
		VenueID:      venueID,
		Halls:        []wire.Hall{},
		Tables:       []wire.Table{},
		Orders:       []wire.Order{},
		Reservations: []wire.Reservation{},
	}
}

// CommandState is where a command for an agent stands.
type CommandState string

// Command states.
const (
	CommandPending CommandState = "pending"
	CommandDone    CommandState = "done"
	CommandExpired CommandState = "expired"
)

// Command is an instruction kept for an agent until it reports a result.
type Command struct {
	ID        string           `json:"id"`
	AgentID   string           `json:"agent_id"`
	Kind      wire.CommandKind `json:"kind"`
	Body      json.RawMessage  `json:"body,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	Expires   time.Time        `json:"expires,omitzero"`
	State     CommandState     `json:"state"`
	Result    *wire.Result     `json:"result,omitempty"`
}

// Wire returns the command as sent to the agent.
func (c Command) Wire() wire.Command {
	return wire.Command{ID: c.ID, Kind: c.Kind, Expires: c.Expires, Body: c.Body}
}

// DefaultCommandRetention is how long a command with a result is kept, for
// the dashboard's history, before PruneCommands may drop it.
const DefaultCommandRetention = 30 * 24 * time.Hour

// ApplyResult says what ApplyBatch did.
type ApplyResult struct {
	// Seq is the agent's applied sequence after the batch.
	Seq uint64
	// Applied and Skipped count new and duplicate events.
	Applied, Skipped int
}

// Store is the hub's persistence seam. Every method is safe for concurrent
// use. Methods return ErrNotFound for an unknown id.
type Store interface {
	// CreateVenue stores a new venue; ErrExists if the id is taken.
	CreateVenue(ctx context.Context, v Venue) error
	Venue(ctx context.Context, id string) (Venue, error)
	Venues(ctx context.Context) ([]Venue, error)

	// CreateAgent stores a new agent; ErrExists if the id is taken,
	// ErrNotFound if its venue does not exist.
	CreateAgent(ctx context.Context, a Agent) error
	// Agent returns an agent, revoked or not.
	Agent(ctx context.Context, id string) (Agent, error)
	// Agents lists every agent, ordered by id.
	Agents(ctx context.Context) ([]Agent, error)
	// AgentsOfVenue lists the venue's agents, revoked or not, ordered by
	// id, reading only that venue's; none, without error, for an unknown
	// venue.
	AgentsOfVenue(ctx context.Context, venueID string) ([]Agent, error)
	// RevokeAgent marks an agent's credential revoked. Revoking twice keeps
	// the first time.
	RevokeAgent(ctx context.Context, id string, at time.Time) error
	// UpdateAgentStatus records what the agent reported about itself.
	UpdateAgentStatus(ctx context.Context, id string, s AgentStatus) error

	// ApplyBatch applies events to the mirror of the agent's venue in one
	// transaction, together with the agent's applied sequence. Events at or
	// below the applied sequence are skipped, so a resent batch changes
	// nothing. Events must be in increasing sequence order.
	ApplyBatch(ctx context.Context, agentID string, events []wire.Event) (ApplyResult, error)
	// ResetMirror forgets the mirror of the agent's venue and sets the
	// agent's applied sequence to seq, in one transaction. The hub calls it
	// when an agent comes back with an outbox older than what the hub
	// applied (its data directory was wiped or restored): the agent then
	// sends its whole state again from seq on.
	ResetMirror(ctx context.Context, agentID string, seq uint64) error
	// TurnTimes returns how long the venue's last closed orders were open,
	// newest first, at most limit: recorded when ApplyBatch deletes an
	// order, as the delete event's At minus the order's OpenedAt (an
	// event without At, or not after the opening, records nothing).
	TurnTimes(ctx context.Context, venueID string, limit int) ([]time.Duration, error)
	// VenueState returns the mirror of a venue, each list ordered by id.
	VenueState(ctx context.Context, venueID string) (VenueState, error)

	// EnqueueCommand stores a command for an agent; ErrExists if the id is
	// taken.
	EnqueueCommand(ctx context.Context, c Command) error
	// PendingCommands lists an agent's commands without a result, oldest
	// first.
	PendingCommands(ctx context.Context, agentID string) ([]Command, error)
	// Command returns one command.
	Command(ctx context.Context, id string) (Command, error)
	// FinishCommand records a command's result. Recording a result for a
	// command that already has one keeps the first (idempotent).
	FinishCommand(ctx context.Context, agentID string, r wire.Result) error

	// UpdateVenue replaces a venue's name, zone, mode, policy and chain.
	UpdateVenue(ctx context.Context, v Venue) error

	// Tables lists a venue's tables (from the mirror) with their
	// settings, ordered by id.
	Tables(ctx context.Context, venueID string) ([]Table, error)
	// SetTableSettings changes the hub-side settings of a table; a table
	// the mirror does not know yet keeps them for when it appears.
	SetTableSettings(ctx context.Context, venueID, tableID string, s TableSettings) error
	// TableGroups lists a venue's joinable groups, ordered by id.
	TableGroups(ctx context.Context, venueID string) ([]TableGroup, error)
	// PutTableGroup creates or replaces a group.
	PutTableGroup(ctx context.Context, g TableGroup) error
	// DeleteTableGroup removes a group; removing a missing one is not an
	// error.
	DeleteTableGroup(ctx context.Context, venueID, groupID string) error

	// UnplacedReservations lists the venue's RMS reservations that name no
	// table, are not cancelled, and overlap [from, to) (a reservation
	// without a duration lasting the policy's turn time for its guests),
	// by start then id, with their id, start, duration, guests, status
	// and booking id: the desk holds a table for each (booking.HoldUnplaced).
	UnplacedReservations(ctx context.Context, venueID string, from, to time.Time) (
		[]wire.Reservation, error)
	// Blocks returns every block on the venue's tables that overlaps
	// [from, to): active bookings, RMS reservations that are not
	// cancelled, and open orders (from OpenedAt for OccupancyTurn: the
	// venue's learned turn time, else the policy's for their guests),
	// ordered by table, then start.
	Blocks(ctx context.Context, venueID string, from, to time.Time) ([]Block, error)
	// CreateBooking stores a new booking (Validate) and records it in the
	// audit log, in one transaction that refuses, with a *ConflictError,
	// a booking overlapping any block on its tables: an active booking,
	// an RMS reservation (except the one made for this booking), or an
	// open order. Two racing creates for one slot: exactly one wins. A
	// create with the IdempotencyKey of an earlier booking of the venue
	// returns that booking and ErrExists.
	CreateBooking(ctx context.Context, b Booking, actor string) (Booking, error)
	Booking(ctx context.Context, id string) (Booking, error)
	// BookingByKey returns the venue's booking created with this
	// Idempotency-Key; ErrNotFound if there is none (or key is empty).
	BookingByKey(ctx context.Context, venueID, key string) (Booking, error)
	// Bookings lists bookings matching q, by start then id.
	Bookings(ctx context.Context, q BookingQuery) ([]Booking, error)
	// BookingsByIDs reads the bookings with these ids in one go, ordered
	// by id; an id given twice is listed once, an unknown one is left out.
	BookingsByIDs(ctx context.Context, ids []string) ([]Booking, error)
	// TransitionBooking moves a booking to t.To and records the move in
	// the audit log. Moving to the state it is in changes nothing and
	// logs nothing (idempotent), unless t.Changes the booking: then the
	// new reservation id, tables or times are applied and logged. A move
	// CanMove does not allow is ErrBadTransition. Leaving an active state
	// frees the tables; new tables or times are checked like
	// CreateBooking.
	TransitionBooking(ctx context.Context, id string, t Transition) (Booking, error)
	// BookingHistory returns a booking's audit log, oldest first.
	BookingHistory(ctx context.Context, id string) ([]BookingEvent, error)

	// PutGuest stores a guest: found by TelegramID when it is set, else by
	// ID, and updated; or created with g.ID.
	PutGuest(ctx context.Context, g Guest) (Guest, error)
	Guest(ctx context.Context, id string) (Guest, error)

	// ExpireCommands marks pending commands whose Expires passed as
	// expired and returns them.
	ExpireCommands(ctx context.Context, now time.Time) ([]Command, error)

	// ScheduleJob stores a job; a job with the same id is replaced.
	ScheduleJob(ctx context.Context, j Job) error
	// ClaimJobs returns up to limit jobs due at now, each claimed for
	// lease: no other caller, on any replica, gets it until the lease
	// runs out or it is finished. A claimed job's Attempts grows.
	ClaimJobs(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Job, error)
	// FinishJob removes a job that ran.
	FinishJob(ctx context.Context, id string) error

	// CreateEnrollment stores a one-time enrollment code's hash.
	CreateEnrollment(ctx context.Context, e Enrollment) error
	// RedeemEnrollment uses the code with hash codeHash at now to create
	// agent a for the code's venue, in one transaction; the code works once.
	// An unknown, used or expired code is ErrEnrollment.
	RedeemEnrollment(ctx context.Context, codeHash []byte, now time.Time, a Agent) (Agent, error)

	// CreateAPIKey stores a key; ErrExists if its id or hash is taken,
	// ErrNotFound if one of its venues does not exist, ErrInvalid without
	// hash, or without venues unless its Role is RoleSupport (which takes
	// none), or with another role.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByHash returns the key with this hash, revoked or not, its
	// venues sorted.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// RevokeAPIKey marks a key revoked; revoking twice keeps the first time.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error

	// Dashboard: accounts, sessions and agent history.

	// CreateUser stores a dashboard account (Validate); ErrExists if its
	// id or email is taken, ErrNotFound if one of its venues does not
	// exist.
	CreateUser(ctx context.Context, u User) error
	// UserByEmail finds an account by its (normalized) email.
	UserByEmail(ctx context.Context, email string) (User, error)
	// User returns an account, its venues sorted.
	User(ctx context.Context, id string) (User, error)
	// CreateSession stores a session; ErrNotFound for an unknown user,
	// ErrExists if its id hash is taken.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with this id hash; one whose Expires is
	// not after now is ErrNotFound, like an unknown one.
	Session(ctx context.Context, idHash []byte, now time.Time) (Session, error)
	// DeleteSession ends a session (sign out); a missing one is not an
	// error.
	DeleteSession(ctx context.Context, idHash []byte) error
	// DeleteExpiredSessions removes sessions whose Expires is not after
	// now and returns how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
	// RecordAgentSamples stores one sample per agent and minute; a sample
	// for a minute already kept replaces it. Samples of unknown agents
	// are skipped.
	RecordAgentSamples(ctx context.Context, samples []AgentSample) error
	// AgentSamples lists an agent's samples from from on, oldest first;
	// an unknown agent has none (no error).
	AgentSamples(ctx context.Context, agentID string, from time.Time) ([]AgentSample, error)
	// PruneAgentSamples removes every sample of a minute before before.
	PruneAgentSamples(ctx context.Context, before time.Time) error
	// RecentCommands lists an agent's commands, newest first (CreatedAt,
	// then id descending), at most limit (0: all); an unknown agent has
	// none (no error).
	RecentCommands(ctx context.Context, agentID string, limit int) ([]Command, error)
	// PruneCommands removes the commands with a result (done or expired)
	// created before before and returns how many; pending commands stay
	// whatever their age.
	PruneCommands(ctx context.Context, before time.Time) (int, error)

	Close() error

	// Incidents: trouble with agents that support was alerted to (package
	// alert). An agent has at most one unresolved incident of each kind.

	// PutIncident creates an incident or replaces the one with its id
	// (Validate; ErrInvalid). Creating or reopening an unresolved incident
	// while the agent has another unresolved one of the same kind is
	// ErrExists and changes nothing.
	PutIncident(ctx context.Context, in Incident) error
	// Incident returns one incident.
	Incident(ctx context.Context, id string) (Incident, error)
	// OpenIncidents lists the unresolved incidents, by agent, then kind.
	OpenIncidents(ctx context.Context) ([]Incident, error)
	// AgentIncidents lists an agent's incidents, resolved or not, newest
	// OpenedAt first (then id), at most limit (all when limit <= 0). An
	// unknown agent has none.
	AgentIncidents(ctx context.Context, agentID string, limit int) ([]Incident, error)

	// Telegram bot (issue #7): chats, bookings' chats, staff chat links.
	TelegramStore

	// Telegram send queue (issue #7): outgoing messages, sender lease.
	SendQueueStore

	// Failed dashboard sign-ins, counted for every replica alike.
	LoginLimitStore

	// Staff notices shown on the venue's dashboard page (issue #7).
	NoticeStore
}

// Live is what the gateway knows about an agent right now.
type Live struct {
	Connected bool      `json:"connected"`
	Since     time.Time `json:"since,omitzero"`
	Remote    string    `json:"remote,omitempty"`
}

// Fleet is the gateway as the rest of the hub sees it.
type Fleet interface {
	// Live reports whether an agent is connected to this replica.
	Live(agentID string) Live
	// Poke tells the connection of an agent, if any, that new commands wait.
	Poke(agentID string)
	// Disconnect closes an agent's connection, if any (after a revoke).
	Disconnect(agentID string)
}
