// Package teardown is `kubectl agentcore teardown`.
package teardown

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/words"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	td "github.com/kubectl-agentcore/kubectl-agentcore/plugin/teardown"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/planview"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/spf13/cobra"
)

// Options are the command's flags (Teardown are the use case's) and -n as given.
type Options struct {
	f *cmdutil.Factory

	Teardown td.Options
	Yes      bool
	DryRun   bool
	Output   string
	// Namespace is -n when given (Complete); "" = the only setup record in the cluster.
	Namespace string
}

// NewCmd builds the teardown command. runF, when not nil, receives the completed and validated Options instead
// of Run (flag tests).
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Remove what the wizard created",
		Long: `Delete the gateway objects, Secrets and (when the wizard created it) the namespace recorded by the wizard;
optionally the Cognito user pool (only one the wizard created), and restore the runtime's previous authorizer
(kept in the setup record). Shows the plan and asks; --yes for scripts, --dry-run to only show the plan.`,
		Example: `  kubectl agentcore teardown
  kubectl agentcore teardown -n agentcore --yes --delete-user-pool`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.Teardown.DeleteUserPool, "delete-user-pool", false, "also delete the Cognito user pool (only one the wizard created)")
	fl.BoolVar(&o.Teardown.KeepAuthorizer, "keep-authorizer", false, "leave the runtime's authorizer as it is")
	fl.BoolVarP(&o.Yes, "yes", "y", false, "do it without asking")
	fl.BoolVar(&o.DryRun, "dry-run", false, "only show the plan")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// Complete takes -n when it was given (the setup record is then looked up in that namespace only).
func (o *Options) Complete(cmd *cobra.Command, _ []string) error {
	o.Namespace = ""
	if cmd.Flags().Changed("namespace") {
		ns, err := o.f.Namespace()
		if err != nil {
			return err
		}
		o.Namespace = ns
	}
	return nil
}

// Validate checks -o (a usage error, exit 2).
func (o *Options) Validate() error { return cmdutil.ValidateOutput(o.Output) }

// Run builds the plan, shows it, asks (unless --yes) and removes what it lists.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f, output := o.f, o.Output
	kube, err := f.KubeClient()
	if err != nil {
		return err
	}
	rec, err := setup.Resolve(ctx, kube, o.Namespace)
	if err != nil {
		return err
	}
	dyn, err := f.Dynamic()
	if err != nil {
		return err
	}
	disc, err := f.Discovery()
	if err != nil {
		return err
	}
	env := &td.Env{Kube: kube, Applier: k8sres.NewApplier(dyn, disc)}
	if cfg, err := f.AWSConfig(ctx); err != nil {
		env.AWSErr = err
	} else {
		if rec.Region != "" {
			cfg.Region = rec.Region
		}
		env.Cognito, env.AgentCore = awsops.NewCognito(cfg), awsops.NewAgentCore(cfg)
	}
	plan, err := td.BuildPlan(ctx, env, rec, o.Teardown)
	if err != nil {
		return err
	}
	theme := f.IO.Theme()
	if output == cmdutil.OutputText {
		printPlan(f.IO.Out, theme, plan)
	} else if o.DryRun {
		return cmdutil.PrintStructured(f.IO.Out, output, plan)
	}
	if o.DryRun || plan.Changes == 0 {
		return nil
	}
	if !o.Yes {
		if !f.IO.CanPrompt() {
			return cmdutil.UsageErrorf("teardown would make %s and nothing was changed: pass --yes to go ahead, or --dry-run to only show the plan", words.Count(plan.Changes, "change"))
		}
		fmt.Fprintf(f.IO.Out, "Remove these? [y/N] ")
		line, _ := bufio.NewReader(f.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(f.IO.Out, "Nothing was changed.")
			return nil
		}
	}
	res, err := td.Run(ctx, env, plan)
	if err != nil {
		return err
	}
	if output != cmdutil.OutputText {
		return cmdutil.PrintStructured(f.IO.Out, output, res)
	}
	fmt.Fprintf(f.IO.Out, " %s %s done; the setup %s is removed.\n", theme.Symbol(style.Pass), words.Count(res.Changed, "change"), rec.Ref())
	return nil
}

func printPlan(w io.Writer, t style.Theme, p *td.Plan) {
	items := make([]plan.Item, len(p.Items))
	for i, it := range p.Items {
		items[i] = it.Item
	}
	planview.Write(w, t, planview.Doc{Header: fmt.Sprintf("%s · setup %s (%s) → %s", t.Title.Render("Teardown"), p.Record.Ref(), p.Record.Mode, p.Record.TargetName()),
		Items: items, Warnings: p.Warnings, Nothing: "Nothing to remove."})
}
