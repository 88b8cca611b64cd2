// Package setups is `kubectl agentcore setups`: every setup record with its mode, identity, target, the time its
// token has left, the rotation service's last and next renewal and, with --doctor, the doctor's counts. On a
// terminal it is the setups view (the home screen's Setups item); piped or with -o, a table or JSON/YAML.
package setups

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setups"
	tuisetups "github.com/kubectl-agentcore/kubectl-agentcore/tui/setups"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// Options are the command's flags.
type Options struct {
	f *cmdutil.Factory

	AllNamespaces bool
	Doctor        bool
	NoTUI         bool
	Output        string
	Timeout       time.Duration

	// OutputSet is set by Complete: whether -o was given (a terminal then gets no screen).
	OutputSet bool
}

// NewCmd builds the setups command. runF, when not nil, receives the validated Options instead of Run (flag
// tests).
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:     "setups",
		Aliases: []string{"list"},
		Short:   "List every setup: mode, token time left, last and next rotation, doctor status",
		Long: `List the setups the wizard recorded: each one's mode, identity provider and target, the time the gateway's
token has left (its exp; the token itself is never shown), and what the rotation service (rotate --watch --all)
wrote on the record: the last renewal, the next one due and the last error. --doctor also runs the doctor on
every setup, as doctor --all does, and adds its ✔ ‼ ✖ counts.

Where: -n NAMESPACE lists that namespace; -A every namespace; neither lists every namespace you may list, else
the kubeconfig's namespace (the header says which).

On a terminal it opens the setups view (enter opens a setup's doctor); -o text|json|yaml or --no-tui prints
instead.

Exit codes: 0 ok · 1 the records could not be listed · 2 bad flags · 3 with --doctor, a setup fails a check.`,
		Example: `  kubectl agentcore setups
  kubectl agentcore setups -A --doctor
  kubectl agentcore setups -n agentcore -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "the setups of every namespace (an error when you may not list them all)")
	fl.BoolVar(&o.Doctor, "doctor", false, "also run the doctor on every setup (as doctor --all) and show its counts")
	fl.BoolVar(&o.NoTUI, "no-tui", false, "print text even on a terminal")
	fl.DurationVar(&o.Timeout, "timeout", 60*time.Second, "give up after this long")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// Complete notes whether -o was given.
func (o *Options) Complete(cmd *cobra.Command, _ []string) error {
	o.OutputSet = cmd.Flags().Changed("output")
	return nil
}

// Validate checks the flags (usage errors, exit 2).
func (o *Options) Validate() error {
	if err := cmdutil.ValidateOutput(o.Output); err != nil {
		return err
	}
	if o.AllNamespaces && o.f.NamespaceFlag() != "" {
		return cmdutil.UsageErrorf("-n and --all-namespaces do not go together: pick one")
	}
	if o.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be positive")
	}
	return nil
}

// Run lists the setups: the setups view on a terminal, else text or -o json|yaml.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f := o.f
	if f.IO.CanPrompt() && !o.OutputSet && !o.NoTUI {
		return Screen(ctx, f, o.AllNamespaces)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	scope := ""
	rows, where, err := setupRows(f, &scope, o.AllNamespaces)(ctx)
	if err != nil {
		return err
	}
	failing := false
	if o.Doctor && len(rows) > 0 {
		deps, err := doctor.FleetDeps(ctx, f)
		if err != nil {
			return err
		}
		sums, err := setups.DoctorStatus(ctx, scope, dr.Options{}, deps)
		if sums == nil && err != nil {
			return fmt.Errorf("running the doctor: %w", err)
		}
		for i := range rows {
			if s, ok := sums[rows[i].Setup]; ok {
				rows[i].Doctor = &s
				failing = failing || s.Fail > 0
			}
		}
	}
	switch o.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		if rows == nil {
			rows = []setups.Row{}
		}
		if err := cmdutil.PrintStructured(f.IO.Out, o.Output, rows); err != nil {
			return err
		}
	default:
		writeText(f.IO.Out, where, rows, o.Doctor, f.Now(), f.IO.Theme())
	}
	if failing {
		return cmdutil.ErrFindings
	}
	return nil
}

// writeText is the table, then one line per setup whose last rotation failed.
func writeText(w io.Writer, where string, rows []setups.Row, withDoctor bool, now time.Time, t style.Theme) {
	fmt.Fprintln(w, t.Title.Render("Setups")+t.Faint.Render(" · "+where))
	if len(rows) == 0 {
		fmt.Fprintln(w, "  No setups: the wizard creates one (kubectl agentcore wizard).")
		return
	}
	table := [][]string{tuisetups.Header}
	if withDoctor {
		table[0] = append(slices.Clone(tuisetups.Header), "DOCTOR")
	}
	for _, r := range rows {
		cells := tuisetups.Cells(t, r, now)
		if withDoctor {
			d := "—"
			if r.Doctor != nil {
				d = tuisetups.DoctorCell(t, *r.Doctor)
			}
			cells = append(cells, d)
		}
		table = append(table, cells)
	}
	lines := style.Columns(table)
	fmt.Fprintln(w, "  "+t.Faint.Render(lines[0]))
	for _, l := range lines[1:] {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintln(w, words.Count(len(rows), "setup"))
	for _, r := range rows {
		if l := tuisetups.FailureLine(t, r); l != "" {
			fmt.Fprintln(w, "  "+l)
		}
	}
}
