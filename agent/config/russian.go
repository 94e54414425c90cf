package config

import (
	"fmt"
	"strings"
)

// Russian writes the problem for Russian-speaking IT: the line and key
// in Russian words and the message in Russian where it has been
// translated (RU), else the English message.
func (p Problem) Russian() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "строка %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	if p.RU != "" {
		b.WriteString(p.RU)
	} else {
		b.WriteString(p.Message)
	}
	return b.String()
}

// Russian is Error in Russian, problem by problem (see Problem.Russian).
func (e *Error) Russian() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString("конфигурация " + e.Path + ": ")
	}
	if len(e.Problems) == 1 {
		b.WriteString(e.Problems[0].Russian())
		return b.String()
	}
	fmt.Fprintf(&b, "ошибок: %d:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.Russian())
	}
	return b.String()
}
