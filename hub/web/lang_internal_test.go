package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/i18n"
	"github.com/stolik/stolik/shared/wire"
)

// TestDashboardCatalogComplete fails when a key is missing in one
// language or its placeholders differ between languages.
func TestDashboardCatalogComplete(t *testing.T) {
	if err := catalog.Check(); err != nil {
		t.Error(err)
	}
}

var (
	// templateKey matches {{t "key" ...}} and (t "key" ...).
	templateKey = regexp.MustCompile(`[{(]t "([^"]+)"`)
	// templatePrefix matches a key put together in a template:
	// (t (print "state." .State)) or (t (printf "reason.%d" $i)).
	templatePrefix = regexp.MustCompile(`t \(printf? "([a-z_]+\.)`)
)

// catalogueUses returns the keys the templates and the package's Go
// source (tests left out) name, each with where it is, and the prefixes
// of keys the templates put together at run time.
func catalogueUses(t *testing.T) (keys, prefixes map[string]string) {
	t.Helper()
	keys, prefixes = map[string]string{}, map[string]string{}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		raw, err := fs.ReadFile(templateFiles, name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			where := name + ":" + strconv.Itoa(i+1)
			for _, m := range templateKey.FindAllStringSubmatch(line, -1) {
				keys[m[1]] = where
			}
			for _, m := range templatePrefix.FindAllStringSubmatch(line, -1) {
				prefixes[m[1]] = where
			}
		}
	}

	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "T" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					keys[s] = fset.Position(call.Pos()).String()
				}
			}
			return true
		})
	}
	return keys, prefixes
}

// TestDashboardHasKeysUsed fails when a template or the code names a key
// a language lacks, or a key put together at run time (a booking's state,
// a table's, an action, a staff reason) has no text for a value it takes.
func TestDashboardHasKeysUsed(t *testing.T) {
	keys, prefixes := catalogueUses(t)
	if len(keys) < 80 || len(prefixes) < 4 {
		t.Fatalf("found %d keys and %d key prefixes; the scan is broken", len(keys),
			len(prefixes))
	}
	for _, want := range []string{"venue.floor", "login.submit", "err.start", "err.held",
		"login.wrong", "lang.switch"} {
		if _, ok := keys[want]; !ok {
			t.Errorf("the scan did not find key %q", want)
		}
	}
	built := map[string][]string{
		"state.":     {},
		"table.":     {TableFree, TableReserved, TableOccupied},
		"action.":    {"confirm", "decline", "seat", "cancel"},
		"reason.":    {},
		"attention.": {},
	}
	for _, v := range []AgentView{{}, {LastSeen: time.Now()},
		{Connected: true, Health: wire.ConnectorHealth{OK: true, Error: "slow"},
			Backlog: attentionBacklog + 1, Behind: true}} {
		built["attention."] = append(built["attention."], attention(v)...)
	}
	for _, st := range []hub.BookingState{hub.BookingHeld, hub.BookingRequested,
		hub.BookingConfirmed, hub.BookingDeclined, hub.BookingExpired, hub.BookingCancelled,
		hub.BookingSeated, hub.BookingNoShow, hub.BookingCompleted} {
		built["state."] = append(built["state."], string(st))
	}
	for i := range staffReasons {
		built["reason."] = append(built["reason."], strconv.Itoa(i))
	}
	for prefix, where := range prefixes {
		values, ok := built[prefix]
		if !ok {
			t.Errorf("%s: key prefix %q: say in this test which values it takes", where, prefix)
		}
		for _, v := range values {
			keys[prefix+v] = where
		}
	}
	for _, lang := range i18n.Languages {
		for key, where := range keys {
			if _, ok := catalog[lang][key]; !ok {
				t.Errorf("%s: key %q missing in locales/%s.yaml", where, key, lang)
			}
		}
	}
}

// TestLangFor: the cookie, then the account, then Accept-Language, then
// the role.
func TestLangFor(t *testing.T) {
	staff := &hub.User{Role: hub.RoleStaff}
	support := &hub.User{Role: hub.RoleSupport}
	staffEN := &hub.User{Role: hub.RoleStaff, Lang: "en"}
	for _, tc := range []struct {
		name, cookie, accept string
		u                    *hub.User
		want                 string
	}{
		{"staff by default", "", "", staff, "ru"},
		{"support by default", "", "", support, "en"},
		{"sign-in page", "", "", nil, "ru"},
		{"account", "", "ru", staffEN, "en"},
		{"browser", "", "en-GB,en;q=0.9", staff, "en"},
		{"browser for support", "", "ru-RU, en;q=0.5", support, "ru"},
		{"browser by weight", "", "de, en;q=0.4, ru;q=0.8", support, "ru"},
		{"browser speaking neither", "", "de-DE, fr;q=0.5", support, "en"},
		{"cookie", "ru", "en", staffEN, "ru"},
		{"cookie of no language", "de", "", staff, "ru"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.cookie != "" {
			r.Header.Set("Cookie", LangCookie+"="+tc.cookie)
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := langFor(r, tc.u); got != tc.want {
			t.Errorf("%s: langFor = %q, want %q", tc.name, got, tc.want)
		}
	}
}
