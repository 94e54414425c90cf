package telegramtest

import (
	"encoding/json"
	"fmt"
	"time"
)

// BotID and BotUsername are what getMe reports about the bot under test.
const (
	BotID       int64 = 7000000001
	BotUsername       = "stolik_test_bot"
)

// Chat types, as the Bot API names them.
const (
	ChatPrivate    = "private"
	ChatGroup      = "group"
	ChatSupergroup = "supergroup"
)

// User is a Telegram user acting in a test.
type User struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string
	// LanguageCode is an IETF tag such as "ru"; empty means unknown.
	LanguageCode string
}

// Chat is a Telegram chat. Private chats have the user's id; group ids are
// negative, as in Telegram.
type Chat struct {
	ID    int64
	Type  string
	Title string
}

// PrivateChat returns the private chat between u and the bot.
func PrivateChat(u User) Chat {
	return Chat{ID: u.ID, Type: ChatPrivate}
}

// GroupChat returns a group chat with the given (negative) id.
func GroupChat(id int64, title string) Chat {
	return Chat{ID: id, Type: ChatGroup, Title: title}
}

// Button is one button of a keyboard the bot sent: an inline button has
// Data (callback_data) or URL; a reply-keyboard button may ask for the
// user's contact.
type Button struct {
	Text           string
	Data           string
	URL            string
	RequestContact bool
}

// Message is a message the bot sent, as it stands after later edits.
type Message struct {
	ID     int
	ChatID int64
	Text   string
	// ParseMode is the parse_mode of the last send or edit, if any.
	ParseMode string
	// Buttons is the inline keyboard; Keyboard the reply keyboard.
	Buttons  [][]Button
	Keyboard [][]Button
	// RemoveKeyboard is set when the message asked to remove the reply
	// keyboard.
	RemoveKeyboard bool
	// Edits counts successful editMessageText and editMessageReplyMarkup
	// calls on the message.
	Edits    int
	SentAt   time.Time
	EditedAt time.Time
}

// Call is one Bot API request the fake received.
type Call struct {
	Method string
	// Params is the request's parameters as one JSON object. Telebot sends
	// every value as a string (numbers and keyboards included), so read
	// them with Param, Int or Markup rather than by type.
	Params json.RawMessage
	At     time.Time
	// ErrorCode is 0 for a call that succeeded, else the error_code sent.
	ErrorCode int
}

// String shows the call for a test's failure message.
func (c Call) String() string {
	s := c.Method + " " + string(c.Params) + " at " + c.At.Format("15:04:05.000")
	if c.ErrorCode != 0 {
		s += fmt.Sprintf(" (error %d)", c.ErrorCode)
	}
	return s
}

// Param returns the string value of a parameter ("" if absent); a
// parameter sent as a number or object is returned as its JSON text.
func (c Call) Param(name string) string {
	p, err := parseParams(c.Params)
	if err != nil {
		return ""
	}
	return p.str(name)
}

// Int returns an integer parameter sent as a number or a string; 0 if it
// is absent or not an integer.
func (c Call) Int(name string) int64 {
	p, err := parseParams(c.Params)
	if err != nil {
		return 0
	}
	n, _, _ := p.int(name)
	return n
}

// ChatMember statuses, as getChatMember reports them.
const (
	MemberCreator       = "creator"
	MemberAdministrator = "administrator"
	MemberMember        = "member"
	MemberLeft          = "left"
	MemberKicked        = "kicked"
)

// Wire shapes of the Bot API, written from its documentation. Only the
// fields the fake uses are present.

type apiUser struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

type apiChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

type apiEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type apiContact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name,omitempty"`
	UserID      int64  `json:"user_id,omitempty"`
}

type apiMessage struct {
	MessageID   int             `json:"message_id"`
	From        *apiUser        `json:"from,omitempty"`
	Chat        apiChat         `json:"chat"`
	Date        int64           `json:"date"`
	EditDate    int64           `json:"edit_date,omitempty"`
	Text        string          `json:"text,omitempty"`
	Entities    []apiEntity     `json:"entities,omitempty"`
	Contact     *apiContact     `json:"contact,omitempty"`
	ReplyMarkup json.RawMessage `json:"reply_markup,omitempty"`
}

type apiCallback struct {
	ID           string      `json:"id"`
	From         apiUser     `json:"from"`
	Message      *apiMessage `json:"message,omitempty"`
	ChatInstance string      `json:"chat_instance"`
	Data         string      `json:"data,omitempty"`
}

type apiUpdate struct {
	UpdateID      int          `json:"update_id"`
	Message       *apiMessage  `json:"message,omitempty"`
	CallbackQuery *apiCallback `json:"callback_query,omitempty"`
}

type apiButton struct {
	Text           string `json:"text"`
	CallbackData   string `json:"callback_data,omitempty"`
	URL            string `json:"url,omitempty"`
	RequestContact bool   `json:"request_contact,omitempty"`
}

type apiMarkup struct {
	InlineKeyboard [][]apiButton `json:"inline_keyboard,omitempty"`
	Keyboard       [][]apiButton `json:"keyboard,omitempty"`
	RemoveKeyboard bool          `json:"remove_keyboard,omitempty"`
}

func (u User) api() apiUser {
	return apiUser{
		ID: u.ID, FirstName: u.FirstName, LastName: u.LastName,
		Username: u.Username, LanguageCode: u.LanguageCode,
	}
}

func buttons(rows [][]apiButton) [][]Button {
	if len(rows) == 0 {
		return nil
	}
	out := make([][]Button, len(rows))
	for i, row := range rows {
		out[i] = make([]Button, len(row))
		for j, b := range row {
			out[i][j] = Button{
				Text: b.Text, Data: b.CallbackData, URL: b.URL,
				RequestContact: b.RequestContact,
			}
		}
	}
	return out
}
