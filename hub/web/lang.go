package web

import (
	"cmp"
	"context"
	"embed"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/i18n"
)

// Languages of the dashboard
//
// The pages speak Russian or English (locales/*.yaml). The language is,
// in order: the one chosen with the switch link on every page (a cookie),
// the account's (hub.User.Lang, stolik-hub user add --lang), the
// browser's first Russian-like or English tag in Accept-Language, else
// Russian for venue staff and on the sign-in page and English for
// support. Signing out forgets the choice, so the next person at a shared
// browser gets their own. Errors from deeper layers (the desk's, the store's) stay
// English.

//go:embed locales/*.yaml
var localeFiles embed.FS

// catalog holds the dashboard's texts.
var catalog = func() i18n.Catalog {
	c, err := i18n.Load(localeFiles, "locales")
	if err != nil {
		panic(err)
	}
	return c
}()

// LangCookie keeps the language chosen with the switch link.
const LangCookie = "stolik_lang"

// langCookieTTL is how long the choice is kept.
const langCookieTTL = 365 * 24 * time.Hour

type langKey struct{}

// known reports whether the dashboard speaks lang.
func known(lang string) bool { return slices.Contains(hub.UserLangs, lang) }

// langFor picks the language for r's pages; u is the signed-in account,
// nil on the sign-in page.
func langFor(r *http.Request, u *hub.User) string {
	if c, err := r.Cookie(LangCookie); err == nil && known(c.Value) {
		return c.Value
	}
	if u != nil && known(u.Lang) {
		return u.Lang
	}
	if lang := acceptLang(r.Header.Get("Accept-Language")); lang != "" {
		return lang
	}
	if u != nil && u.Role == hub.RoleSupport {
		return "en"
	}
	return "ru"
}

// acceptLang returns the language of the most wanted tag of an
// Accept-Language header that is Russian-like or English, "" if none is.
func acceptLang(header string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		lang := i18n.Lang(primary)
		if lang == "en" && primary != "en" {
			continue // a language the dashboard does not speak
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// withLang keeps the language picked for r's pages in its context.
func withLang(r *http.Request, lang string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), langKey{}, lang))
}

// langOf is the language of r's pages.
func langOf(r *http.Request) string {
	if lang, ok := r.Context().Value(langKey{}).(string); ok {
		return lang
	}
	return langFor(r, nil)
}

// texts writes the dashboard's messages in one language.
type texts string

// T returns the text of key with args ("name", value, ...) put in.
func (x texts) T(key string, args ...any) string { return catalog.T(string(x), key, args...) }

// textsOf writes messages in the language of r's pages.
func textsOf(r *http.Request) texts { return texts(langOf(r)) }

// otherLang is the language the switch link offers.
func otherLang(lang string) string {
	if lang == "ru" {
		return "en"
	}
	return "ru"
}

// switchLang keeps the language chosen (?to=ru|en) in a cookie and goes
// back to the page (?next=).
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := r.FormValue("to")
	if !known(lang) {
		http.Error(w, "to: want ru or en", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/",
		MaxAge: int(langCookieTTL.Seconds()), HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, safeNext(cmp.Or(r.FormValue("next"), "/")), http.StatusSeeOther)
}
