package sendqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// API is the part of the Telegram Bot API the queue calls. BotAPI
// implements it over HTTP; tests may give anything else.
//
// Errors: a Telegram answer other than ok is an *Error; an error that
// wraps ErrNotSent says the request surely never reached Telegram (it may
// be repeated); any other error leaves it unknown whether Telegram acted.
type API interface {
	// Send sends a text message and returns its message id.
	Send(ctx context.Context, chatID int64, text string, markup json.RawMessage,
		parseMode string) (msgID int, err error)
	// Edit replaces the text and inline keyboard of the bot's message
	// msgID in the chat.
	Edit(ctx context.Context, chatID int64, msgID int, text string,
		markup json.RawMessage, parseMode string) error
}

// ErrNotSent is wrapped by API errors for requests that never reached
// Telegram (the connection could not be made).
var ErrNotSent = errors.New("request not sent")

// Error is a Telegram Bot API answer with ok false.
type Error struct {
	Code        int
	Description string
	// RetryAfter is parameters.retry_after of a 429, else 0.
	RetryAfter time.Duration
}

// Error says what Telegram answered, as "telegram: description (code)".
func (e *Error) Error() string {
	return fmt.Sprintf("telegram: %s (%d)", e.Description, e.Code)
}

// Descriptions Telegram gives for edits the queue handles.
func (e *Error) notModified() bool {
	return e.Code == 400 && strings.Contains(e.Description, "message is not modified")
}

func (e *Error) uneditable() bool {
	return e.Code == 400 && (strings.Contains(e.Description, "message to edit not found") ||
		strings.Contains(e.Description, "message can't be edited"))
}

// BotAPI calls the Bot API over HTTP at URL (https://api.telegram.org,
// or a fake's URL in tests) with a bot's Token.
type BotAPI struct {
	URL   string
	Token string
	// Client defaults to one with a 30 s timeout.
	Client *http.Client
}

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// Send implements API with sendMessage.
func (b *BotAPI) Send(ctx context.Context, chatID int64, text string, markup json.RawMessage,
	parseMode string) (int, error) {
	var msg struct {
		MessageID int `json:"message_id"`
	}
	err := b.call(ctx, "sendMessage", request{
		ChatID: chatID, Text: text, ReplyMarkup: markup, ParseMode: parseMode,
	}, &msg)
	return msg.MessageID, err
}

// Edit implements API with editMessageText.
func (b *BotAPI) Edit(ctx context.Context, chatID int64, msgID int, text string,
	markup json.RawMessage, parseMode string) error {
	return b.call(ctx, "editMessageText", request{
		ChatID: chatID, MessageID: msgID, Text: text, ReplyMarkup: markup,
		ParseMode: parseMode,
	}, nil)
}

type request struct {
	ChatID      int64           `json:"chat_id"`
	MessageID   int             `json:"message_id,omitempty"`
	Text        string          `json:"text"`
	ParseMode   string          `json:"parse_mode,omitempty"`
	ReplyMarkup json.RawMessage `json:"reply_markup,omitempty"`
}

// scrub keeps the bot's token out of err, which is logged and stored with
// the message: the request URL has the token in it, and net/http's errors
// quote the URL (*url.Error). The URL is dropped; should the token still
// show (a redirect's URL, say), it is masked.
func (b *BotAPI) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if b.Token != "" && strings.Contains(err.Error(), b.Token) {
		return errors.New(strings.ReplaceAll(err.Error(), b.Token, "<token>"))
	}
	return err
}

func (b *BotAPI) call(ctx context.Context, method string, req request, result any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", method, err)
	}
	endpoint := strings.TrimSuffix(b.URL, "/") + "/bot" + b.Token + "/" + method
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w: %w", method, ErrNotSent, b.scrub(err))
	}
	hr.Header.Set("Content-Type", "application/json")
	client := b.Client
	if client == nil {
		client = defaultClient
	}

	resp, err := client.Do(hr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return fmt.Errorf("%s: %w: %w", method, ErrNotSent, b.scrub(err))
		}
		return fmt.Errorf("%s: %w", method, b.scrub(err))
	}
	defer resp.Body.Close()

	var ans struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		ErrorCode   int             `json:"error_code"`
		Description string          `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return fmt.Errorf("%s: decode answer (HTTP %s): %w", method, resp.Status, err)
	}
	if !ans.OK {
		code := ans.ErrorCode
		if code == 0 {
			code = resp.StatusCode
		}
		return &Error{
			Code: code, Description: ans.Description,
			RetryAfter: time.Duration(ans.Parameters.RetryAfter) * time.Second,
		}
	}
	if result != nil {
		if err := json.Unmarshal(ans.Result, result); err != nil {
			return fmt.Errorf("%s: decode result: %w", method, err)
		}
	}
	return nil
}
