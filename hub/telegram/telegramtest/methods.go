package telegramtest

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// maxText is the Bot API's limit on a message's text, in characters.
const maxText = 4096

func (s *Server) getMe(params, time.Time) (any, *apiError) {
	return apiUser{ID: BotID, IsBot: true, FirstName: "Stolik Test", Username: BotUsername}, nil
}

// target finds the chat a call is about; a blocked chat is refused.
func (s *Server) target(p params) (*chat, *apiError) {
	id, ok, err := p.int("chat_id")
	switch {
	case err != nil:
		return nil, badRequest("chat not found")
	case !ok || id == 0:
		return nil, badRequest("chat_id is empty")
	}
	c := s.chatFor(id)
	if c.blocked {
		return nil, &apiError{code: 403, desc: "Forbidden: bot was blocked by the user"}
	}
	return c, nil
}

func checkText(text string) *apiError {
	switch {
	case text == "":
		return badRequest("message text is empty")
	case utf8.RuneCountInString(text) > maxText:
		return badRequest("message is too long")
	}
	return nil
}

func (s *Server) sendMessage(p params, at time.Time) (any, *apiError) {
	c, aerr := s.target(p)
	if aerr != nil {
		return nil, aerr
	}
	text := p.str("text")
	if aerr := checkText(text); aerr != nil {
		return nil, aerr
	}
	mk, raw, err := p.markup()
	if err != nil {
		return nil, badRequest(err.Error())
	}
	if aerr := s.flood(c, at); aerr != nil {
		return nil, aerr
	}

	m := c.add(&message{Message: Message{
		ChatID: c.ID, Text: text, ParseMode: p.str("parse_mode"), SentAt: at,
	}})
	m.setMarkup(mk, raw)
	return s.botMessage(c, m), nil
}

// editable finds the bot's message a call edits.
func (s *Server) editable(p params) (*chat, *message, *apiError) {
	if p.has("inline_message_id") {
		return nil, nil, badRequest("inline messages are not supported by the fake")
	}
	c, aerr := s.target(p)
	if aerr != nil {
		return nil, nil, aerr
	}
	id, _, err := p.int("message_id")
	m, ok := c.byID[int(id)]
	switch {
	case err != nil || !ok || m.deleted:
		return nil, nil, badRequest("message to edit not found")
	case m.from != nil || m.uneditable:
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

func (s *Server) editMessageText(p params, at time.Time) (any, *apiError) {
	c, m, aerr := s.editable(p)
	if aerr != nil {
		return nil, aerr
	}
	text := p.str("text")
	if aerr := checkText(text); aerr != nil {
		return nil, aerr
	}
	mk, raw, err := p.markup()
	if err != nil {
		return nil, badRequest(err.Error())
	}
	if text == m.Text && sameMarkup(raw, m.markup) {
		return nil, badRequest("message is not modified: specified new message content " +
			"and reply markup are exactly the same as a current content and reply markup " +
			"of the message")
	}
	if aerr := s.flood(c, at); aerr != nil {
		return nil, aerr
	}

	m.Text, m.ParseMode = text, p.str("parse_mode")
	m.setMarkup(mk, raw)
	m.Edits++
	m.EditedAt = at
	return s.botMessage(c, m), nil
}

func (s *Server) editMessageReplyMarkup(p params, at time.Time) (any, *apiError) {
	c, m, aerr := s.editable(p)
	if aerr != nil {
		return nil, aerr
	}
	mk, raw, err := p.markup()
	if err != nil {
		return nil, badRequest(err.Error())
	}
	if sameMarkup(raw, m.markup) {
		return nil, badRequest("message is not modified: specified new message content " +
			"and reply markup are exactly the same as a current content and reply markup " +
			"of the message")
	}
	if aerr := s.flood(c, at); aerr != nil {
		return nil, aerr
	}

	m.setMarkup(mk, raw)
	m.Edits++
	m.EditedAt = at
	return s.botMessage(c, m), nil
}

func (s *Server) deleteMessage(p params, _ time.Time) (any, *apiError) {
	c, aerr := s.target(p)
	if aerr != nil {
		return nil, aerr
	}
	id, _, err := p.int("message_id")
	m, ok := c.byID[int(id)]
	if err != nil || !ok || m.deleted {
		return nil, badRequest("message to delete not found")
	}
	m.deleted = true
	return true, nil
}

func (s *Server) answerCallbackQuery(p params, _ time.Time) (any, *apiError) {
	cb, ok := s.callbacks[p.str("callback_query_id")]
	if !ok || cb.answered {
		return nil, badRequest("query is too old and response timeout expired " +
			"or query ID is invalid")
	}
	cb.answered, cb.text, cb.showAlert = true, p.str("text"), p.bool("show_alert")
	return true, nil
}

func (s *Server) getChatMember(p params, _ time.Time) (any, *apiError) {
	c, aerr := s.target(p)
	if aerr != nil {
		return nil, aerr
	}
	uid, _, err := p.int("user_id")
	if err != nil || uid == 0 {
		return nil, badRequest("invalid user_id specified")
	}
	status, ok := c.members[uid]
	if !ok {
		status = MemberLeft
	}
	u, ok := s.users[uid]
	if !ok {
		u = User{ID: uid, FirstName: "User"}
	}
	return map[string]any{"user": u.api(), "status": status}, nil
}

func (s *Server) setMyCommands(p params, _ time.Time) (any, *apiError) {
	v, ok := p["commands"]
	var str string
	if json.Unmarshal(v, &str) == nil {
		v = json.RawMessage(str)
	}
	var cmds []struct {
		Command     string `json:"command"`
		Description string `json:"description"`
	}
	if !ok || json.Unmarshal(v, &cmds) != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	s.commands = v
	return true, nil
}

func (s *Server) deleteMyCommands(params, time.Time) (any, *apiError) {
	s.commands = nil
	return true, nil
}

// sameMarkup reports whether two reply_markup encodings say the same.
func sameMarkup(a, b json.RawMessage) bool {
	var x, y apiMarkup
	if len(a) > 0 && json.Unmarshal(a, &x) != nil {
		return false
	}
	if len(b) > 0 && json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// add gives m the chat's next message id and stores it.
func (c *chat) add(m *message) *message {
	c.nextID++
	m.ID = c.nextID
	c.msgs = append(c.msgs, m)
	c.byID[m.ID] = m
	return m
}

// setMarkup records a reply_markup sent with or for m. An inline keyboard
// replaces the message's buttons; a reply keyboard only affects the chat's
// input field, so it is kept for reading but never edited.
func (m *message) setMarkup(mk *apiMarkup, raw json.RawMessage) {
	if mk == nil {
		m.Buttons, m.markup = nil, nil
		return
	}
	m.markup = raw
	m.Buttons = buttons(mk.InlineKeyboard)
	if mk.Keyboard != nil {
		m.Keyboard = buttons(mk.Keyboard)
	}
	m.RemoveKeyboard = mk.RemoveKeyboard
}

// botMessage is m as the Bot API returns it.
func (s *Server) botMessage(c *chat, m *message) *apiMessage {
	bot := apiUser{ID: BotID, IsBot: true, FirstName: "Stolik Test", Username: BotUsername}
	out := &apiMessage{
		MessageID: m.ID, From: &bot, Chat: c.api(), Date: m.SentAt.Unix(),
		Text: m.Text, ReplyMarkup: m.markup,
	}
	if !m.EditedAt.IsZero() {
		out.EditDate = m.EditedAt.Unix()
	}
	return out
}
