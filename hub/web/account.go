package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/stolik/stolik/hub"
)

// Accounts
//
// Passwords are hashed with bcrypt (golang.org/x/crypto/bcrypt): the hash
// carries its salt and cost, the comparison is constant-time, and a login
// costs a fixed, small amount of memory. argon2id is the stronger choice
// against GPU cracking, but every login would hold tens of megabytes, and a
// burst of logins on a two-core hub is then a way to exhaust its memory;
// with logins rate-limited, bcrypt at cost 12 is the safer trade here.
//
// Sessions: a random 160-bit id in a cookie (HttpOnly, SameSite=Lax,
// Secure when served over TLS or when the public URL is https); the store
// keeps only its SHA-256 and an expiry. CSRF: every session has its own
// synchronizer token, which every dashboard form carries in a hidden
// field and the JSON API takes in the X-CSRF-Token header; the dashboard
// is also wrapped in net/http.CrossOriginProtection, which refuses
// cross-origin unsafe requests by Sec-Fetch-Site and Origin (both, as
// defence in depth; the login form has no session yet and relies on the
// latter and on SameSite).

// SessionCookie is the name of the dashboard's session cookie.
const SessionCookie = "stolik_session"

// DefaultSessionTTL is how long a dashboard session lasts.
const DefaultSessionTTL = 12 * time.Hour

// DefaultBcryptCost is the cost HashPassword uses.
const DefaultBcryptCost = 12

// maxPassword is bcrypt's limit: it ignores bytes past 72.
const maxPassword = 72

// HashPassword returns the bcrypt hash of password at cost (0: the
// default). A password shorter than 10 or longer than 72 bytes is refused.
func HashPassword(password string, cost int) ([]byte, error) {
	switch {
	case len(password) < 10:
		return nil, errors.New("hash password: use at least 10 characters")
	case len(password) > maxPassword:
		return nil, errors.New("hash password: use at most 72 bytes (bcrypt ignores the rest)")
	}
	if cost == 0 {
		cost = DefaultBcryptCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// principal is who makes a request: a signed-in user, or a program with
// an API key.
type principal struct {
	user    hub.User
	key     hub.APIKey
	session hub.Session
}

func (p principal) support() bool {
	return p.user.Role == hub.RoleSupport || p.key.Role == hub.RoleSupport && p.key.ID != ""
}

func (p principal) allows(venueID string) bool {
	if p.user.ID != "" {
		return p.user.Allows(venueID)
	}
	return p.key.ID != "" && p.key.Allows(venueID)
}

// actor names the principal in a booking's audit log.
func (p principal) actor() string {
	if p.user.ID != "" {
		return "staff:" + p.user.ID
	}
	return "staff:" + p.key.ID
}

// sessionOf returns the signed-in user of r, if any.
func (s *Server) sessionOf(r *http.Request) (principal, bool, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return principal{}, false, nil
	}
	se, err := s.store.Session(r.Context(), hub.HashSecret(c.Value), s.now().UTC())
	if errors.Is(err, hub.ErrNotFound) {
		return principal{}, false, nil
	}
	if err != nil {
		return principal{}, false, err
	}
	u, err := s.store.User(r.Context(), se.UserID)
	if errors.Is(err, hub.ErrNotFound) {
		return principal{}, false, nil
	}
	if err != nil {
		return principal{}, false, err
	}
	return principal{user: u, session: se}, true, nil
}

// validCSRF reports whether token is the session's.
func validCSRF(p principal, token string) bool {
	return p.session.CSRF != "" &&
		subtle.ConstantTimeCompare([]byte(p.session.CSRF), []byte(token)) == 1
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// supportAPI wraps a support API handler: a session (with X-CSRF-Token on
// unsafe methods) or an API key; 401 without either. The handler checks
// venues with p.allows.
func (s *Server) supportAPI(h func(http.ResponseWriter, *http.Request,
	principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := s.sessionOf(r)
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, "check session", err)
			return
		}
		if ok {
			if !safeMethod(r.Method) && !validCSRF(p, r.Header.Get("X-CSRF-Token")) {
				writeJSON(w, http.StatusForbidden, errorBody{
					Error: "send the session's CSRF token in the header X-CSRF-Token"})
				return
			}
			h(w, r, p)
			return
		}
		k, ok := s.apiKey(w, r)
		if !ok {
			return
		}
		h(w, r, principal{key: k})
	}
}

