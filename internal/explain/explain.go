// Package explain keeps an error's cause behind the one line a user reads: the line says what failed, why and
// what to do next in the plugin's words, while errors.Is / errors.As (apierrors.IsNotFound, smithy.APIError, …)
// still see the original error.
package explain

import "fmt"

// Error is an explained error: Msg is what is printed, Cause what errors.Is / errors.As look at.
type Error struct {
	Msg   string
	Cause error
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Cause }

// New returns msg as an error that unwraps to cause (cause may be nil).
func New(cause error, msg string) error { return &Error{Msg: msg, Cause: cause} }

// Newf is New with a format.
func Newf(cause error, format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...), Cause: cause}
}
