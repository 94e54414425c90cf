package hub

import (
	"context"
	"encoding/json"
	"time"
)

// OutgoingState is where a message of the Telegram send queue stands.
type OutgoingState string

// Outgoing message states. A message is pending until a sender claims it
// (sending); it ends sent, failed, or in doubt: claimed for a plain send
// whose claim ran out before the result was recorded, so that it may or may
// not have reached the chat and is not sent again.
const (
	OutgoingPending OutgoingState = "pending"
	OutgoingSending OutgoingState = "sending"
	OutgoingSent    OutgoingState = "sent"
	OutgoingFailed  OutgoingState = "failed"
	OutgoingDoubt   OutgoingState = "doubt"
)

// Outgoing is a message in the Telegram send queue. Key is its
// idempotency key; the queue sends each key at most once.
type Outgoing struct {
	Key    string          `json:"key"`
	ChatID int64           `json:"chat_id"`
	Text   string          `json:"text"`
	Markup json.RawMessage `json:"markup,omitempty"`
	// EditKey, when set, names the queued message this one edits.
	EditKey   string `json:"edit_key,omitempty"`
	ParseMode string `json:"parse_mode,omitempty"`

	// Seq orders the queue: the store gives each message the next one.
	Seq       int64         `json:"seq"`
	State     OutgoingState `json:"state"`
	CreatedAt time.Time     `json:"created_at"`
	// NotBefore delays a pending message (a retry, a rate limit).
	NotBefore time.Time `json:"not_before,omitzero"`
	// LeaseUntil is when the claim of a sending message runs out.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// Attempts counts claims.
	Attempts int `json:"attempts"`
	// MsgID is the Telegram message id the message was sent as (or, for an
	// edit, the id of the message edited).
	MsgID      int       `json:"msg_id,omitempty"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Error says why a message failed or was put back.
	Error string `json:"error,omitempty"`
}

// OutgoingResult is what a sender records about a claimed message: State
// OutgoingSent with MsgID, OutgoingFailed or OutgoingDoubt with Error, or
// OutgoingPending with NotBefore to put it back.
type OutgoingResult struct {
	State     OutgoingState
	MsgID     int
	NotBefore time.Time
	Error     string
	At        time.Time
}

// SendQueueStore is the part of Store the Telegram send queue uses. It is
// listed here, and embedded at the end of Store.
type SendQueueStore interface {
	// EnqueueOutgoing stores a pending message with the next Seq; ErrExists
	// (and nothing changed) if its Key is taken.
	EnqueueOutgoing(ctx context.Context, m Outgoing) error
	// Outgoing returns the message with key; ErrNotFound if there is none.
	Outgoing(ctx context.Context, key string) (Outgoing, error)
	// ClaimOutgoing returns up to limit pending messages whose NotBefore is
	// at or before now, in Seq order, and makes each sending until
	// now+lease with its Attempts grown by one. Rows another claim is
	// taking are skipped, so each message goes to one caller.
	ClaimOutgoing(ctx context.Context, now time.Time, limit int,
		lease time.Duration) ([]Outgoing, error)
	// ExpireOutgoing settles sending messages whose lease ran out by now:
	// an edit (EditKey set) is pending again, since repeating it is
	// harmless; a plain send is in doubt and is returned, in Seq order.
	ExpireOutgoing(ctx context.Context, now time.Time) ([]Outgoing, error)
	// FallBackOutgoing makes the claimed edit with key a plain send, for
	// its sender to send as a new message (the message it edits is
	// unknown, failed, in doubt or too old to edit): its EditKey is
	// cleared, so that from then on it is settled like any send, in doubt
	// rather than pending again if its claim runs out mid-send. attempts
	// names the claim (the claimed message's Attempts). It reports whether
	// it made the change: false, with nothing changed, when the message is
	// not sending under that claim with its lease running past now;
	// ErrNotFound if the key is unknown.
	FallBackOutgoing(ctx context.Context, key string, attempts int,
		now time.Time) (bool, error)
	// FinishOutgoing records r for the message with key. A message already
	// sent or failed keeps its first result (no error); ErrNotFound if the
	// key is unknown.
	FinishOutgoing(ctx context.Context, key string, r OutgoingResult) error
	// SentSince lists the messages sent at or after since (by FinishedAt,
	// the time of Telegram's answer), oldest first: a new sender learns
	// from them when each chat may have its next message.
	SentSince(ctx context.Context, since time.Time) ([]Outgoing, error)
	// PruneOutgoing deletes sent, failed and in-doubt messages finished
	// before before, and returns how many.
	PruneOutgoing(ctx context.Context, before time.Time) (int, error)

	// ClaimLease gives the named lease to holder until now+ttl if it is
	// free, ran out by now, or is holder's already (a renewal), and says
	// whether holder has it.
	ClaimLease(ctx context.Context, name, holder string, now time.Time,
		ttl time.Duration) (bool, error)
	// ReleaseLease frees the named lease if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}
