package config

import (
	"fmt"
	"net/url"
	"time"
)

// checkURL reports a base_url that is set but not an http(s) address.
func checkURL(field, u string) []Problem {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https") {
		return []Problem{{Field: field,
			Message: fmt.Sprintf("%q is not an address like https://host/path; "+
				"leave it out for the default", u)}}
	}
	return nil
}

// checkZone reports a time zone that is empty or unknown.
func checkZone(field, zone string) []Problem {
	if zone == "" {
		return []Problem{{Field: field,
			Message: "is empty; write the venue's IANA zone, e.g. Europe/Moscow"}}
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return []Problem{{Field: field,
			Message: fmt.Sprintf("%q is not an IANA zone such as Europe/Moscow", zone)}}
	}
	return nil
}

func (p Poster) problems() []Problem {
	probs := checkURL("connector.poster.base_url", p.BaseURL)
	if p.Token == "" {
		probs = append(probs, Problem{Field: "connector.poster.token",
			Message: "is empty; make a token in Poster (Access -> Integrations) and " +
				"write it here or set STOLIK_POSTER_TOKEN"})
	}
	probs = append(probs, checkZone("connector.poster.time_zone", p.TimeZone)...)
	if p.Seats < 0 || p.Seats > 100 {
		probs = append(probs, Problem{Field: "connector.poster.seats",
			Message: fmt.Sprintf("%d: use 1 to 100 (4 is usual), or leave it out", p.Seats)})
	}
	if p.WindowAhead < 0 {
		probs = append(probs, Problem{Field: "connector.poster.window_ahead",
			Message: "cannot be negative; e.g. 336h (two weeks), or leave it out"})
	}
	if p.RequestTimeout < 0 {
		probs = append(probs, Problem{Field: "connector.poster.request_timeout",
			Message: "cannot be negative; e.g. 20s, or leave it out"})
	}
	return probs
}

func (q QuickResto) problems() []Problem {
	probs := checkURL("connector.quickresto.base_url", q.BaseURL)
	if q.Layer == "" && q.BaseURL == "" {
		probs = append(probs, Problem{Field: "connector.quickresto.layer",
			Message: "is empty; write the account name, the first part of " +
				"<layer>.quickresto.ru"})
	}
	if q.Password == "" {
		probs = append(probs, Problem{Field: "connector.quickresto.password",
			Message: "is empty; write the API password from Quick Resto's back office " +
				"or set STOLIK_QUICKRESTO_PASSWORD"})
	}
	if q.TimeZone != "" {
		// Optional: Quick Resto writes UTC, and no reservations are read yet.
		probs = append(probs, checkZone("connector.quickresto.time_zone", q.TimeZone)...)
	}
	switch q.AuthHeader {
	case "", "authorization", "x-authorization":
	default:
		probs = append(probs, Problem{Field: "connector.quickresto.auth_header",
			Message: fmt.Sprintf("%q: use authorization or x-authorization", q.AuthHeader)})
	}
	if q.RequestTimeout < 0 {
		probs = append(probs, Problem{Field: "connector.quickresto.request_timeout",
			Message: "cannot be negative; e.g. 20s, or leave it out"})
	}
	return probs
}
