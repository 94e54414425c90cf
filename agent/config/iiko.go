package config

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

var uuidPattern = regexp.MustCompile(
	`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// problems checks the iiko section.
func (i Iiko) problems() []Problem {
	var probs []Problem
	bad := func(field, en, ru string) {
		probs = append(probs, Problem{Field: "connector.iiko." + field, Message: en, RU: ru})
	}
	switch {
	case i.APIKey != "":
		if i.AppID == "" {
			bad("app_id", "is empty; api_key needs the app id of the registered application "+
				"(iiko developer portal)",
				"не заполнено; для api_key нужен app id зарегистрированного приложения "+
					"(портал разработчика iiko)")
		}
		if i.ClientSecret == "" {
			bad("client_secret", "is empty; api_key needs the application's client secret "+
				"(or set STOLIK_IIKO_CLIENT_SECRET)",
				"не заполнено; для api_key нужен client secret приложения "+
					"(или STOLIK_IIKO_CLIENT_SECRET)")
		}
	case i.APILogin == "":
		bad("api_key", "is empty; write api_key, app_id and client_secret (a key is made in "+
			"iikoWeb -> Integrations -> API keys), or the older api_login",
			"не заполнено; укажите api_key, app_id и client_secret (ключ создаётся в "+
				"iikoWeb -> Интеграции -> API-ключи) или прежний api_login")
	}
	if u, err := url.Parse(i.BaseURL); err != nil || u.Host == "" ||
		(u.Scheme != "https" && u.Scheme != "http") {
		bad("base_url", fmt.Sprintf("%q is not an address like https://api-ru.iiko.services",
			i.BaseURL), fmt.Sprintf("%q — не адрес вида https://api-ru.iiko.services", i.BaseURL))
	}
	for _, f := range []struct{ field, v string }{
		{"organization_id", i.OrganizationID}, {"terminal_group_id", i.TerminalGroupID},
	} {
		if f.v != "" && !uuidPattern.MatchString(f.v) {
			bad(f.field, fmt.Sprintf("%q is not an id like 9e798329-ef72-4531-977c-d4d58a3a512b; "+
				"leave it out when the key sees only one", f.v),
				fmt.Sprintf("%q — не идентификатор вида 9e798329-ef72-4531-977c-d4d58a3a512b; "+
					"не указывайте его, если ключу виден только один", f.v))
		}
	}
	if i.TimeZone != "" {
		if _, err := time.LoadLocation(i.TimeZone); err != nil {
			bad("time_zone", fmt.Sprintf("%q is not an IANA zone such as Europe/Moscow",
				i.TimeZone), fmt.Sprintf("%q — не часовой пояс IANA, как Europe/Moscow",
				i.TimeZone))
		}
	}
	if i.WindowBack < 0 || i.WindowBack > 24*time.Hour {
		bad("window_back", fmt.Sprintf("%v: use 0 to 24h (2h is usual)", i.WindowBack),
			fmt.Sprintf("%v: укажите от 0 до 24h (обычно 2h)", i.WindowBack))
	}
	if i.WindowAhead < time.Hour || i.WindowAhead > 90*24*time.Hour {
		bad("window_ahead", fmt.Sprintf("%v: use 1h to 2160h, iiko's 90 days (744h, 31 "+
			"days, covers the hub's default booking horizon of 30 days)", i.WindowAhead),
			fmt.Sprintf("%v: укажите от 1h до 2160h, 90 дней iiko (744h, 31 день, покрывает "+
				"горизонт бронирования хаба по умолчанию, 30 дней)", i.WindowAhead))
	}
	if i.RequestTimeout < time.Second || i.RequestTimeout > 5*time.Minute {
		bad("request_timeout", fmt.Sprintf("%v: use 1s to 5m (30s is usual)", i.RequestTimeout),
			fmt.Sprintf("%v: укажите от 1s до 5m (обычно 30s)", i.RequestTimeout))
	}
	return probs
}
