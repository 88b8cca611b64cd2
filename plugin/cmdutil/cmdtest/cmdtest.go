// Package cmdtest runs one command the way the root command does, for the flag tests of plugin/cmd/<command>:
// the command under a stand-in parent with the global flags, usage errors made by cmdutil.UsageErrors (exit 2),
// and its runF seam catching the Options instead of running them, so no cluster, AWS or network is touched.
// Test-only: the plugin never imports it.
package cmdtest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

// Result is what one run left: the error (Code gives the exit code) and the output.
type Result struct {
	Err         error
	Out, ErrOut string
}

// Code is the exit code the plugin would end with.
func (r Result) Code() int { return cmdutil.ExitCode(r.Err) }

// Env is what a run starts from: stdin's content and a hook to adjust the Factory (terminal, clock, …).
type Env struct {
	Stdin   string
	Factory func(*cmdutil.Factory)
}

// Parse runs newCmd (a NewCmd(f, runF) of plugin/cmd/<command>) with args after the command's name and returns
// the Options runF received, nil when the command stopped before (a usage error). Nothing is run.
func Parse[O any](newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, args ...string) (*O, Result) {
	return ParseIn(Env{}, newCmd, args...)
}

// ParseIn is Parse from env.
func ParseIn[O any](env Env, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, args ...string) (*O, Result) {
	var got *O
	res := Run(env, func(f *cmdutil.Factory) *cobra.Command {
		return newCmd(f, func(o *O) error { got = o; return nil })
	}, args...)
	return got, res
}

// Run executes the command newCmd builds on a new Factory whose streams are buffers, with args after the
// command's name.
func Run(env Env, newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) Result {
	io, in, out, errOut := cmdutil.Test()
	in.WriteString(env.Stdin)
	f := cmdutil.New(io)
	if env.Factory != nil {
		env.Factory(f)
	}
	cmd := newCmd(f)
	parent := &cobra.Command{Use: "agentcore", SilenceErrors: true, SilenceUsage: true}
	f.AddGlobalFlags(parent.PersistentFlags())
	parent.AddCommand(cmd)
	cmdutil.UsageErrors(parent)
	parent.SetArgs(append([]string{cmd.Name()}, args...))
	parent.SetIn(io.In)
	parent.SetOut(out)
	parent.SetErr(errOut)
	err := parent.ExecuteContext(context.Background())
	return Result{Err: err, Out: out.String(), ErrOut: errOut.String()}
}

// Expect checks one row of a flag table. want nil: the run stopped with a usage error (exit 2, a
// cmdutil.ExitError) before runF; else runF got Options equal to want, once clear (when not nil) has zeroed in
// got what the row does not compare (the Factory, compiled values).
func Expect[O any](t testing.TB, got *O, res Result, want *O, clear func(*O)) {
	t.Helper()
	if want == nil {
		var ee *cmdutil.ExitError
		if got != nil || res.Code() != cmdutil.ExitUsage || !errors.As(res.Err, &ee) {
			t.Fatalf("want a usage error (exit 2) before Run, got exit %d, err %v, options %+v", res.Code(), res.Err, got)
		}
		return
	}
	if res.Err != nil || got == nil {
		t.Fatalf("exit %d: %v", res.Code(), res.Err)
	}
	if clear != nil {
		clear(got)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("options\n got %+v\nwant %+v", got, want)
	}
}

// Case is one row of a flag table: the arguments after the command's name and the Options runF must receive
// (nil: a usage error, exit 2, before runF). An alias of a plain struct, so rows stay {name, args, want}.
type Case[O any] = struct {
	Name string
	Args []string
	Want *O
}

// Table runs each case as a subtest: Parse newCmd with the case's arguments, then Expect its Options (clear as
// for Expect).
func Table[O any](t *testing.T, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command, clear func(*O), cases []Case[O]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			got, res := Parse(newCmd, tc.Args...)
			Expect(t, got, res, tc.Want, clear)
		})
	}
}

// Defaults makes a flag table's wanted Options: each call returns a new copy of *base (a shallow copy) changed by
// edit (nil: as it is).
func Defaults[O any](base *O) func(edit func(*O)) *O {
	return func(edit func(*O)) *O {
		o := *base
		if edit != nil {
			edit(&o)
		}
		return &o
	}
}
