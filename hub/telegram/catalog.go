package telegram

import (
	"embed"

	"github.com/stolik/stolik/hub/i18n"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// Languages the bot speaks; the first is the fallback.
var Languages = i18n.Languages

// Catalog holds the bot's texts by language, then key (see package i18n).
type Catalog = i18n.Catalog

// LoadCatalog reads the embedded message catalogues.
func LoadCatalog() (Catalog, error) {
	return i18n.Load(localeFiles, "locales")
}

// Lang picks the catalogue for a Telegram language code: Russian for the
// languages whose speakers mostly read it, English otherwise.
func Lang(code string) string { return i18n.Lang(code) }
