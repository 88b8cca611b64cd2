package cmdutil

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// Theme is the one way a command gets its styles: colour only on a terminal without NO_COLOR / --no-color, ASCII
// symbols when the terminal cannot show ✔ ‼ ✖.
func (s *IOStreams) Theme() style.Theme { return style.New(s.ColorEnabled(), s.ASCII()) }

// RunScreen runs a Bubble Tea screen on the command's streams until it quits, and returns its final model.
//
// Every screen stops the same way: q / ctrl+c as the screen defines them, SIGINT or SIGTERM, or ctx being
// cancelled (the root cancels it on SIGINT/SIGTERM) end the screen quietly: the final model comes back with a nil
// error and the caller reads from it what was done. Anything else (the terminal failing, a panic in the screen) is
// a "terminal UI" error.
func RunScreen[M tea.Model](ctx context.Context, io *IOStreams, m M) (M, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	final, err := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(io.In), tea.WithOutput(io.Out)).Run()
	fm, ok := final.(M)
	if !ok {
		fm = m
	}
	if err != nil && !Interrupted(err) {
		return fm, fmt.Errorf("terminal UI: %w", err)
	}
	return fm, nil
}

// Interrupted reports whether a screen's error only says that it was stopped (interrupt, kill by signal or
// cancelled context), as opposed to failing.
func Interrupted(err error) bool {
	// Bubble Tea wraps every reason it stops early in ErrProgramKilled ("killed: <reason>"); bare, it means the
	// program was killed on purpose (Program.Kill).
	return err == tea.ErrProgramKilled || errors.Is(err, tea.ErrInterrupted) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
