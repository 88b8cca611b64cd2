// Package root is the top of `kubectl agentcore`: the command tree, the global kubectl and AWS flags, the home
// screen on a terminal, and the mapping of errors to one `error:` line and an exit code.
package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/invoke"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/logs"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/setups"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/teardown"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/token"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/version"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/home"
	"github.com/spf13/cobra"

	// Auth plugins (exec, OIDC, …) so every kubeconfig kubectl accepts works here too.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

// NewCmd builds the whole command tree on f.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agentcore",
		Short: "Put AWS Bedrock AgentCore agents behind Agent Gateway, keep the path authenticated, explain every 401",
		Long: `kubectl agentcore sets up, checks and maintains the path Client → Agent Gateway → AWS Bedrock AgentCore:
a Cognito identity, the runtime's JWT authorizer, the token Secret and the gateway's backend, policy and route.

With no command on a terminal it opens an interactive screen; every screen also works without a terminal
(flags, -o json, exit codes 0 ok · 1 failed · 2 usage · 3 checks found problems).`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl agentcore"},
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			f.IO.SetNoColor(f.NoColor)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !f.IO.CanPrompt() {
				return cmd.Help()
			}
			return runHome(cmd, f)
		},
	}
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)

	f.AddGlobalFlags(cmd.PersistentFlags())

	cmd.AddCommand(
		wizard.NewCmd(f, nil),
		doctor.NewCmd(f, nil),
		token.NewCmd(f, nil),
		rotate.NewCmd(f, nil),
		logs.NewCmd(f, nil),
		teardown.NewCmd(f, nil),
		setups.NewCmd(f, nil),
		invoke.NewCmd(f, nil),
		version.NewCmd(f, nil),
		newCompletionCmd(f),
	)
	registerCompletions(cmd, f)
	cmdutil.UsageErrors(cmd)
	return cmd
}

// Execute runs the plugin with the process's streams and arguments and returns the exit code.
func Execute() int {
	f := cmdutil.New(cmdutil.System())
	// ctrl+c and SIGTERM cancel the command's context; long-running commands (logs -f, rotate --watch) stop
	// cleanly on it. A TUI owns the terminal and sees ctrl+c as a key.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return RunContext(ctx, f, nil)
}

// Run executes the command tree with args (nil = os.Args[1:]) and prints a failure as one `error:` line.
func Run(f *cmdutil.Factory, args []string) int { return RunContext(context.Background(), f, args) }

// RunContext is Run with a context that cancels the command.
func RunContext(ctx context.Context, f *cmdutil.Factory, args []string) int {
	cmd := NewCmd(f)
	if args != nil {
		cmd.SetArgs(args)
	}
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	code := cmdutil.ExitCode(err)
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return code // the command already reported (e.g. doctor's findings)
	}
	fmt.Fprintln(f.IO.ErrOut, "error: "+oneLine(redact.Text(err.Error())))
	return code
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// runHome shows the home screen; the chosen capability runs as if its command had been typed, then home
// comes back (with the cursor on it) until the user quits.
func runHome(cmd *cobra.Command, f *cmdutil.Factory) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	theme := f.IO.Theme()
	last, status := "", ""
	for {
		m := home.New(ctx, home.DefaultItems(), theme, homeLoaders(f))
		if as := f.KubeFlags.Impersonate; as != nil && *as != "" {
			m = m.Impersonating(*as)
		}
		m.SetCursor(last)
		m.Status = status
		final, err := cmdutil.RunScreen(ctx, f.IO, m)
		if err != nil {
			return err
		}
		chosen := final.Chosen
		if chosen == "" || ctx.Err() != nil {
			return nil
		}
		last, status = chosen, ""
		sub, _, ferr := cmd.Find([]string{chosen})
		if ferr != nil || sub == cmd {
			status = "no command " + chosen
			continue
		}
		sub.SetContext(ctx)
		var args []string
		for _, it := range final.Items {
			if it.Key == chosen {
				args = it.Args
			}
		}
		if err := sub.ParseFlags(args); err != nil {
			status = oneLine(err.Error())
			continue
		}
		err = sub.RunE(sub, sub.Flags().Args())
		if err != nil {
			var ee *cmdutil.ExitError
			if !errors.As(err, &ee) || ee.Err != nil {
				status = oneLine(redact.Text(err.Error()))
			} // else: the screen already showed its findings
		}
	}
}

// homeLoaders resolve the header in the background: the kube context from the kubeconfig, the AWS region
// from the AWS configuration and the account from STS.
func homeLoaders(f *cmdutil.Factory) home.Loaders {
	return home.Loaders{
		Kube: func(ctx context.Context) (string, string, error) {
			c, err := f.KubeContext()
			if err != nil {
				return "", "", err
			}
			if c == "" {
				return "", "", errors.New("no kube context")
			}
			ns, err := f.Namespace()
			return c, ns, err
		},
		AWS: func(ctx context.Context) (string, string, error) {
			ctx, cancel := context.WithTimeout(ctx, home.LoadTimeout)
			defer cancel()
			cfg, err := f.AWSConfig(ctx)
			if err != nil {
				return "", "", err
			}
			id, err := awsops.CallerIdentity(ctx, cfg)
			return cfg.Region, id.Account, err
		},
		Hints: func(ctx context.Context) map[string]home.Hint { return homeHints(ctx, f) },
	}
}
