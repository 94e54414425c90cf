package service

import (
	"context"
	"errors"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/rkeeper"
)

// ConfigFailed is the check item for a config file that did not load: its
// problems in English, and in Russian where they have been translated.
func ConfigFailed(path string, err error) CheckItem {
	detail := agent.Text{EN: err.Error(), RU: err.Error()}
	var ce *config.Error
	if errors.As(err, &ce) {
		// The item's name already says which file.
		bare := &config.Error{Problems: ce.Problems}
		detail = agent.Text{EN: bare.Error(), RU: bare.Russian()}
	}
	return CheckItem{
		Name:   agent.Text{EN: "config " + path, RU: "конфигурация " + path},
		Detail: detail,
		Fix: agent.Text{
			EN: "correct the lines named above, then run stolik-agent check again",
			RU: "исправьте указанные строки и снова запустите stolik-agent check"},
	}
}

// PinProbe helps with an empty connector.rkeeper.cert_sha256, which stops
// the config from loading (c and err are what config.Load returned): it
// connects to the cash server only to read the certificate it presents,
// sending nothing (no credentials), and returns an item telling IT to
// check that fingerprint and paste it into cert_sha256. ok is false when
// the pin is not what is missing.
func PinProbe(ctx context.Context, c config.Config, err error) (CheckItem, bool) {
	var ce *config.Error
	r := c.Connector.RKeeper
	if c.Connector.Kind != "rkeeper" || r.CertSHA256 != "" || r.URL == "" ||
		!errors.As(err, &ce) {
		return CheckItem{}, false
	}
	for _, p := range ce.Problems {
		if p.Field == "connector.rkeeper.url" {
			return CheckItem{}, false // no address to ask
		}
	}
	name := agent.Text{EN: "R-Keeper certificate", RU: "сертификат R-Keeper"}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	fp, perr := rkeeper.PresentedFingerprint(pctx, r.URL)
	if perr != nil {
		return failed(name, perr), true
	}
	return CheckItem{Name: name, Detail: agent.Text{
		EN: r.URL + " presents SHA-256 " + fp,
		RU: r.URL + " предъявляет сертификат с SHA-256 " + fp},
		Fix: agent.Text{
			EN: "if this is your cash server (compare with the certificate in its " +
				"settings or a browser on the till), write cert_sha256: " + fp +
				" under connector.rkeeper in agent.yaml and run stolik-agent check again; " +
				"no credentials were sent",
			RU: "если это ваш кассовый сервер (сверьте с сертификатом в его настройках " +
				"или в браузере на кассе), запишите cert_sha256: " + fp +
				" в раздел connector.rkeeper файла agent.yaml и снова запустите " +
				"stolik-agent check; учётные данные не отправлялись"},
	}, true
}
