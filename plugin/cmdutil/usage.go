package cmdutil

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// UsageErrors makes every command under root report wrong positional arguments (its Args) and bad flags (unknown
// flag, a value that does not parse) as usage errors: exit 2, cobra's own wording and a pointer to --help. Call it
// once on the finished tree (twice would nest the wrappers); commands keep declaring their Args with cobra's validators (cobra.NoArgs, …).
func UsageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError(c, err) })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Args = UsageArgs(c.Args, !c.HasParent() && c.HasSubCommands())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// UsageArgs wraps a positional-argument validator so its error is a usage error. A nil validator accepts any
// arguments, as cobra does, except on a root with subcommands, where an argument is an unknown command.
func UsageArgs(v cobra.PositionalArgs, rootWithSubcommands bool) cobra.PositionalArgs {
	if v == nil {
		v = cobra.ArbitraryArgs
		if rootWithSubcommands {
			v = cobra.NoArgs
		}
	}
	return func(c *cobra.Command, args []string) error {
		if err := v(c, args); err != nil {
			return usageError(c, err)
		}
		return nil
	}
}

func usageError(c *cobra.Command, err error) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%w. See '%s --help'", err, c.CommandPath())}
}

// Runner is a command's Options, built as kubectl's are: Complete takes what the flags alone do not say (the
// arguments, which flags were given, global flags), Validate checks values and combinations (usage errors, exit
// 2) and Run does the work.
type Runner interface {
	Complete(cmd *cobra.Command, args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// RunE is the one body of every command's RunE: Complete, Validate, then runF when a flag test set it (it gets
// the Options instead of Run, as cli/cli's commands do), else Run with the command's context.
func RunE[O Runner](o O, runF func(O) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(cmd, args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		if runF != nil {
			return runF(o)
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		return o.Run(ctx)
	}
}