// page wraps a dashboard handler: without a session the browser is sent
// to the login page; an unsafe method needs the form's CSRF token.
func (s *Server) page(h func(http.ResponseWriter, *http.Request,
	principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := s.sessionOf(r)
		if err != nil {
			s.pageError(w, r, http.StatusInternalServerError, "check session", err)
			return
		}
		if !ok {
			if !safeMethod(r.Method) {
				http.Error(w, textsOf(r).T("err.session_ended"), http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()),
				http.StatusSeeOther)
			return
		}
		r = withLang(r, langFor(r, &p.user))
		if !safeMethod(r.Method) && !validCSRF(p, r.PostFormValue("csrf")) {
			http.Error(w, textsOf(r).T("err.csrf"), http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, p)
	}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login.html", loginData{Next: safeNext(r.FormValue("next"))})
}

type loginData struct {
	Next, Email, Error string
	// Here is the page's address, for the language switch link.
	Here string
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	email := hub.NormalizeEmail(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	data := loginData{Next: safeNext(r.PostFormValue("next")), Email: email}
	ip := s.clientIP(r)
	wait, err := s.logins.blocked(r.Context(), email, ip, s.now())
	if err != nil {
		s.pageError(w, r, http.StatusServiceUnavailable, "check sign-in limits", err)
		return
	}
	if wait > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		data.Error = textsOf(r).T("login.too_many", "minutes", int(wait.Minutes())+1)
		s.log.Warn("login rate limited", "remote", ip)
		s.render(w, r, http.StatusTooManyRequests, "login.html", data)
		return
	}
	u, err := s.store.UserByEmail(r.Context(), email)
	hash := u.PasswordHash
	if err != nil {
		if !errors.Is(err, hub.ErrNotFound) {
			s.pageError(w, r, http.StatusInternalServerError, "find user", err)
			return
		}
		hash = s.dummyHash()
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil {
		if err := s.logins.fail(r.Context(), email, ip, s.now()); err != nil {
			s.log.Error("count failed sign-in", "remote", ip, "err", err)
		}
		s.log.Info("login failed", "remote", ip)
		data.Error = textsOf(r).T("login.wrong")
		s.render(w, r, http.StatusUnauthorized, "login.html", data)
		return
	}
	if err := s.logins.succeed(r.Context(), email); err != nil {
		s.log.Warn("clear failed sign-ins", "user", u.ID, "err", err)
	}
	if err := s.startSession(w, r, u); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "start session", err)
		return
	}
	s.log.Info("signed in", "user", u.ID, "role", u.Role, "remote", ip)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u hub.User) error {
	id := hub.NewSecret()
	now := s.now().UTC()
	se := hub.Session{IDHash: hub.HashSecret(id), UserID: u.ID, CSRF: hub.NewSecret(),
		CreatedAt: now, Expires: now.Add(s.opts.SessionTTL)}
	if err := s.store.CreateSession(r.Context(), se); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/",
		Expires: se.Expires, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	return nil
}

// secure says whether cookies get the Secure flag: when the request came
// over TLS, or the hub's public URL is https (TLS ends at a proxy).
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.opts.PublicURL, "https://")
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p principal) {
	if err := s.store.DeleteSession(r.Context(), p.session.IDHash); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "sign out", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	// The next person at this browser (a shared terminal at the door)
	// gets their own account's language, not the one chosen here.
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// SweepSessions deletes expired sessions, and counts of failed sign-ins
// whose window ended, every interval until ctx ends.
func (s *Server) SweepSessions(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.store.DeleteExpiredSessions(ctx, s.now().UTC()); err != nil {
			s.log.Warn("delete expired sessions", "err", err)
		} else if n > 0 {
			s.log.Debug("expired sessions deleted", "count", n)
		}
		if _, err := s.logins.prune(ctx, s.now().UTC()); err != nil {
			s.log.Warn("forget old failed sign-ins", "err", err)
		}
	}
}
