// Package i18n holds message catalogues: texts by language and key, read
// from YAML files ("<lang>.yaml", one key: text a line), with {name}
// placeholders. The Telegram bot and the dashboard each embed their own
// files and share this code.
package i18n

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Languages are the languages every catalogue has; the first is the
// fallback for a key another language lacks.
var Languages = []string{"en", "ru"}

// Catalog holds texts by language, then key.
type Catalog map[string]map[string]string

// placeholder matches {name} in a text.
var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// Load reads dir/<lang>.yaml from fsys for each of Languages.
func Load(fsys fs.FS, dir string) (Catalog, error) {
	c := Catalog{}
	for _, lang := range Languages {
		name := path.Join(dir, lang+".yaml")
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		texts := map[string]string{}
		if err := yaml.Unmarshal(raw, &texts); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		c[lang] = texts
	}
	return c, nil
}

// Check reports every key missing in one language but present in another,
// and every text whose placeholders differ between languages.
func (c Catalog) Check() error {
	keys := map[string]bool{}
	for _, texts := range c {
		for k := range texts {
			keys[k] = true
		}
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		var want []string
		for i, lang := range Languages {
			text, ok := c[lang][k]
			if !ok {
				problems = append(problems,
					fmt.Sprintf("locales/%s.yaml: key %q missing", lang, k))
				continue
			}
			got := placeholders(text)
			if i == 0 || want == nil {
				want = got
			} else if !slices.Equal(got, want) {
				problems = append(problems, fmt.Sprintf(
					"locales/%s.yaml: key %q has placeholders %v, %s.yaml has %v",
					lang, k, got, Languages[0], want))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("message catalogues disagree:\n%s", strings.Join(problems, "\n"))
	}
	return nil
}

func placeholders(text string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// T returns the text of key in lang with args ("name", value, ...) put in
// for its placeholders. An unknown key comes back as the key itself, so a
// gap shows instead of an empty text.
func (c Catalog) T(lang, key string, args ...any) string {
	text, ok := c[lang][key]
	if !ok {
		if text, ok = c[Languages[0]][key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return text
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// Lang picks a catalogue for a language code (a Telegram user's, or a tag
// of Accept-Language): Russian for the languages whose speakers mostly
// read it, English otherwise.
func Lang(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	for _, ru := range []string{"ru", "uk", "be", "kk", "ky", "uz", "tg", "hy", "az"} {
		if code == ru || strings.HasPrefix(code, ru+"-") {
			return "ru"
		}
	}
	return "en"
}

// Date writes a local date such as "Fri 4 Dec" or "пт, 4 декабря" with
// the catalogue's keys date.format, wd.0-6 and mon.1-12.
func (c Catalog) Date(lang string, t time.Time) string {
	return c.T(lang, "date.format", "weekday", c.T(lang, "wd."+strconv.Itoa(int(t.Weekday()))),
		"day", t.Day(), "month", c.T(lang, "mon."+strconv.Itoa(int(t.Month()))))
}

// When writes a local date and time such as "Fri 4 Dec, 19:00".
func (c Catalog) When(lang string, t time.Time) string {
	return c.Date(lang, t) + ", " + t.Format("15:04")
}
