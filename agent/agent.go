// Package agent holds the agent's domain: the connector seam every RMS
// integration implements, the venue state it returns, and the change
// detector that turns two states into events.
//
// The agent runs beside a restaurant's RMS. A Connector reads the RMS; the
// change detector (Diff) compares what it read with the last stored snapshot;
// the outbox stores the events durably; the uplink streams them to the hub.
// Commands from the hub (write a reservation, resync) come back the other way
// and run through the optional capabilities below.
package agent

import (
	"context"
	"errors"

	"github.com/stolik/stolik/shared/wire"
)

// Connector reads one venue's state from its RMS.
type Connector interface {
	// Kind names the connector ("sim", "iiko", "rkeeper", ...).
	Kind() string
	// Snapshot reads the venue's current halls, tables, open orders and
	// reservations. Times are UTC. An error means the RMS could not be read;
	// it is reported as connector health and the previous snapshot stays.
	Snapshot(ctx context.Context) (State, error)
}

// ReservationWriter is the optional capability of writing reservations into
// the RMS.
type ReservationWriter interface {
	// CreateReservation writes a reservation and returns it as the RMS holds
	// it. It is idempotent on req.BookingID where the RMS allows: a retry after
	// a lost answer returns the reservation created the first time. An RMS
	// refusal (the table is taken, the time is closed) wraps ErrRefused.
	CreateReservation(ctx context.Context, req wire.ReservationRequest) (wire.Reservation, error)
	// CancelReservation cancels a reservation. Cancelling one that is already
	// cancelled succeeds. A refusal wraps ErrRefused.
	CancelReservation(ctx context.Context, req wire.CancelRequest) error
}

// ReservationUpdater is the optional capability of moving a reservation
// the RMS holds to another start time, duration or tables.
type ReservationUpdater interface {
	// UpdateReservation changes what req sets (a zero Start, Duration or
	// TableIDs keeps it) and returns the reservation as the RMS holds it
	// afterwards. Asking for what the reservation already is succeeds. An
	// RMS refusal (the tables are taken, the guests are seated, the
	// reservation is gone) wraps ErrRefused with words staff understand.
	UpdateReservation(ctx context.Context, req wire.UpdateRequest) (wire.Reservation, error)
}

// PollHinter is the optional capability of taking hints about what changed
// in the RMS before a poll the hub asked for after an RMS webhook. A
// connector that caches part of what it reads (iiko's reserve details)
// reads the hinted things fresh on its next Snapshot; a connector without
// the capability polls as usual.
type PollHinter interface {
	// HintPoll records h for the next Snapshot. It does not call the RMS,
	// returns at once, and is safe to call while a Snapshot runs (the hints
	// then apply to the one after). Ids the RMS does not know are ignored.
	HintPoll(h wire.PollHints)
}

// WebhookSetter is the optional capability of registering the hub's
// webhook with the RMS, so that the RMS posts its changes to the hub.
type WebhookSetter interface {
	// SetWebhook makes the RMS post its events to url with token. Setting
	// what is already set succeeds without a change. When the RMS account
	// already sends its webhooks to another address (another integration),
	// it changes nothing and returns an error wrapping ErrRefused that says
	// so.
	SetWebhook(ctx context.Context, url, token string) error
}

// Capability names, as reported in wire.Hello.
const (
	CapabilityReservations = "reservations.write"
	// CapabilityUpdate: the connector moves reservations
	// (ReservationUpdater).
	CapabilityUpdate = "reservations.update"
	// CapabilityWebhook: the connector registers the hub's webhook
	// (WebhookSetter).
	CapabilityWebhook = "webhook.set"
)

// AccountNamer is a connector that knows the name of the RMS account it
// reads: the hub routes the RMS's webhooks, posted for every account to one
// address, to the venue by it.
type AccountNamer interface {
	Account() string
}

// Account is c's RMS account name, or "" when c does not say.
func Account(c Connector) string {
	if a, ok := c.(AccountNamer); ok {
		return a.Account()
	}
	return ""
}

// Capabilities lists what c can do beyond reading.
func Capabilities(c Connector) []string {
	var caps []string
	if _, ok := c.(ReservationWriter); ok {
		caps = append(caps, CapabilityReservations)
	}
	if _, ok := c.(ReservationUpdater); ok {
		caps = append(caps, CapabilityUpdate)
	}
	if _, ok := c.(WebhookSetter); ok {
		caps = append(caps, CapabilityWebhook)
	}
	return caps
}

// Errors a connector returns for callers to test.
var (
	// ErrRefused means the RMS understood the request and said no.
	ErrRefused = errors.New("refused by the RMS")
	// ErrUnsupported means the connector cannot do what was asked.
	ErrUnsupported = errors.New("not supported by this connector")
	// ErrBadRequest means the request lacks what the connector needs (a
	// booking id, a table); sending it again will not help.
	ErrBadRequest = errors.New("bad request")
)
