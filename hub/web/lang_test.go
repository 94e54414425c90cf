package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// getWith is a GET with an Accept-Language header.
func (b *browser) getWith(path, acceptLang string) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	mustDo(b.t, err)
	if acceptLang != "" {
		req.Header.Set("Accept-Language", acceptLang)
	}
	r, err := b.c.Do(req)
	mustDo(b.t, err)
	defer r.Body.Close()
	b.lastLocation = r.Header.Get("Location")
	body, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(body)
}

func wantIn(t *testing.T, what, body string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
	for _, w := range notWant {
		if strings.Contains(body, w) {
			t.Errorf("%s has %q", what, w)
		}
	}
}

// TestDashboardLanguage: staff without a language of their own read the
// venue page and its errors in Russian; the switch link turns the pages
// English and back, until signing out; an account's language beats the
// browser's; the sign-in page goes by the browser, else Russian.
func TestDashboardLanguage(t *testing.T) {
	h := newLiveHub(t)
	h.booking("bkg_ru", "ven_a", "t1")
	tomorrow := time.Now().Add(24 * time.Hour).In(mustZone(t, "Europe/Moscow")).
		Format("2006-01-02")

	ru := h.signIn("staff-ru@a.ru")
	_, page := ru.get("/venues/ven_a?date=" + tomorrow)
	wantIn(t, "Russian venue page", page,
		[]string{`<html lang="ru">`, "Зал сейчас", "Бронь по телефону", "Брони на ",
			`data-state="requested">запрошена`, ">подтвердить</button>",
			"Всё занято на это время",
			`href="/lang?to=en&amp;next=%2fvenues%2fven_a%3fdate%3d` + tomorrow + `"`},
		[]string{"Floor now", "Phone booking", ">confirm</button>"})

	code, _ := ru.post("/venues/ven_a/bookings", ru.form("start", "tomorrow", "party", "2",
		"name", "Анна"))
	if code != http.StatusSeeOther {
		t.Fatalf("phone booking with a bad start: %d, want 303", code)
	}
	_, page = ru.get(ru.lastLocation)
	wantIn(t, "phone booking's error", page, []string{"Дата и время: укажите их"},
		[]string{"give the date and time"})

	back := url.QueryEscape("/venues/ven_a?date=" + tomorrow)
	code, _ = ru.getWith("/lang?to=en&next="+back, "")
	if code != http.StatusSeeOther || ru.lastLocation != "/venues/ven_a?date="+tomorrow {
		t.Fatalf("switch to English: %d to %q, want 303 back to the page", code,
			ru.lastLocation)
	}
	_, page = ru.get("/venues/ven_a?date=" + tomorrow)
	wantIn(t, "venue page switched to English", page,
		[]string{`<html lang="en">`, "Floor now", ">confirm</button>", `href="/lang?to=ru`},
		[]string{"Зал сейчас"})
	ru.get("/lang?to=ru&next=/venues")
	_, page = ru.get("/venues")
	wantIn(t, "venues switched back", page, []string{`<html lang="ru">`, "Рестораны"}, nil)

	// Signing out forgets the choice: the next person at this browser
	// (an English account) gets their own language.
	ru.get("/lang?to=ru&next=/venues")
	if code, _ := ru.post("/logout", ru.form()); code != http.StatusSeeOther {
		t.Fatalf("sign out: %d, want 303", code)
	}
	code, _ = ru.post("/login", url.Values{"email": {"staff@a.ru"}, "password": {password}})
	if code != http.StatusSeeOther {
		t.Fatalf("sign in after sign-out: %d, want 303", code)
	}
	_, page = ru.get("/venues")
	wantIn(t, "the next account's page", page, []string{`<html lang="en">`}, nil)

	// An account's language beats the browser's.
	en := h.signIn("staff@a.ru")
	_, page = en.getWith("/venues", "ru-RU,ru;q=0.9")
	wantIn(t, "an English account's page", page, []string{`<html lang="en">`, "Venues"},
		[]string{"Рестораны"})

	jar, _ := cookiejar.New(nil)
	anon := &browser{t: t, base: h.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	_, page = anon.get("/login")
	wantIn(t, "sign-in page", page, []string{`<html lang="ru">`, ">Войти</button>"}, nil)
	_, page = anon.getWith("/login", "en-US,en;q=0.9")
	wantIn(t, "sign-in page for an English browser", page, []string{">Sign in</button>"}, nil)
	code, page = anon.post("/login", url.Values{"email": {"staff-ru@a.ru"},
		"password": {"not the password"}})
	if code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d, want 401", code)
	}
	wantIn(t, "wrong password", page, []string{"Неверная почта или пароль."}, nil)

	if code, _ := anon.get("/lang?to=de"); code != http.StatusBadRequest {
		t.Errorf("/lang?to=de: %d, want 400", code)
	}
	code, _ = anon.getWith("/lang?to=en&next=//evil.example/", "")
	if code != http.StatusSeeOther || anon.lastLocation != "/" {
		t.Errorf("/lang with a next off the site: %d to %q, want 303 to /", code,
			anon.lastLocation)
	}
}
