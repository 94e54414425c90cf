package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a config file: where, what, and what to
// write instead.
type Problem struct {
	Line    int    // 1-based line in the file; 0 when the value is not in the file
	Field   string // the key's path, such as "hub.urls[1]"; empty for syntax errors
	Message string
	// RU is Message in Russian, where it has been translated; empty
	// otherwise (Russian then shows Message).
	RU string
}

func (p Problem) String() string { return p.format(english) }

// words are what a report of problems says around them, in one language.
type words struct {
	line, config, problems string // "line %d: ", "config ", "%d problems:"
	message                func(Problem) string
}

var english = words{line: "line %d: ", config: "config ", problems: "%d problems:",
	message: func(p Problem) string { return p.Message }}

// format writes the problem: where, then what, in w's language.
func (p Problem) format(w words) string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, w.line, p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(w.message(p))
	return b.String()
}

// Error lists every problem found in a config file.
type Error struct {
	Path     string // the file; empty when a Config value was validated
	Problems []Problem
}

func (e *Error) Error() string { return e.format(english) }

// format lists the problems of e in w's language.
func (e *Error) format(w words) string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(w.config + e.Path + ": ")
	}
	if len(e.Problems) == 1 {
		b.WriteString(e.Problems[0].format(w))
		return b.String()
	}
	fmt.Fprintf(&b, w.problems, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.format(w))
	}
	return b.String()
}

// checkKeys walks the YAML document n against the type t, records the line
// of every key it knows in lines (by path), and returns a problem for every
// key that t does not have.
func checkKeys(n *yaml.Node, t reflect.Type, path string, lines map[string]int) []Problem {
	switch n.Kind {
	case yaml.DocumentNode:
		var probs []Problem
		for _, c := range n.Content {
			probs = append(probs, checkKeys(c, t, path, lines)...)
		}
		return probs
	case yaml.MappingNode:
		if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
			return nil // a type mismatch; the decoder reports it
		}
		var probs []Problem
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			field, ok := fieldByKey(t, k.Value)
			if !ok {
				probs = append(probs, Problem{Line: k.Line, Field: join(path, k.Value),
					Message: unknownKeyHint(t, k.Value)})
				continue
			}
			p := join(path, k.Value)
			lines[p] = k.Line
			probs = append(probs, checkKeys(v, field.Type, p, lines)...)
		}
		return probs
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice {
			return nil
		}
		var probs []Problem
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = c.Line
			probs = append(probs, checkKeys(c, t.Elem(), p, lines)...)
		}
		return probs
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldByKey finds the struct field whose yaml tag is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for _, f := range reflect.VisibleFields(t) {
		if yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// unknownKeyHint says that key is unknown and suggests the nearest known
// key of t, or lists them all.
func unknownKeyHint(t reflect.Type, key string) string {
	var known []string
	// Suggest a key only when it is within two edits and the edits are a
	// small part of what was written.
	best, bestDist := "", 3
	for _, f := range reflect.VisibleFields(t) {
		k := yamlKey(f)
		if k == "" || k == "-" {
			continue
		}
		known = append(known, k)
		if d := distance(strings.ToLower(key), k); d < bestDist && 3*d <= len(key) {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key; did you mean %s?", best)
	}
	return "unknown key; the keys here are " + strings.Join(known, ", ")
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxProblem turns a YAML parse error into a problem with its line.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	p := Problem{Message: msg}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = m[2]
	}
	p.Message += "; check the indentation (spaces, not tabs) and the quotes on this line"
	return p
}

// decodeProblems turns the decoder's type errors into problems, each with
// its line and an example of what fits.
func decodeProblems(err error) []Problem {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []Problem{syntaxProblem(err)}
	}
	var probs []Problem
	for _, e := range te.Errors {
		p := Problem{Message: e}
		if m := lineRE.FindStringSubmatch(e); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Message = m[2]
		}
		p.Message += typeHint(p.Message)
		probs = append(probs, p)
	}
	return probs
}

func typeHint(msg string) string {
	switch {
	case strings.HasSuffix(msg, "time.Duration"):
		return "; write a duration such as 500ms, 5s or 1m"
	case strings.HasSuffix(msg, "time.Time"):
		return "; write a time such as 2026-03-01T12:00:00Z"
	case strings.HasSuffix(msg, "[]string"):
		return "; write a list such as [wss://hub.example.ru]"
	case strings.HasSuffix(msg, "int"), strings.HasSuffix(msg, "int64"):
		return "; write a whole number"
	}
	return ""
}

// lineOf returns the line of field in the file, or of its nearest parent
// that is there (where the missing key belongs), or 0.
func lineOf(lines map[string]int, field string) int {
	for field != "" {
		if l, ok := lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

func sortProblems(probs []Problem) {
	sort.SliceStable(probs, func(i, j int) bool {
		// Problems with a line come first, in file order.
		li, lj := probs[i].Line, probs[j].Line
		if (li == 0) != (lj == 0) {
			return li != 0
		}
		return li < lj
	})
}
