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
	bad := func(field, en, ru string) {
		probs = append(probs, Problem{Field: "connector.rkeeper." + field, Message: en, RU: ru})
	}
	u, err := url.Parse(r.URL)
	switch {
	case r.URL == "":
		bad("url", "is empty; write the cash server's XML interface, "+
			"e.g. https://192.168.1.10:8443/rk7api/v0/xmlinterface.xml "+
			"(the port is the HTTP Data Port set in Manager station)",
			"не заполнено; укажите XML-интерфейс кассового сервера, например "+
				"https://192.168.1.10:8443/rk7api/v0/xmlinterface.xml "+
				"(порт — HTTP Data Port из менеджерской станции)")
	case err != nil || u.Host == "":
		bad("url", fmt.Sprintf("%q is not an address like "+
			"https://192.168.1.10:8443/rk7api/v0/xmlinterface.xml", r.URL),
			fmt.Sprintf("%q — не адрес вида "+
				"https://192.168.1.10:8443/rk7api/v0/xmlinterface.xml", r.URL))
	case u.Scheme != "https":
		bad("url", fmt.Sprintf("scheme %q: use https:// (the XML interface serves HTTPS "+
			"from 7.05.03)", u.Scheme),
			fmt.Sprintf("схема %q: укажите https:// (XML-интерфейс работает по HTTPS "+
				"с версии 7.05.03)", u.Scheme))
	}
	if r.User == "" {
		bad("user", "is empty; write the employee whose role has the HTTP access right "+
			"(a Latin name)",
			"не заполнено; укажите сотрудника, чья роль имеет право HTTP-доступа "+
				"(имя латиницей)")
	}
	if r.Password == "" {
		bad("password", "is empty; write that employee's password "+
			"(or set STOLIK_RKEEPER_PASSWORD)",
			"не заполнено; укажите пароль этого сотрудника (или STOLIK_RKEEPER_PASSWORD)")
	}
	fp := strings.ReplaceAll(strings.TrimSpace(r.CertSHA256), ":", "")
	if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
		what, whatRU := "is empty", "не заполнено"
		if r.CertSHA256 != "" {
			what = fmt.Sprintf("%q is not a SHA-256 fingerprint", r.CertSHA256)
			whatRU = fmt.Sprintf("%q — не отпечаток SHA-256", r.CertSHA256)
		}
		bad("cert_sha256", what+"; the cash server's certificate is self-signed, so the "+
			"agent pins it: write its SHA-256 fingerprint, 64 hex digits, colons allowed "+
			"(stolik-agent check shows the one the server presents; or open the url in a "+
			"browser and copy the certificate's SHA-256 fingerprint)",
			whatRU+"; сертификат кассового сервера самоподписанный, поэтому агент "+
				"закрепляет его: укажите его отпечаток SHA-256, 64 шестнадцатеричные цифры, "+
				"можно через двоеточие (stolik-agent check покажет отпечаток, который "+
				"предъявляет сервер; или откройте url в браузере и скопируйте отпечаток "+
				"SHA-256 сертификата)")
	}
	if r.TimeZone == "" {
		bad("time_zone", "is empty; write the venue's zone, e.g. Europe/Moscow",
			"не заполнено; укажите часовой пояс заведения, например Europe/Moscow")
	} else if _, err := time.LoadLocation(r.TimeZone); err != nil {
		bad("time_zone", fmt.Sprintf("%q is not a known zone; write one like Europe/Moscow",
			r.TimeZone), fmt.Sprintf("%q — неизвестный часовой пояс; укажите, например, "+
			"Europe/Moscow", r.TimeZone))
	}
	if r.Manager == "" {
		bad("manager", "is empty; write the code of the employee in whose name "+
			"reservations are cancelled (VoidOrder needs one)",
			"не заполнено; укажите код сотрудника, от имени которого отменяются брони "+
				"(он нужен для VoidOrder)")
	}
	if r.DeleteReason == "" {
		bad("delete_reason", "is empty; write the code of the void reason (ORDERVOIDS "+
			"reference) used to cancel reservations",
			"не заполнено; укажите код причины удаления (справочник ORDERVOIDS) для "+
				"отмены броней")
	}
	if r.SeatsAttribute == "" {
		bad("seats_attribute", "is empty; write the TABLES attribute holding the seat "+
			"count (MaxGuests by default)",
			"не заполнено; укажите атрибут справочника TABLES с числом мест "+
				"(по умолчанию MaxGuests)")
	}
	switch r.DurationFormat {
	case "auto", "minutes", "hhmm":
	default:
		bad("duration_format", fmt.Sprintf("%q: use auto, minutes or hhmm", r.DurationFormat),
			fmt.Sprintf("%q: укажите auto, minutes или hhmm", r.DurationFormat))
	}
	if r.WindowAhead < time.Hour {
		bad("window_ahead", fmt.Sprintf("%v is too short; use at least 1h (720h is usual)",
			r.WindowAhead), fmt.Sprintf("%v — слишком мало; нужно не меньше 1h "+
			"(обычно 720h)", r.WindowAhead))
	}
	if r.RefCheck < time.Second {
		bad("ref_check", fmt.Sprintf("%v is too short; use at least 1s (1m is usual)",
			r.RefCheck), fmt.Sprintf("%v — слишком мало; нужно не меньше 1s (обычно 1m)",
			r.RefCheck))
	}
	if r.RequestTimeout < 100*time.Millisecond {
		bad("request_timeout", fmt.Sprintf("%v is too short; use at least 100ms "+
			"(15s is usual)", r.RequestTimeout), fmt.Sprintf("%v — слишком мало; нужно "+
			"не меньше 100ms (обычно 15s)", r.RequestTimeout))
	}
	return probs
}
