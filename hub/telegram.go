package hub

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// TelegramChat is what the bot keeps about one private chat with a guest:
// the language and the booking flow in progress. Flow is the bot's own
// document (package telegram gives it meaning); stores keep it whole.
type TelegramChat struct {
	ChatID    int64           `json:"chat_id"`
	Lang      string          `json:"lang,omitempty"`
	Flow      json.RawMessage `json:"flow,omitempty"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Version counts the chat's saves: 0 for a chat never stored. A save
	// carries the version it read, and is refused (ErrStaleChat) if the
	// chat was saved since, by another update on another replica.
	Version int64 `json:"version,omitempty"`
}

// ErrStaleChat refuses to save a TelegramChat that changed since it was
// read: the update must be handled again from the stored state.
var ErrStaleChat = errors.New("telegram chat changed since it was read")

// TelegramBooking links a booking made in Telegram to the guest's chat:
// the message that shows its state and the last state the guest was told.
type TelegramBooking struct {
	BookingID string `json:"booking_id"`
	VenueID   string `json:"venue_id"`
	ChatID    int64  `json:"chat_id"`
	Lang      string `json:"lang,omitempty"`
	// MessageKey is the send-queue key of the message that shows the
	// booking's state; changes edit it.
	MessageKey string `json:"message_key"`
	// Told is the last state the guest was told of, and ToldStart the
	// start time told (the RMS may move a booking).
	Told      BookingState `json:"told"`
	ToldStart time.Time    `json:"told_start,omitzero"`
	// Done is set once the booking reached a state after which nothing
	// more is told; the sweep skips it.
	Done      bool      `json:"done,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StaffLink is a one-time code that links a venue's Telegram staff chat.
// Only the code's hash is kept.
type StaffLink struct {
	CodeHash  []byte    `json:"-"`
	VenueID   string    `json:"venue_id"`
	Expires   time.Time `json:"expires"`
	CreatedAt time.Time `json:"created_at"`
}

// ErrStaffLink means a staff link code is unknown, used or expired.
var ErrStaffLink = errors.New("staff link code is unknown, already used or expired")

// TelegramStore is the part of Store the Telegram bot uses. It is listed
// here, and embedded at the end of Store.
type TelegramStore interface {
	// TelegramChat returns a chat's state; ErrNotFound for a new chat.
	TelegramChat(ctx context.Context, chatID int64) (TelegramChat, error)
	// PutTelegramChat stores a chat's state, replacing what was there, if
	// the stored chat's Version is c.Version (a chat never stored is at
	// 0); the stored Version becomes c.Version+1. Otherwise nothing
	// changes and the error is ErrStaleChat.
	PutTelegramChat(ctx context.Context, c TelegramChat) error

	// PutTelegramBooking stores a booking's link to its chat, replacing
	// what was there.
	PutTelegramBooking(ctx context.Context, tb TelegramBooking) error
	// TelegramBooking returns a booking's link; ErrNotFound if the booking
	// was not made in Telegram.
	TelegramBooking(ctx context.Context, bookingID string) (TelegramBooking, error)
	// OpenTelegramBookings lists the links not Done, by booking id.
	OpenTelegramBookings(ctx context.Context) ([]TelegramBooking, error)

	// CreateStaffLink stores a one-time staff link code's hash.
	CreateStaffLink(ctx context.Context, l StaffLink) error
	// RedeemStaffLink uses the code with hash codeHash at now to link
	// chatID as the staff chat of the code's venue (replacing an earlier
	// chat), in one transaction, and returns the venue id. The code works
	// once; an unknown, used or expired code is ErrStaffLink.
	RedeemStaffLink(ctx context.Context, codeHash []byte, chatID int64,
		now time.Time) (string, error)
	// StaffChat returns the venue's linked staff chat; ErrNotFound if none.
	StaffChat(ctx context.Context, venueID string) (int64, error)
	// MoveStaffChat links every venue whose staff chat is from to chat to
	// instead (Telegram gives a group upgraded to a supergroup a new id),
	// and returns how many venues moved.
	MoveStaffChat(ctx context.Context, from, to int64) (int, error)
}
