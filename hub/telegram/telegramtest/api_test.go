package telegramtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stolik/stolik/hub/telegram/telegramtest"
)

// answer is the Bot API's reply envelope.
type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// call posts params as JSON to a Bot API method of the fake.
func call(t testing.TB, s *telegramtest.Server, method string, params any) answer {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("encode %s params: %v", method, err)
	}
	resp, err := http.Post(s.URL()+"/bot1:x/"+method, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("call %s: %v", method, err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("decode %s answer: %v", method, err)
	}
	if !a.OK && resp.StatusCode != a.ErrorCode {
		t.Errorf("%s: HTTP status %d, error_code %d; want them equal",
			method, resp.StatusCode, a.ErrorCode)
	}
	return a
}

type update struct {
	UpdateID int `json:"update_id"`
	Message  *struct {
		MessageID int    `json:"message_id"`
		Text      string `json:"text"`
		Chat      struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		} `json:"chat"`
	} `json:"message"`
	CallbackQuery *struct {
		ID      string `json:"id"`
		Data    string `json:"data"`
		Message *struct {
			MessageID int `json:"message_id"`
		} `json:"message"`
	} `json:"callback_query"`
}

func updates(t testing.TB, a answer) []update {
	t.Helper()
	if !a.OK {
		t.Fatalf("getUpdates failed: %d %s", a.ErrorCode, a.Description)
	}
	var us []update
	if err := json.Unmarshal(a.Result, &us); err != nil {
		t.Fatalf("decode updates: %v", err)
	}
	return us
}

func TestGetUpdatesOffsetAndLongPoll(t *testing.T) {
	s := telegramtest.New(t)
	chat := telegramtest.PrivateChat(anna)
	s.SendText(chat, anna, "раз")
	s.SendText(chat, anna, "два")

	us := updates(t, call(t, s, "getUpdates", map[string]any{"timeout": 0}))
	if len(us) != 2 || us[0].Message.Text != "раз" || us[1].Message.Text != "два" {
		t.Fatalf("first poll = %+v, want раз, два", us)
	}
	// Without an offset past them, the same updates come again.
	again := updates(t, call(t, s, "getUpdates", map[string]any{"timeout": "0"}))
	if len(again) != 2 {
		t.Fatalf("unacknowledged poll = %d updates, want 2", len(again))
	}

	// An offset acknowledges; the long poll then waits for the next one.
	go func() {
		time.Sleep(50 * time.Millisecond) // let the poll start waiting
		s.SendText(chat, anna, "три")
	}()
	start := time.Now()
	next := updates(t, call(t, s, "getUpdates",
		map[string]any{"offset": us[1].UpdateID + 1, "timeout": 5}))
	if len(next) != 1 || next[0].Message.Text != "три" {
		t.Fatalf("long poll = %+v, want три", next)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("long poll returned after %v, want soon after the update", d)
	}

	// A poll with nothing to say times out empty.
	empty := updates(t, call(t, s, "getUpdates",
		map[string]any{"offset": next[0].UpdateID + 1, "timeout": 1}))
	if len(empty) != 0 {
		t.Errorf("idle poll = %+v, want none", empty)
	}
}

func TestSecondPollerConflicts(t *testing.T) {
	s := telegramtest.New(t)
	first := make(chan answer, 1)
	go func() { first <- call(t, s, "getUpdates", map[string]any{"timeout": 5}) }()
	deadline := time.Now().Add(5 * time.Second)
	for !s.Polling() {
		if time.Now().After(deadline) {
			t.Fatal("the first poll is not waiting after 5s")
		}
		time.Sleep(time.Millisecond)
	}
	second := make(chan answer, 1)
	go func() { second <- call(t, s, "getUpdates", map[string]any{"timeout": 1}) }()
	if a := <-first; a.ErrorCode != 409 || !strings.Contains(a.Description, "terminated") {
		t.Errorf("first poll = %+v, want 409 terminated by other getUpdates request", a)
	}
	if a := <-second; !a.OK {
		t.Errorf("second poll = %+v, want ok", a)
	}
}

