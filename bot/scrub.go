package bot

import (
	"context"
	"errors"
)

// scrubbedError is an error whose text has been cleaned of secrets. It unwraps only
// to the context error that caused it, if any: never to the original, whose text or
// fields (url.Error.URL) may hold a secret.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.cause }

// Scrub returns "prefix: err" with clean applied to err's text, keeping only a
// context cancellation or deadline as its cause. Platform adapters wrap transport
// errors with it, since those quote URLs that may carry a secret.
func Scrub(prefix string, err error, clean func(string) string) error {
	e := &scrubbedError{msg: prefix + ": " + clean(err.Error())}
	switch {
	case errors.Is(err, context.Canceled):
		e.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.cause = context.DeadlineExceeded
	}
	return e
}
