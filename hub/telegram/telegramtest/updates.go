package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// maxPollTimeout caps a getUpdates long poll, as Telegram does.
const maxPollTimeout = 50 * time.Second

// SendText has from write text in ch, as a user does; a text starting with
// "/" carries a bot_command entity. It returns the message's id.
func (s *Server) SendText(ch Chat, from User, text string) (msgID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.userMessage(ch, from, time.Now())
	m.Text = text
	msg := s.apiUserMessage(ch.ID, m)
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg.Entities = []apiEntity{{Type: "bot_command", Length: len(utf16.Encode([]rune(cmd)))}}
	}
	s.push(apiUpdate{Message: msg})
	return m.ID
}

// SendContact has from share a phone number in ch (the reply to a
// request_contact button): the contact's user_id is from's, as when a user
// shares their own number.
func (s *Server) SendContact(ch Chat, from User, phone string) (msgID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.userMessage(ch, from, time.Now())
	m.contact = &apiContact{
		PhoneNumber: phone, FirstName: from.FirstName, LastName: from.LastName,
		UserID: from.ID,
	}
	s.push(apiUpdate{Message: s.apiUserMessage(ch.ID, m)})
	return m.ID
}

// Press has from press the inline button with callback data on the bot's
// message msgID in ch, and returns the callback query's id (for
// Answered). The test fails at once if the message has no such button;
// call it from the test's goroutine. To forge a callback, use PressRaw.
func (s *Server) Press(ch Chat, from User, msgID int, data string) (cbID string) {
	s.t.Helper()
	if msg, ok := s.message(ch.ID, msgID); !ok || !hasButton(msg, data) {
		s.t.Fatalf("telegramtest: press %q on message %d in chat %d: no such button; "+
			"the chat has %s", data, msgID, ch.ID, s.describe(ch.ID))
	}
	return s.PressRaw(ch, from, msgID, data)
}

// PressRaw sends a callback query with any data, on any message id, as a
// forged or stale client would. The query carries the message if the fake
// knows it.
func (s *Server) PressRaw(ch Chat, from User, msgID int, data string) (cbID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatOf(ch)
	s.users[from.ID] = from
	s.nextCB++
	cbID = "cb" + strconv.Itoa(s.nextCB)
	s.callbacks[cbID] = &callback{}

	q := &apiCallback{
		ID: cbID, From: from.api(), Data: data,
		ChatInstance: strconv.FormatInt(ch.ID, 10),
	}
	if m, ok := c.byID[msgID]; ok && !m.deleted {
		if m.from == nil {
			q.Message = s.botMessage(c, m)
		} else {
			q.Message = s.apiUserMessage(c.ID, m)
		}
	} else {
		// An unknown message: Telegram would still name it; the fake
		// sends an empty one with the id.
		q.Message = &apiMessage{MessageID: msgID, Chat: c.api(), Date: time.Now().Unix()}
	}
	s.push(apiUpdate{CallbackQuery: q})
	return cbID
}

// Answered reports whether the bot answered callback query cbID, and with
// which text.
func (s *Server) Answered(cbID string) (text string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cb, found := s.callbacks[cbID]
	if !found || !cb.answered {
		return "", false
	}
	return cb.text, true
}

// SetMember sets u's status in a chat (MemberAdministrator, MemberMember,
// MemberLeft...) for getChatMember; users not set are MemberLeft.
func (s *Server) SetMember(ch Chat, u User, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatOf(ch).members[u.ID] = status
	s.users[u.ID] = u
}

// Commands returns the command list last set by setMyCommands, as JSON
// (nil if none).
func (s *Server) Commands() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands
}

// Messages returns the bot's messages in a chat as they stand after
// edits, oldest first; deleted ones are left out.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.botMessages(chatID)
}

func (s *Server) botMessages(chatID int64) []Message {
	c, ok := s.chats[chatID]
	if !ok {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if m.from == nil && !m.deleted {
			out = append(out, m.Message)
		}
	}
	return out
}