func TestFloodLimits(t *testing.T) {
	s := telegramtest.New(t)
	s.SetLimits(telegramtest.StrictLimits)

	if a := call(t, s, "sendMessage", map[string]any{"chat_id": anna.ID, "text": "1"}); !a.OK {
		t.Fatalf("first send: %s", a.Description)
	}
	a := call(t, s, "sendMessage", map[string]any{"chat_id": anna.ID, "text": "2"})
	if a.OK || a.ErrorCode != 429 || a.Parameters.RetryAfter != 1 {
		t.Errorf("second send within a second = %+v, want 429 retry_after 1", a)
	}
	// Another private chat is not affected.
	if a := call(t, s, "sendMessage", map[string]any{"chat_id": ivan.ID, "text": "1"}); !a.OK {
		t.Errorf("send to another chat: %s", a.Description)
	}

	const group = -100500
	for i := range 20 {
		a := call(t, s, "sendMessage", map[string]any{"chat_id": group, "text": "g"})
		if !a.OK {
			t.Fatalf("group send %d: %s", i+1, a.Description)
		}
	}
	a = call(t, s, "sendMessage", map[string]any{"chat_id": group, "text": "g"})
	if a.ErrorCode != 429 || a.Parameters.RetryAfter < 50 || a.Parameters.RetryAfter > 60 {
		t.Errorf("21st group send in a minute = %+v, want 429 retry_after about 60", a)
	}
	if n := len(s.Messages(group)); n != 20 {
		t.Errorf("group messages = %d, want 20 (refused sends change nothing)", n)
	}

	// 30 a second overall.
	s.SetLimits(telegramtest.Limits{Global: telegramtest.Limit{N: 30, Per: time.Second}})
	refused := 0
	for i := range 40 {
		a := call(t, s, "sendMessage", map[string]any{"chat_id": 1000 + i, "text": "x"})
		if a.ErrorCode == 429 {
			refused++
		}
	}
	// Sends before SetLimits are still in the window: 3 private + 20 group.
	if refused < 10 {
		t.Errorf("refused %d of 40 sends in a second, want at least 10", refused)
	}
	if got := len(s.Calls("sendMessage")); got != 3+21+40 {
		t.Errorf("recorded sendMessage calls = %d, want %d", got, 3+21+40)
	}
}

func TestFaults(t *testing.T) {
	s := telegramtest.New(t)
	s.SetLimits(telegramtest.NoLimits)

	s.LoseReply("sendMessage", 1)
	body := strings.NewReader(`{"chat_id":"501","text":"потеряно"}`)
	resp, err := http.Post(s.URL()+"/bot1:x/sendMessage", "application/json", body)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("send under LoseReply answered %s, want a network error", resp.Status)
	}
	if got := s.Last(anna.ID).Text; got != "потеряно" {
		t.Errorf("message under LoseReply = %q, want it sent anyway", got)
	}

	s.Fail("sendMessage", 1, 403, "Forbidden: bot was blocked by the user")
	a := call(t, s, "sendMessage", map[string]any{"chat_id": anna.ID, "text": "x"})
	if a.ErrorCode != 403 {
		t.Errorf("send under Fail = %+v, want 403", a)
	}
	s.Block(ivan.ID)
	a = call(t, s, "sendMessage", map[string]any{"chat_id": ivan.ID, "text": "x"})
	if a.ErrorCode != 403 {
		t.Errorf("send to a blocked chat = %+v, want 403", a)
	}

	a = call(t, s, "sendMessage", map[string]any{"chat_id": anna.ID, "text": "старое"})
	var sent struct {
		MessageID int `json:"message_id"`
	}
	json.Unmarshal(a.Result, &sent)
	s.SetUneditable(anna.ID, sent.MessageID)
	a = call(t, s, "editMessageText",
		map[string]any{"chat_id": anna.ID, "message_id": sent.MessageID, "text": "новое"})
	if a.ErrorCode != 400 || !strings.Contains(a.Description, "can't be edited") {
		t.Errorf("edit of an old message = %+v, want 400 message can't be edited", a)
	}

	if a := call(t, s, "noSuchMethod", map[string]any{}); a.ErrorCode != 404 {
		t.Errorf("unknown method = %+v, want 404", a)
	}
	a = call(t, s, "sendMessage", map[string]any{"chat_id": anna.ID, "text": ""})
	if a.ErrorCode != 400 {
		t.Errorf("empty text = %+v, want 400", a)
	}
}

