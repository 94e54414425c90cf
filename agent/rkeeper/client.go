package rkeeper

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/stolik/stolik/agent"
)

// maxAnswer bounds an answer's size; a venue's open orders are far less.
const maxAnswer = 32 << 20

// StatusError is an in-band error: the XML interface answered HTTP 200
// with a Status other than Ok.
type StatusError struct {
	Cmd    string // the command, e.g. VoidOrder
	Status string // e.g. Query Executing Error
	Code   string // RK7ErrorN, when given
	Text   string // ErrorText, or the texts of the Errors rows
}

func (e *StatusError) Error() string {
	var b strings.Builder
	b.WriteString(e.Status)
	if e.Code != "" {
		b.WriteString(" (RK7ErrorN " + e.Code + ")")
	}
	if e.Text != "" {
		b.WriteString(": " + e.Text)
	}
	return b.String()
}

// httpError is an answer other than HTTP 200. The XML interface reports
// its own errors in-band, so such an answer means the command was not
// carried out.
type httpError struct {
	code int
	body string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.body) }

// client posts RK7Query documents to the XML interface.
type client struct {
	url      string
	user     string
	password string
	http     *http.Client
	timeout  time.Duration
}

// call sends cmd and decodes the answer into out. It returns a
// *StatusError (wrapped, naming the command) for an in-band error; "Ok"
// and "No changes" are not errors, and the caller reads out's Status to
// tell them apart. The XML interface has no session: every request logs in
// with HTTP Basic, so an HTTP 401 means the user or password was refused
// and is never sent again at once with the same credentials (each try is
// a failed login for the employee); it is a FixError about the
// credentials, and the next poll tries again.
func (c *client) call(ctx context.Context, cmd node, out result) error {
	name := cmd.attr("CMD")
	body, err := encodeQuery(cmd)
	if err != nil {
		return fmt.Errorf("rkeeper %s: encode query: %w", name, err)
	}
	ans, code, err := c.post(ctx, body)
	if err != nil {
		return fmt.Errorf("rkeeper %s: %w", name, err)
	}
	if code == http.StatusUnauthorized {
		err := &httpError{code: code, body: "user or password refused"}
		return agent.WithFix(fmt.Errorf("rkeeper %s: %w", name, err),
			"check connector.rkeeper.user and password (or STOLIK_RKEEPER_PASSWORD): the "+
				"employee must exist in Manager station with a role that has the HTTP "+
				"access right, and the cash server must have been restarted since; the "+
				"agent tries again only at the next poll, so as not to lock the employee "+
				"out with failed logins",
			"проверьте connector.rkeeper.user и password (или STOLIK_RKEEPER_PASSWORD): "+
				"сотрудник должен быть заведён в менеджерской станции с ролью, у которой "+
				"есть право HTTP-доступа, а кассовый сервер после этого перезапущен; агент "+
				"повторит вход только при следующем опросе, чтобы неудачные входы не "+
				"заблокировали сотрудника")
	}
	if code != http.StatusOK {
		err := &httpError{code: code, body: snippet(ans, 200)}
		return fmt.Errorf("rkeeper %s: %w", name, err)
	}
	return decodeAnswer(name, ans, out)
}

// decodeAnswer decodes the answer to command name into out and turns an
// in-band error status into a *StatusError, wrapped with the command's
// name.
func decodeAnswer(name string, ans []byte, out result) error {
	if err := xml.Unmarshal(ans, out); err != nil {
		// Only the very beginning: further on, answers hold guests' names
		// and phones.
		return fmt.Errorf("rkeeper %s: decode answer: %w (answer begins %q)", name, err,
			snippet(ans, 80))
	}
	h := out.head()
	switch h.Status {
	case statusOK, statusNoChanges:
		return nil
	case "":
		return fmt.Errorf("rkeeper %s: answer without a Status", name)
	}
	se := &StatusError{Cmd: name, Status: h.Status, Code: h.ErrorN, Text: h.ErrorText}
	if se.Text == "" {
		var texts []string
		for _, e := range h.Errors {
			texts = append(texts, strings.TrimSpace(e.Text))
		}
		se.Text = strings.Join(texts, "; ")
	}
	if se.Code == "" && len(h.Errors) > 0 {
		se.Code = h.Errors[0].N
	}
	return fmt.Errorf("rkeeper %s: %w", name, se)
}

// post sends one request and returns the body and HTTP status.
func (c *client) post(parent context.Context, body []byte) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	req.SetBasicAuth(c.user, c.password)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			err = fmt.Errorf("no answer within %v (connector.rkeeper.request_timeout): %w",
				c.timeout, err)
		}
		return nil, 0, transportError(err, c.url)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read answer: %w", err)
	}
	if len(b) > maxAnswer {
		return nil, 0, fmt.Errorf("answer larger than %d MB", maxAnswer>>20)
	}
	return b, resp.StatusCode, nil
}

// transportError adds the next step to a failure to reach the server.
func transportError(err error, url string) error {
	var pe *PinError
	if errors.As(err, &pe) {
		return agent.WithFix(err,
			"if the cash server's certificate was replaced on purpose, set "+
				"connector.rkeeper.cert_sha256 to "+pe.Got+" and restart the agent; "+
				"otherwise find out who answers at "+url,
			"если сертификат кассового сервера заменили намеренно, запишите в "+
				"connector.rkeeper.cert_sha256 значение "+pe.Got+" и перезапустите агент; "+
				"иначе выясните, кто отвечает по адресу "+url)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return agent.WithFix(err,
		"check that the cash server is running and that connector.rkeeper.url ("+url+
			") names its HTTP Data Port, reachable from this computer",
		"проверьте, что кассовый сервер запущен и что connector.rkeeper.url ("+url+
			") указывает его HTTP Data Port, доступный с этого компьютера")
}

// snippet shortens an answer to n bytes for an error message.
func snippet(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}

// attr returns the value of n's attribute name.
func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