// Last returns the bot's newest message in a chat; the zero Message if
// there is none.
func (s *Server) Last(chatID int64) Message {
	ms := s.Messages(chatID)
	if len(ms) == 0 {
		return Message{}
	}
	return ms[len(ms)-1]
}

// WaitTimeout is how long WaitFor waits.
var WaitTimeout = 10 * time.Second

// WaitFor polls until the bot has a message in the chat for which match
// is true and returns the newest such message; after WaitTimeout it fails
// the test, listing the chat's messages.
func (s *Server) WaitFor(t interface {
	Helper()
	Fatalf(string, ...any)
}, chatID int64, match func(Message) bool) Message {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		ms := s.Messages(chatID)
		for i := len(ms) - 1; i >= 0; i-- {
			if match(ms[i]) {
				return ms[i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("telegramtest: no matching bot message in chat %d after %v; it has %s",
				chatID, WaitTimeout, s.describe(chatID))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *Server) message(chatID int64, id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[chatID]
	if !ok {
		return Message{}, false
	}
	m, ok := c.byID[id]
	if !ok || m.deleted || m.from != nil {
		return Message{}, false
	}
	return m.Message, true
}

func hasButton(m Message, data string) bool {
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.Data == data {
				return true
			}
		}
	}
	return false
}

// describe lists a chat's bot messages for a failure message.
func (s *Server) describe(chatID int64) string {
	ms := s.Messages(chatID)
	if len(ms) == 0 {
		return "no bot messages"
	}
	var b strings.Builder
	b.WriteString("these bot messages:")
	for _, m := range ms {
		b.WriteString("\n\t#" + strconv.Itoa(m.ID) + " " + strconv.Quote(m.Text))
		for _, row := range m.Buttons {
			for _, btn := range row {
				b.WriteString(" [" + btn.Text + " -> " + strconv.Quote(btn.Data) + "]")
			}
		}
	}
	return b.String()
}

// userMessage stores a message from a user in ch.
func (s *Server) userMessage(ch Chat, from User, at time.Time) *message {
	c := s.chatOf(ch)
	s.users[from.ID] = from
	u := from
	return c.add(&message{Message: Message{ChatID: c.ID, SentAt: at}, from: &u})
}

func (s *Server) apiUserMessage(chatID int64, m *message) *apiMessage {
	c := s.chats[chatID]
	from := m.from.api()
	ac := c.api()
	if c.Type == ChatPrivate {
		ac.FirstName, ac.Username = m.from.FirstName, m.from.Username
	}
	return &apiMessage{
		MessageID: m.ID, From: &from, Chat: ac, Date: m.SentAt.Unix(),
		Text: m.Text, Contact: m.contact,
	}
}

// push queues an update for getUpdates or the webhook.
func (s *Server) push(u apiUpdate) {
	s.updateID++
	u.UpdateID = s.updateID
	s.updates = append(s.updates, u)
	s.notify()
}

// getUpdates answers a long poll: updates before offset are acknowledged
// and dropped; if none is left, it waits up to timeout seconds for one.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p params, raw []byte) {
	offset, _, err1 := p.int("offset")
	limit, hasLimit, err2 := p.int("limit")
	timeout, _, err3 := p.int("timeout")
	if !hasLimit || limit <= 0 || limit > 100 {
		limit = 100
	}
	deadline := time.Now().Add(min(time.Duration(timeout)*time.Second, maxPollTimeout))

	// A newer poll ends this one with a conflict, as when two instances
	// of a bot poll at once.
	s.mu.Lock()
	s.polls++
	poll := s.polls
	s.notify()
	s.mu.Unlock()

	for {
		s.mu.Lock()
		c := Call{Method: "getUpdates", Params: raw, At: time.Now()}
		var aerr *apiError
		switch {
		case err1 != nil || err2 != nil || err3 != nil:
			aerr = badRequest("wrong parameter")
		case s.polls != poll:
			aerr = &apiError{code: 409, desc: "Conflict: terminated by other getUpdates " +
				"request; make sure that only one bot instance is running"}
		case s.webhook.url != "":
			aerr = &apiError{code: 409, desc: "Conflict: can't use getUpdates method " +
				"while webhook is active; use deleteWebhook to delete the webhook first"}
		default:
			if f := s.takeFault("getUpdates"); f != nil {
				aerr = &apiError{code: f.code, desc: f.desc, retryAfter: f.retryAfter}
			}
		}
		if aerr == nil {
			s.ack(int(offset))
		}
		n := min(len(s.updates), int(limit))
		wake := s.wake
		if aerr != nil || n > 0 || !time.Now().Before(deadline) {
			batch := append([]apiUpdate{}, s.updates[:n]...)
			if aerr != nil {
				c.ErrorCode = aerr.code
			}
			s.calls = append(s.calls, c)
			s.mu.Unlock()
			writeAnswer(w, batch, aerr)
			return
		}
		s.waiting++
		s.mu.Unlock()

		var stop bool
		select {
		case <-wake:
		case <-time.After(time.Until(deadline)):
		case <-r.Context().Done():
			stop = true
		case <-s.done:
			stop = true
		}
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
		if stop {
			return
		}
	}
}

