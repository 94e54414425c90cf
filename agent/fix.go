package agent

import "errors"

// Text is a message in the two languages restaurant IT reads: Russian
// and English.
type Text struct {
	EN, RU string
}

// FixError is an error that says what to do about it. Connectors wrap the
// errors a person can act on (a wrong key, an unreachable server, a
// certificate that changed) so that `stolik-agent check` and the logs can
// name the next step.
type FixError struct {
	Err error
	Fix Text
}

func (e *FixError) Error() string { return e.Err.Error() }
func (e *FixError) Unwrap() error { return e.Err }

// WithFix wraps err with the next step, in English and Russian. A nil err
// stays nil.
func WithFix(err error, en, ru string) error {
	if err == nil {
		return nil
	}
	return &FixError{Err: err, Fix: Text{EN: en, RU: ru}}
}

// FixOf returns the next step err carries, if any.
func FixOf(err error) (Text, bool) {
	var fe *FixError
	if errors.As(err, &fe) {
		return fe.Fix, true
	}
	return Text{}, false
}
