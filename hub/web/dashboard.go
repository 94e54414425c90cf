package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
)

// Dashboard
//
// Pages are rendered on the hub with html/template from templates/ and
// need no build step: static/ holds one stylesheet and one small script
// that refreshes the fleet and the floor plan from JSON every few seconds.
//
//	GET  /login, POST /login, POST /logout
//	GET  /lang?to=ru|en[&next=]             the pages' language (see lang.go)
//	GET  /fleet (and /fleet.json)           agents, those needing attention first
//	GET  /agents/{id}                       chart, reconnects, commands, logs
//	POST /agents/{id}/resync|revoke|logs    actions (revoke: support only)
//	GET  /venues, POST /venues              venues; support creates them
//	GET  /venues/{id}[?date=] (/live.json)  bookings of a day, the floor plan
//	POST /venues/{id}/bookings              a phone booking
//	POST /venues/{id}/enroll                a one-time enrollment code (support)
//	POST /venues/{id}/notices/done          a staff notice done (form: notice)
//	POST /bookings/{id}/{action}            confirm, decline, seat, cancel
//	POST /bookings/{id}/move                a new time or table
//
// Staff see and act on their venues only: anything else is 404, so ids of
// other venues are not confirmed either way.

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// funcs are the templates' functions in lang: t writes a catalogue text
// ({{t "key" "name" value}}), lang and otherLang name the page's language
// and the one the switch link offers.
func funcs(lang string) template.FuncMap {
	x := texts(lang)
	return template.FuncMap{
		"t":         x.T,
		"lang":      func() string { return lang },
		"otherLang": func() string { return otherLang(lang) },
		"ago":       ago,
		"clock":     func(t time.Time, z *time.Location) string { return t.In(z).Format("15:04") },
		"stamp": func(t time.Time) string {
			if t.IsZero() {
				return x.T("time.never")
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"join": strings.Join,
		// staffReasons and refuses feed the decline and cancel reasons on
		// the venue page.
		"staffReasons": func() []string { return staffReasons },
		"refuses": func(actions []string) bool {
			return slices.Contains(actions, "decline") || slices.Contains(actions, "cancel")
		},
	}
}

// pages holds, by language, one template set per page: the layout plus
// the page.
var pages = func() map[string]map[string]*template.Template {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := make(map[string]map[string]*template.Template)
	for _, lang := range hub.UserLangs {
		base := template.Must(template.New("").Funcs(funcs(lang)).ParseFS(templateFiles,
			"templates/layout.html"))
		out[lang] = make(map[string]*template.Template)
		for _, n := range names {
			name := strings.TrimPrefix(n, "templates/")
			if name == "layout.html" {
				continue
			}
			out[lang][name] = template.Must(template.Must(base.Clone()).ParseFS(templateFiles, n))
		}
	}
	return out
}()

// ago says how long ago t was, roughly, for people.
func ago(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// frame is what every page gets besides its own data.
type frame struct {
	Title string
	// Here is the page's address, for the language switch link.
	Here    string
	User    string
	Support bool
	CSRF    string
	Now     time.Time
	Flash   string
	Page    any
}

func (s *Server) frame(p principal, title string, page any) frame {
	return frame{Title: title, User: p.user.Email, Support: p.support(),
		CSRF: p.session.CSRF, Now: s.now().UTC(), Page: page}
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, page string,
	data any) {
	lang := langOf(r)
	switch d := data.(type) {
	case frame:
		d.Here = r.URL.RequestURI()
		data = d
	case loginData:
		d.Here = r.URL.RequestURI()
		data = d
	}
	t := pages[lang][page]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, page, data); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "render "+page, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; "+
		"script-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// pageError logs the internal error and answers with a plain message.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, code int, what string,
	err error) {
	s.log.Error("dashboard request failed", "path", r.URL.Path, "what", what, "err", err)
	http.Error(w, what+": internal error, see the hub log", code)
}

func (s *Server) notFound(w http.ResponseWriter) {
	http.Error(w, "not found, or not yours to see", http.StatusNotFound)
}

func (s *Server) dashboardRoutes() {
	// CrossOriginProtection refuses cross-site unsafe requests before the
	// CSRF token is even looked at (see account.go).
	cop := http.NewCrossOriginProtection()
	handle := func(pattern string, h http.HandlerFunc) {
		s.mux.Handle(pattern, cop.Handler(h))
	}
	static, _ := fs.Sub(staticFiles, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/",
		http.FileServer(http.FS(static))))
	handle("GET /lang", s.switchLang)
	handle("GET /login", s.loginPage)
	handle("POST /login", s.login)
	handle("POST /logout", s.page(s.logout))
	handle("GET /{$}", s.page(s.home))
	handle("GET /fleet", s.page(s.fleetPage))
	handle("GET /fleet.json", s.page(s.fleetJSON))
	handle("GET /agents/{id}", s.page(s.agentPage))
	handle("POST /agents/{id}/resync", s.page(s.agentResync))
	handle("POST /agents/{id}/revoke", s.page(s.agentRevoke))
	handle("POST /agents/{id}/logs", s.page(s.agentLogs))
	handle("GET /venues", s.page(s.venuesPage))
	handle("POST /venues", s.page(s.createVenue))
	handle("GET /venues/{id}", s.page(s.venuePage))
	handle("GET /venues/{id}/live.json", s.page(s.venueLive))
	handle("POST /venues/{id}/bookings", s.page(s.phoneBooking))
	handle("POST /venues/{id}/enroll", s.page(s.venueEnroll))
	handle("POST /venues/{id}/notices/done", s.page(s.noticeDone))
	handle("POST /bookings/{id}/{action}", s.page(s.bookingAction))
	handle("POST /bookings/{id}/move", s.page(s.bookingMove))
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, p principal) {
	if p.support() {
		http.Redirect(w, r, "/fleet", http.StatusSeeOther)
		return
	}
	if len(p.user.VenueIDs) == 1 {
		http.Redirect(w, r, "/venues/"+p.user.VenueIDs[0], http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/venues", http.StatusSeeOther)
}

func urlQuery(s string) string { return url.QueryEscape(s) }
