package telegram

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// notKeys are string literals of the package that look like catalogue
// keys but are not.
var notKeys = []string{
	capabilityWrite, // an agent capability
	JobReminder,     // a job kind
}

// dotted matches a literal shaped like a catalogue key with a dot
// ("state.requested").
var dotted = regexp.MustCompile(`^[a-z_]+(\.[a-z0-9_]+)+$`)

// catalogueUses reads the package's Go source (tests left out) and returns
// the catalogue keys it names: the literal key of every call of T (or of
// refuse, which takes a key), every other literal shaped like a dotted
// key, and the literal prefixes of keys put together at run time
// ("state." + the state), each with where it is.
func catalogueUses(t *testing.T) (keys, prefixes map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	keys, prefixes = map[string]string{}, map[string]string{}
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
		literal := func(x ast.Expr) (string, bool) {
			lit, ok := x.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(lit.Value)
			return s, err == nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var fn string
				switch f := n.Fun.(type) {
				case *ast.SelectorExpr:
					fn = f.Sel.Name
				case *ast.Ident:
					fn = f.Name
				}
				if (fn == "T" || fn == "refuse") && len(n.Args) >= 2 {
					if s, ok := literal(n.Args[1]); ok {
						keys[s] = fset.Position(n.Pos()).String()
					}
				}
			case *ast.BinaryExpr:
				if s, ok := literal(n.X); ok && n.Op == token.ADD && strings.HasSuffix(s, ".") &&
					dotted.MatchString(s+"x") {
					prefixes[s] = fset.Position(n.Pos()).String()
				}
			case *ast.BasicLit:
				if s, ok := literal(n); ok && dotted.MatchString(s) && !slices.Contains(notKeys, s) {
					keys[s] = fset.Position(n.Pos()).String()
				}
			}
			return true
		})
	}
	return keys, prefixes
}

// TestCatalogHasKeysUsed fails when the code names a catalogue key that a
// language lacks: T would show the key itself to the guest (or, missing
// in the first language too, in every language).
func TestCatalogHasKeysUsed(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	keys, prefixes := catalogueUses(t)
	// Dates are written by i18n.Catalog.Date with these keys.
	keys["date.format"] = "i18n.Catalog.Date"
	for i := range 7 {
		keys["wd."+strconv.Itoa(i)] = "i18n.Catalog.Date"
	}
	for i := 1; i <= 12; i++ {
		keys["mon."+strconv.Itoa(i)] = "i18n.Catalog.Date"
	}
	if len(keys) < 50 || len(prefixes) < 3 {
		t.Fatalf("found %d keys and %d key prefixes in the source; the scan is broken",
			len(keys), len(prefixes))
	}
	for _, lang := range Languages {
		for key, where := range keys {
			if _, ok := c[lang][key]; !ok {
				t.Errorf("%s: key %q missing in locales/%s.yaml", where, key, lang)
			}
		}
		for prefix, where := range prefixes {
			found := false
			for k := range c[lang] {
				found = found || strings.HasPrefix(k, prefix)
			}
			if !found {
				t.Errorf("%s: no key %s… in locales/%s.yaml", where, prefix, lang)
			}
		}
	}
}

// TestCatalogueScan: the scan finds keys of each kind, key prefixes, and
// leaves out what only looks like a key.
func TestCatalogueScan(t *testing.T) {
	keys, prefixes := catalogueUses(t)
	for _, want := range []string{"help", "cb.invalid", "state.reason", "reason.too_soon",
		"staff.till_done"} {
		if _, ok := keys[want]; !ok {
			t.Errorf("the scan did not find key %q", want)
		}
	}
	for _, want := range []string{"state.", "st."} {
		if _, ok := prefixes[want]; !ok {
			t.Errorf("the scan did not find key prefix %q", want)
		}
	}
	if _, ok := keys[capabilityWrite]; ok {
		t.Errorf("the scan took %q for a key", capabilityWrite)
	}
}