func TestEditsAndCallbacks(t *testing.T) {
	s := telegramtest.New(t)
	kb := `{"inline_keyboard":[[{"text":"Да","callback_data":"yes"}]]}`
	a := call(t, s, "sendMessage",
		map[string]any{"chat_id": anna.ID, "text": "Подтвердить?", "reply_markup": kb})
	var sent struct {
		MessageID int `json:"message_id"`
	}
	json.Unmarshal(a.Result, &sent)

	same := map[string]any{"chat_id": anna.ID, "message_id": sent.MessageID,
		"text": "Подтвердить?", "reply_markup": json.RawMessage(kb)}
	if a := call(t, s, "editMessageText", same); !strings.Contains(a.Description, "not modified") {
		t.Errorf("edit to the same content = %+v, want message is not modified", a)
	}
	a = call(t, s, "editMessageReplyMarkup",
		map[string]any{"chat_id": anna.ID, "message_id": sent.MessageID})
	if !a.OK {
		t.Fatalf("remove keyboard: %s", a.Description)
	}
	if m := s.Last(anna.ID); m.Buttons != nil || m.Edits != 1 {
		t.Errorf("after removing the keyboard: %+v, want no buttons, 1 edit", m)
	}

	cb := s.PressRaw(telegramtest.PrivateChat(anna), anna, 777, "forged")
	us := updates(t, call(t, s, "getUpdates", map[string]any{}))
	if len(us) != 1 || us[0].CallbackQuery == nil || us[0].CallbackQuery.Data != "forged" ||
		us[0].CallbackQuery.Message.MessageID != 777 {
		t.Fatalf("forged press = %+v, want a callback_query with data forged on 777", us)
	}
	if a := call(t, s, "answerCallbackQuery",
		map[string]any{"callback_query_id": cb, "text": "Устарело"}); !a.OK {
		t.Fatalf("answer: %s", a.Description)
	}
	if a := call(t, s, "answerCallbackQuery",
		map[string]any{"callback_query_id": cb}); a.ErrorCode != 400 {
		t.Errorf("second answer = %+v, want 400 query is too old", a)
	}
	if text, ok := s.Answered(cb); !ok || text != "Устарело" {
		t.Errorf("Answered = %q, %v, want Устарело, true", text, ok)
	}

	group := telegramtest.GroupChat(-42, "Кухня")
	s.SetMember(group, ivan, telegramtest.MemberAdministrator)
	a = call(t, s, "getChatMember", map[string]any{"chat_id": "-42", "user_id": ivan.ID})
	var member struct {
		Status string `json:"status"`
	}
	json.Unmarshal(a.Result, &member)
	if member.Status != telegramtest.MemberAdministrator {
		t.Errorf("getChatMember status = %q, want administrator", member.Status)
	}
	a = call(t, s, "getChatMember", map[string]any{"chat_id": -42, "user_id": anna.ID})
	json.Unmarshal(a.Result, &member)
	if member.Status != telegramtest.MemberLeft {
		t.Errorf("getChatMember of a stranger = %q, want left", member.Status)
	}
}

func TestWebhookDelivery(t *testing.T) {
	s := telegramtest.New(t)
	var (
		mu    sync.Mutex
		got   []string
		fails = 1
	)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret" {
			http.Error(w, "bad secret", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 { // the first delivery fails and must be retried
			fails--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var u update
		json.Unmarshal(b, &u)
		got = append(got, u.Message.Text)
	}))
	defer target.Close()

	a := call(t, s, "setWebhook", map[string]any{"url": target.URL, "secret_token": "s3cret"})
	if !a.OK {
		t.Fatalf("setWebhook: %s", a.Description)
	}
	if a := call(t, s, "getUpdates", map[string]any{}); a.ErrorCode != 409 {
		t.Errorf("getUpdates with a webhook = %+v, want 409", a)
	}
	chat := telegramtest.PrivateChat(anna)
	s.SendText(chat, anna, "один")
	s.SendText(chat, anna, "два")

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook got %d updates after 5s, want 2", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if got[0] != "один" || got[1] != "два" {
		t.Errorf("webhook order = %q, want один, два", got)
	}
}
