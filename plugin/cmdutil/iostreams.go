package cmdutil

import (
	"bytes"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// IOStreams are the kubectl streams plus what a renderer needs to know about them: whether stdin and stdout are
// terminals (TUI or plain output), whether colour is allowed, and whether the terminal can show ✔ ‼ ✖.
type IOStreams struct {
	genericiooptions.IOStreams

	stdinTTY, stdoutTTY bool
	noColor             bool
	ascii               bool
}

// System returns the process's streams with terminal detection. NO_COLOR (any value) turns colour off;
// AGENTCORE_ASCII=1 or a non-UTF-8 locale (LANG=C) selects the ASCII symbols.
func System() *IOStreams {
	return &IOStreams{
		IOStreams: genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr},
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		noColor:   os.Getenv("NO_COLOR") != "",
		ascii:     asciiOnly(),
	}
}

// Test returns streams backed by buffers (not terminals) and the buffers for stdin, stdout and stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{IOStreams: genericiooptions.IOStreams{In: in, Out: out, ErrOut: errOut}, noColor: true}, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func asciiOnly() bool {
	if os.Getenv("AGENTCORE_ASCII") == "1" {
		return true
	}
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := os.Getenv(k); v != "" {
			v = strings.ToLower(v)
			return !strings.Contains(v, "utf-8") && !strings.Contains(v, "utf8")
		}
	}
	return false
}

// SetTTY overrides terminal detection (tests, and `--no-tui`-style flags of later commands).
func (s *IOStreams) SetTTY(stdin, stdout bool) { s.stdinTTY, s.stdoutTTY = stdin, stdout }

// SetNoColor records --no-color.
func (s *IOStreams) SetNoColor(v bool) {
	if v {
		s.noColor = true
	}
}

// SetASCII selects the ASCII symbols.
func (s *IOStreams) SetASCII(v bool) { s.ascii = v }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// CanPrompt reports whether both stdin and stdout are terminals, the condition for a TUI or a prompt.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY }

// ColorEnabled is true only on a terminal without NO_COLOR / --no-color.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.noColor }

// NoColor reports whether colour was switched off by NO_COLOR or --no-color (regardless of the terminal).
func (s *IOStreams) NoColor() bool { return s.noColor }

// ASCII reports whether symbols must fall back to OK/WARN/FAIL/SKIP.
func (s *IOStreams) ASCII() bool { return s.ascii }

// Discard is an io.Writer sink for quiet modes.
var Discard io.Writer = io.Discard
