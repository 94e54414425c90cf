package e2e_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDashboardAccount: stolik-hub user add makes a support account (the
// password from STOLIK_USER_PASSWORD) that signs in to the running hub's
// dashboard and sees the fleet; a bad role is refused with words.
func TestDashboardAccount(t *testing.T) {
	h := newHub(t, "")
	cred := h.addAgent("Кафе Дашборд")
	const password = "a long enough password"
	add := func(args ...string) (string, error) {
		cmd := exec.Command(bins.hub, h.args(append([]string{"user", "add"}, args...)...)...)
		cmd.Env = append(os.Environ(), append(h.env(), "STOLIK_USER_PASSWORD="+password)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := add("--email", "Support@Stolik.ru", "--role", "support"); err != nil ||
		!strings.Contains(out, "email: support@stolik.ru") {
		t.Fatalf("user add: %v: %s", err, out)
	}
	if out, err := add("--email", "x@y.ru", "--role", "boss"); err == nil ||
		!strings.Contains(out, "--role must be support or staff") {
		t.Errorf("user add with a bad role: %v: %s", err, out)
	}
	p := h.start()
	defer p.stop()

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	r, err := c.PostForm(h.url()+"/login", url.Values{"email": {"support@stolik.ru"},
		"password": {password}, "next": {"/fleet"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK || !strings.Contains(string(body), cred.AgentID) {
		t.Errorf("fleet after sign-in = %d, without agent %s:\n%s", r.StatusCode,
			cred.AgentID, body)
	}
}