// Polling reports whether a getUpdates long poll is waiting for updates.
func (s *Server) Polling() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting > 0
}

// ack drops the updates before offset (a positive offset acknowledges).
func (s *Server) ack(offset int) {
	i := 0
	for i < len(s.updates) && s.updates[i].UpdateID < offset {
		i++
	}
	s.updates = s.updates[i:]
}

// SetWebhookTarget makes the fake deliver updates by POST to url (with
// the X-Telegram-Bot-Api-Secret-Token header when secret is set), as
// setWebhook does; an empty url goes back to getUpdates.
func (s *Server) SetWebhookTarget(url, secret string) {
	s.mu.Lock()
	s.webhook = webhook{url: url, secret: secret}
	s.notify()
	s.mu.Unlock()
}

func (s *Server) setWebhook(p params, _ time.Time) (any, *apiError) {
	url := p.str("url")
	if url != "" && !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	if p.bool("drop_pending_updates") {
		s.updates = nil
	}
	s.webhook = webhook{url: url, secret: p.str("secret_token")}
	s.notify()
	return true, nil
}

func (s *Server) deleteWebhook(p params, _ time.Time) (any, *apiError) {
	if p.bool("drop_pending_updates") {
		s.updates = nil
	}
	s.webhook = webhook{}
	s.notify()
	return true, nil
}

func (s *Server) getWebhookInfo(params, time.Time) (any, *apiError) {
	return map[string]any{
		"url": s.webhook.url, "has_custom_certificate": false,
		"pending_update_count": len(s.updates),
	}, nil
}

// deliver posts updates to the webhook, one at a time and in order, while
// one is set; an update is dropped once the target answers 2xx and retried
// after a pause otherwise (Telegram retries too).
func (s *Server) deliver() {
	defer s.wg.Done()
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		s.mu.Lock()
		hook, wake := s.webhook, s.wake
		var next *apiUpdate
		if hook.url != "" && len(s.updates) > 0 {
			u := s.updates[0]
			next = &u
		}
		s.mu.Unlock()

		if next == nil {
			select {
			case <-wake:
				continue
			case <-s.done:
				return
			}
		}
		if s.post(client, hook, *next) {
			s.mu.Lock()
			if len(s.updates) > 0 && s.updates[0].UpdateID == next.UpdateID {
				s.updates = s.updates[1:]
			}
			s.mu.Unlock()
			continue
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-s.done:
			return
		}
	}
}

func (s *Server) post(client *http.Client, hook webhook, u apiUpdate) bool {
	body, err := json.Marshal(u)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if hook.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hook.secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode/100 == 2
}
