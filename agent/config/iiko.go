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
	bad := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: "connector.iiko." + field,
			Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case i.APIKey != "":
		if i.AppID == "" {
			bad("app_id", "is empty; api_key needs the app id of the registered application "+
				"(iiko developer portal)")
		}
		if i.ClientSecret == "" {
			bad("client_secret", "is empty; api_key needs the application's client secret "+
				"(or set STOLIK_IIKO_CLIENT_SECRET)")
		}
	case i.APILogin == "":
		bad("api_key", "is empty; write api_key, app_id and client_secret (a key is made in "+
			"iikoWeb -> Integrations -> API keys), or the older api_login")
	}
	if u, err := url.Parse(i.BaseURL); err != nil || u.Host == "" ||
		(u.Scheme != "https" && u.Scheme != "http") {
		bad("base_url", "%q is not an address like https://api-ru.iiko.services", i.BaseURL)
	}
	for field, v := range map[string]string{
		"organization_id": i.OrganizationID, "terminal_group_id": i.TerminalGroupID,
	} {
		if v != "" && !uuidPattern.MatchString(v) {
			bad(field, "%q is not an id like 9e798329-ef72-4531-977c-d4d58a3a512b; "+
				"leave it out when the key sees only one", v)
		}
	}
	if i.TimeZone != "" {
		if _, err := time.LoadLocation(i.TimeZone); err != nil {
			bad("time_zone", "%q is not an IANA zone such as Europe/Moscow", i.TimeZone)
		}
	}
	if i.WindowBack < 0 || i.WindowBack > 24*time.Hour {
		bad("window_back", "%v: use 0 to 24h (2h is usual)", i.WindowBack)
	}
	if i.WindowAhead < time.Hour || i.WindowAhead > 90*24*time.Hour {
		bad("window_ahead", "%v: use 1h to 2160h, iiko's 90 days (744h, 31 days, covers the "+
			"hub's default booking horizon of 30 days)",
			i.WindowAhead)
	}
	if i.RequestTimeout < time.Second || i.RequestTimeout > 5*time.Minute {
		bad("request_timeout", "%v: use 1s to 5m (30s is usual)", i.RequestTimeout)
	}
	return probs
}
