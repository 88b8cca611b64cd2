package cmdutil

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// SecretPrompt reads a secret value on the terminal without echo (the label goes to stderr); nil when stdin and
// stdout are not both terminals.
func SecretPrompt(s *IOStreams) func(label string) (string, error) {
	fh, ok := s.In.(*os.File)
	if !ok || !s.CanPrompt() {
		return nil
	}
	return func(label string) (string, error) {
		fmt.Fprintf(s.ErrOut, "%s: ", label)
		b, err := term.ReadPassword(int(fh.Fd()))
		fmt.Fprintln(s.ErrOut)
		return strings.TrimSpace(string(b)), err
	}
}
