package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
)

func TestPosterSection(t *testing.T) {
	c, err := config.Load(write(t, minimal+`connector:
  kind: poster
  poster:
    token: tok
    spot_id: "2"
    time_zone: Europe/Moscow
    seats: 6
    window_ahead: 72h
`))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Connector.Poster
	if p.Token != "tok" || p.SpotID != "2" || p.Seats != 6 || p.WindowAhead != 72*time.Hour {
		t.Errorf("poster = %+v", p)
	}

	t.Setenv("STOLIK_POSTER_TOKEN", "from-env")
	c, err = config.Load(write(t, minimal+`connector:
  kind: poster
  poster: {time_zone: Asia/Yekaterinburg}
`))
	if err != nil || c.Connector.Poster.Token != "from-env" {
		t.Errorf("token from env: %q, %v", c.Connector.Poster.Token, err)
	}
}

func TestQuickRestoSection(t *testing.T) {
	t.Setenv("STOLIK_QUICKRESTO_PASSWORD", "pw")
	c, err := config.Load(write(t, minimal+`connector:
  kind: quickresto
  quickresto: {layer: cafe, login: cafe, time_zone: Europe/Moscow, auth_header: x-authorization}
`))
	if err != nil {
		t.Fatal(err)
	}
	q := c.Connector.QuickResto
	if q.Layer != "cafe" || q.Password != "pw" || q.AuthHeader != "x-authorization" {
		t.Errorf("quickresto = %+v", q)
	}
}

func TestRMSProblems(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"poster empty", "connector: {kind: poster}\n",
			[]string{"connector.poster.token", "STOLIK_POSTER_TOKEN",
				"connector.poster.time_zone"}},
		{"poster bad", `connector:
  kind: poster
  poster: {token: t, time_zone: Moscow, seats: -1, base_url: "ftp://x", window_ahead: -1h}
`, []string{"connector.poster.time_zone", "connector.poster.seats",
			"connector.poster.base_url", "connector.poster.window_ahead"}},
		{"poster unknown key", `connector:
  kind: poster
  poster: {tokn: t, time_zone: UTC}
`, []string{"connector.poster.tokn"}},
		{"quickresto empty", "connector: {kind: quickresto}\n",
			[]string{"connector.quickresto.layer", "connector.quickresto.password",
				"STOLIK_QUICKRESTO_PASSWORD"}},
		{"quickresto bad header", `connector:
  kind: quickresto
  quickresto: {layer: a, password: p, time_zone: Moscow, auth_header: bearer}
`, []string{"connector.quickresto.auth_header", "connector.quickresto.time_zone"}},
		{"unknown kind", "connector: {kind: abacus}\n", []string{"poster, quickresto"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(write(t, minimal+tc.body))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %s:\n%v", w, err)
				}
			}
		})
	}
}
