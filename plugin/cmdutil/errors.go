package cmdutil

import (
	"errors"
	"fmt"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
)

// Exit codes shared by every command (README: 0 ok · 1 failed · 2 usage · 3 checks found problems).
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitUsage    = 2
	ExitFindings = 3
)

// ExitError carries an exit code with an error. A nil Err means "exit with Code and print nothing more"
// (the command already rendered its findings).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageErrorf is a usage error: bad flags or arguments, exit code 2.
func UsageErrorf(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// ErrFindings says the command ran and reported problems (exit 3); the report was already printed.
var ErrFindings = &ExitError{Code: ExitFindings}

// Fail builds the one-line error every command prints: "<what failed>: <why>. <what to do next>". next may be
// empty. The result unwraps to why, so errors.Is / errors.As (apierrors.IsNotFound, an ExitError's code, …)
// still see the cause.
func Fail(what string, why error, next string) error {
	msg := what
	if why != nil {
		msg += ": " + trimDot(why.Error())
	}
	if next != "" {
		msg += ". " + next
	}
	return explain.New(why, msg)
}

// NotImplemented is what a command whose issue is not done yet returns: said plainly, exit 1.
func NotImplemented(command string, issue int) error {
	return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s is not implemented yet (tracked in issue %d); nothing was done", command, issue)}
}

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}

func trimDot(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '.' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	return s
}
