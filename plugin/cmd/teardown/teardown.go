// Package teardown is `kubectl agentcore teardown`.
package teardown

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	td "github.com/kubectl-agentcore/kubectl-agentcore/plugin/teardown"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"github.com/spf13/cobra"
)

// NewCmd builds the teardown command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var (
		opts   td.Options
		yes    bool
		dryRun bool
		output string
	)
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Remove what the wizard created",
		Long: `Delete the gateway objects, Secrets and (when the wizard created it) the namespace recorded by the wizard;
optionally the Cognito user pool (only one the wizard created), and restore the runtime's previous authorizer
(kept in the setup record). Shows the plan and asks; --yes for scripts, --dry-run to only show the plan.`,
		Example: `  kubectl agentcore teardown
  kubectl agentcore teardown -n agentcore --yes --delete-user-pool`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if err := cmdutil.ValidateOutput(output); err != nil {
				return err
			}
			kube, err := f.KubeClient()
			if err != nil {
				return err
			}
			ns := ""
			if cmd.Flags().Changed("namespace") {
				ns, _ = f.Namespace()
			}
			rec, err := setup.Resolve(ctx, kube, ns)
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
			plan, err := td.BuildPlan(ctx, env, rec, opts)
			if err != nil {
				return err
			}
			theme := f.IO.Theme()
			if output == cmdutil.OutputText {
				printPlan(f.IO.Out, theme, plan)
			} else if dryRun {
				return cmdutil.PrintStructured(f.IO.Out, output, plan)
			}
			if dryRun || plan.Changes == 0 {
				return nil
			}
			if !yes {
				if !f.IO.CanPrompt() {
					return cmdutil.UsageErrorf("teardown would make %d change(s) and nothing was changed: pass --yes to go ahead, or --dry-run to only show the plan", plan.Changes)
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
			fmt.Fprintf(f.IO.Out, " %s %d change(s) done; the setup %s is removed.\n", theme.Symbol(style.Pass), res.Changed, rec.Ref())
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.DeleteUserPool, "delete-user-pool", false, "also delete the Cognito user pool (only one the wizard created)")
	fl.BoolVar(&opts.KeepAuthorizer, "keep-authorizer", false, "leave the runtime's authorizer as it is")
	fl.BoolVarP(&yes, "yes", "y", false, "do it without asking")
	fl.BoolVar(&dryRun, "dry-run", false, "only show the plan")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func printPlan(w io.Writer, t style.Theme, p *td.Plan) {
	fmt.Fprintf(w, "%s · setup %s (%s) → %s\n", t.Title.Render("Teardown"), p.Record.Ref(), p.Record.Mode, p.Record.RuntimeARN)
	for _, it := range p.Items {
		sym := map[string]string{wizard.ActionDelete: "-", wizard.ActionUpdate: "~", wizard.ActionSkip: "○"}[it.Action]
		if sym == "" {
			sym = "="
		}
		line := fmt.Sprintf("   %s %-9s %s", sym, it.Action, it.Target)
		if it.Detail != "" {
			line += "  " + it.Detail
		}
		st := t.Faint
		switch it.Action {
		case wizard.ActionDelete:
			st = t.Red
		case wizard.ActionUpdate:
			st = t.Amber
		}
		fmt.Fprintln(w, st.Render(line))
	}
	for _, wn := range p.Warnings {
		fmt.Fprintf(w, " %s %s\n", t.Symbol(style.Warn), wn)
	}
	if p.Changes == 0 {
		fmt.Fprintln(w, " Nothing to remove.")
	} else {
		fmt.Fprintf(w, " %d change(s).\n", p.Changes)
	}
}
