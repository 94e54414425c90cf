package config

// russian writes problems for Russian-speaking IT: the line and the
// config in Russian words, and each message in Russian where it has been
// translated (RU), else the English message.
var russian = words{line: "строка %d: ", config: "конфигурация ", problems: "ошибок: %d:",
	message: func(p Problem) string {
		if p.RU != "" {
			return p.RU
		}
		return p.Message
	}}

// Russian is the problem in Russian (see russian).
func (p Problem) Russian() string { return p.format(russian) }

// Russian is Error in Russian, problem by problem.
func (e *Error) Russian() string { return e.format(russian) }
