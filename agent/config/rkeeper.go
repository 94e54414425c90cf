package config

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// problems checks the R-Keeper section; each message says what to write.
func (r RKeeper) problems() []Problem {
	var probs []Problem
	bad := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: "connector.rkeeper." + field,
			Message: fmt.Sprintf(format, args...)})
	}
	u, err := url.Parse(r.URL)
	switch {
	case r.URL == "":
		bad("url", "is empty; write the cash server's XML interface, "+
			"e.g. https://192.168.1.10:8443/rk7api/v0/xmlinterface.xml "+
			"(the port is the HTTP Data Port set in Manager station)")
	case err != nil || u.Host == "":
		bad("url", "%q is not an address like "+
			"https://192.168.1.10:8443/rk7api/v0/xmlinterface.xml", r.URL)
	case u.Scheme != "https":
		bad("url", "scheme %q: use https:// (the XML interface serves HTTPS from 7.05.03)",
			u.Scheme)
	}
	if r.User == "" {
		bad("user", "is empty; write the employee whose role has the HTTP access right "+
			"(a Latin name)")
	}
	if r.Password == "" {
		bad("password", "is empty; write that employee's password "+
			"(or set STOLIK_RKEEPER_PASSWORD)")
	}
	fp := strings.ReplaceAll(strings.TrimSpace(r.CertSHA256), ":", "")
	if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
		what := "is empty"
		if r.CertSHA256 != "" {
			what = fmt.Sprintf("%q is not a SHA-256 fingerprint", r.CertSHA256)
		}
		bad("cert_sha256", "%s; the cash server's certificate is self-signed, so the "+
			"agent pins it: write its SHA-256 fingerprint, 64 hex digits, colons allowed "+
			"(open the url in a browser and copy the certificate's SHA-256 fingerprint, "+
			"or run: openssl s_client -connect HOST:PORT </dev/null | openssl x509 "+
			"-noout -fingerprint -sha256; with a wrong one, stolik-agent check names "+
			"the one the server presents)", what)
	}
	if r.TimeZone == "" {
		bad("time_zone", "is empty; write the venue's zone, e.g. Europe/Moscow")
	} else if _, err := time.LoadLocation(r.TimeZone); err != nil {
		bad("time_zone", "%q is not a known zone; write one like Europe/Moscow", r.TimeZone)
	}
	if r.Manager == "" {
		bad("manager", "is empty; write the code of the employee in whose name "+
			"reservations are cancelled (VoidOrder needs one)")
	}
	if r.DeleteReason == "" {
		bad("delete_reason", "is empty; write the code of the void reason (ORDERVOIDS "+
			"reference) used to cancel reservations")
	}
	if r.SeatsAttribute == "" {
		bad("seats_attribute", "is empty; write the TABLES attribute holding the seat "+
			"count (MaxGuests by default)")
	}
	switch r.DurationFormat {
	case "auto", "minutes", "hhmm":
	default:
		bad("duration_format", "%q: use auto, minutes or hhmm", r.DurationFormat)
	}
	if r.WindowAhead < time.Hour {
		bad("window_ahead", "%v is too short; use at least 1h (720h is usual)", r.WindowAhead)
	}
	if r.RefCheck < time.Second {
		bad("ref_check", "%v is too short; use at least 1s (1m is usual)", r.RefCheck)
	}
	if r.RequestTimeout < 100*time.Millisecond {
		bad("request_timeout", "%v is too short; use at least 100ms (15s is usual)",
			r.RequestTimeout)
	}
	return probs
}
