// Package telegramtest is a fake Telegram Bot API server for tests: the bot
// under test talks to it over loopback HTTP (telebot's Settings.URL), and the
// test acts as the users (SendText, SendContact, Press) and reads what the
// bot did (Calls, Messages, Answered).
//
// It is written from Telegram's documented Bot API: requests to
// /bot<token>/<method> with parameters as JSON, a form or a query string;
// answers {"ok":true,"result":...} or {"ok":false,"error_code":N,
// "description":"...","parameters":{"retry_after":S}}. Error descriptions
// are Telegram's own, so telebot maps them to its error values.
//
// Updates reach the bot by getUpdates (long polling with offset acks; a
// second poller ends the first with 409 Conflict, as Telegram does) or,
// once a webhook is set, by POST to it, one update at a time. Flood limits like Telegram's are
// enforced on sendMessage and the edits (see Limits); faults can be
// injected per method (RateLimit, Fail, LoseReply).
//
// Any token is accepted. The fake is safe for concurrent use.
package telegramtest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a fake Bot API. Create it with New; it stops when the test ends.
type Server struct {
	t    testing.TB
	http *httptest.Server
	done chan struct{}
	wg   sync.WaitGroup

	mu sync.Mutex // guards everything below
	// calls holds every request, in arrival order.
	calls []Call
	chats map[int64]*chat
	users map[int64]User // every user seen, for getChatMember
	// updates waiting to be fetched or delivered, oldest first.
	updates  []apiUpdate
	updateID int
	polls    int // getUpdates requests so far; the newest one wins
	waiting  int // getUpdates requests waiting for an update
	// wake is closed and replaced whenever updates or the webhook change.
	wake      chan struct{}
	callbacks map[string]*callback
	nextCB    int
	faults    []fault
	limits    Limits
	global    []time.Time // times of counted calls, for Limits.Global
	webhook   webhook
	commands  json.RawMessage
}

type chat struct {
	Chat
	nextID  int
	msgs    []*message // every message in the chat, in order
	byID    map[int]*message
	members map[int64]string // user id -> status
	blocked bool
	sends   []time.Time // times of counted calls, for the per-chat limit
}

type message struct {
	Message
	from       *User // nil for the bot's own messages
	markup     json.RawMessage
	contact    *apiContact
	uneditable bool
	deleted    bool
}

type callback struct {
	answered  bool
	text      string
	showAlert bool
}

type webhook struct {
	url, secret string
}

// New starts a fake Bot API on 127.0.0.1 and stops it when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:         t,
		done:      make(chan struct{}),
		chats:     map[int64]*chat{},
		users:     map[int64]User{},
		wake:      make(chan struct{}),
		callbacks: map[string]*callback{},
		limits:    DefaultLimits,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("telegramtest: listen: %v", err)
	}
	s.http = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.http.Listener.Close()
	s.http.Listener = l
	s.http.Start()

	s.wg.Add(1)
	go s.deliver()
	t.Cleanup(s.close)
	return s
}

// URL is the API base to give telebot as Settings.URL (requests go to
// URL()+"/bot"+token+"/"+method).
func (s *Server) URL() string { return s.http.URL }

func (s *Server) close() {
	close(s.done)
	s.http.CloseClientConnections()
	s.http.Close()
	s.wg.Wait()
}

// Calls returns the requests made to method (any case, "" for every
// method), oldest first, failed ones included (their ErrorCode set).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			out = append(out, c)
		}
	}
	return out
}

// apiError is a failed call's answer.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func badRequest(desc string) *apiError {
	return &apiError{code: 400, desc: "Bad Request: " + desc}
}

type handler func(s *Server, p params, at time.Time) (any, *apiError)

var methods = map[string]handler{
	"getme":                  (*Server).getMe,
	"sendmessage":            (*Server).sendMessage,
	"editmessagetext":        (*Server).editMessageText,
	"editmessagereplymarkup": (*Server).editMessageReplyMarkup,
	"answercallbackquery":    (*Server).answerCallbackQuery,
	"deletemessage":          (*Server).deleteMessage,
	"setwebhook":             (*Server).setWebhook,
	"deletewebhook":          (*Server).deleteWebhook,
	"getwebhookinfo":         (*Server).getWebhookInfo,
	"getchatmember":          (*Server).getChatMember,
	"setmycommands":          (*Server).setMyCommands,
	"deletemycommands":       (*Server).deleteMyCommands,
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, name, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || token == "" || name == "" {
		writeAnswer(w, nil, &apiError{code: 404, desc: "Not Found"})
		return
	}
	p, raw, err := readParams(r)
	if err != nil {
		s.record(Call{Method: name, At: time.Now(), ErrorCode: 400})
		writeAnswer(w, nil, badRequest(err.Error()))
		return
	}

	if strings.EqualFold(name, "getUpdates") {
		s.getUpdates(w, r, p, raw)
		return
	}
	h, known := methods[strings.ToLower(name)]

	s.mu.Lock()
	at := time.Now()
	f := s.takeFault(name)
	var (
		result any
		aerr   *apiError
	)
	switch {
	case f != nil && !f.lose:
		aerr = &apiError{code: f.code, desc: f.desc, retryAfter: f.retryAfter}
	case !known:
		aerr = &apiError{code: 404, desc: "Not Found"}
	default:
		result, aerr = h(s, p, at)
	}
	c := Call{Method: name, Params: raw, At: at}
	if aerr != nil {
		c.ErrorCode = aerr.code
	}
	s.calls = append(s.calls, c)
	s.mu.Unlock()

	if f != nil && f.lose {
		loseReply(w)
		return
	}
	writeAnswer(w, result, aerr)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

// loseReply drops the connection without answering: the call took effect
// but the client cannot know it, as when a network path dies mid-request.
func loseReply(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeAnswer(w, nil, &apiError{code: 500, desc: "Internal Server Error"})
		return
	}
	if conn, _, err := hj.Hijack(); err == nil {
		conn.Close()
	}
}

func writeAnswer(w http.ResponseWriter, result any, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	if e != nil {
		body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
		if e.retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": e.retryAfter}
		}
		w.WriteHeader(e.code)
		json.NewEncoder(w).Encode(body)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// chatFor returns the chat with id, creating it (private for a positive
// id, a group for a negative one) if the bot has not seen it yet.
func (s *Server) chatFor(id int64) *chat {
	c, ok := s.chats[id]
	if !ok {
		typ := ChatPrivate
		if id < 0 {
			typ = ChatGroup
		}
		c = &chat{
			Chat: Chat{ID: id, Type: typ},
			byID: map[int]*message{}, members: map[int64]string{},
		}
		s.chats[id] = c
	}
	return c
}

// chatOf registers ch (its type and title win over a guessed one).
func (s *Server) chatOf(ch Chat) *chat {
	c := s.chatFor(ch.ID)
	if ch.Type != "" {
		c.Type = ch.Type
	}
	if ch.Title != "" {
		c.Title = ch.Title
	}
	return c
}

func (c *chat) api() apiChat {
	return apiChat{ID: c.ID, Type: c.Type, Title: c.Title}
}

func (s *Server) notify() {
	close(s.wake)
	s.wake = make(chan struct{})
}
