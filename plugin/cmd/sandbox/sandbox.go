// Package sandbox is `kubectl agentcore sandbox up|down|env`: the whole path on loopback for a demo or a test,
// with no EKS cluster and no AWS account. The gateway in it is a DEMO STAND-IN, not a gateway product.
package sandbox

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	uc "github.com/kubectl-agentcore/kubectl-agentcore/plugin/sandbox"
	"github.com/spf13/cobra"
)

// DefaultDir is the state folder: $AGENTCORE_SANDBOX_DIR, else .sandbox in the project folder.
func DefaultDir() string {
	if d := os.Getenv("AGENTCORE_SANDBOX_DIR"); d != "" {
		return d
	}
	if root, err := testcluster.RepoRoot(); err == nil {
		return filepath.Join(root, ".sandbox")
	}
	return ".sandbox"
}

// NewCmd builds the sandbox command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the whole path on this machine (local cluster, Cognito, AgentCore, demo gateway stand-in)",
		Long: `Start, on loopback only, everything kubectl agentcore talks to: a real kube-apiserver + etcd with the Gateway
API and Agent Gateway CRDs, kwok as the kubelet of a fake node (the proxy pods' logs are files), cognito-local,
a local AgentCore (control plane with two runtimes — one IAM-only, one with no authorizer yet — and a data plane
that checks bearer tokens like the real JWT authorizer) and a DEMO STAND-IN for the gateway proxy. The stand-in
is not a gateway product: it only serves the routes, forwards with the Secret's token, rate-limits, writes
access lines and statuses so every command can be seen working.

Needs the project folder with the test binaries built (make testbin) and cognito-local installed
(make cognito-local); make demo does all of it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&dir, "dir", "", "state folder (default: .sandbox in the project folder, or $AGENTCORE_SANDBOX_DIR)")
	resolve := func() string {
		if dir == "" {
			return DefaultDir()
		}
		return dir
	}

	var output string
	var timeout time.Duration
	up := &cobra.Command{
		Use:   "up",
		Short: "Start the sandbox (or reuse the running one) and print its environment",
		Example: `  eval "$(kubectl agentcore sandbox up)"   # start, then use it in this shell
  kubectl agentcore sandbox up -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(output, cmdutil.OutputText, cmdutil.OutputJSON); err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return cmdutil.Fail("starting the sandbox", err, "")
			}
			t0 := time.Now()
			fmt.Fprintf(f.IO.ErrOut, "starting the sandbox in %s …\n", resolve())
			st, reused, err := uc.Up(ctxOf(cmd), resolve(), exe, timeout)
			if err != nil {
				return cmdutil.Fail("starting the sandbox", err, "Run make testbin cognito-local, then retry; kubectl agentcore sandbox down cleans up")
			}
			if reused {
				fmt.Fprintf(f.IO.ErrOut, "reusing the sandbox running since %s (pid %d)\n", st.StartedAt.Local().Format("15:04:05"), st.PID)
			} else {
				fmt.Fprintf(f.IO.ErrOut, "sandbox ready in %s (pid %d); the gateway is a demo stand-in at %s\n", time.Since(t0).Round(100*time.Millisecond), st.PID, st.GatewayURL)
			}
			return printEnv(f.IO.Out, st, output)
		},
	}
	cmdutil.AddOutputFlag(up, &output, cmdutil.OutputText, cmdutil.OutputJSON)
	up.Flags().DurationVar(&timeout, "timeout", 3*time.Minute, "give up when not ready after this long")

	var envOutput string
	env := &cobra.Command{
		Use:     "env",
		Short:   "Print the running sandbox's environment (export lines)",
		Example: `  eval "$(kubectl agentcore sandbox env)"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(envOutput, cmdutil.OutputText, cmdutil.OutputJSON); err != nil {
				return err
			}
			st, err := uc.Load(resolve())
			if err != nil {
				return cmdutil.Fail("reading the sandbox", err, "Start it with kubectl agentcore sandbox up")
			}
			return printEnv(f.IO.Out, st, envOutput)
		},
	}
	cmdutil.AddOutputFlag(env, &envOutput, cmdutil.OutputText, cmdutil.OutputJSON)

	down := &cobra.Command{
		Use:   "down",
		Short: "Stop the sandbox and everything it started",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stopped, err := uc.Down(resolve())
			if err != nil {
				return cmdutil.Fail("stopping the sandbox", err, "")
			}
			if stopped {
				fmt.Fprintln(f.IO.ErrOut, "sandbox stopped")
			} else {
				fmt.Fprintln(f.IO.ErrOut, "no sandbox was running in "+resolve())
			}
			return nil
		},
	}

	serve := &cobra.Command{
		Use:    "serve",
		Short:  "Run the sandbox in the foreground (used by up)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(ctxOf(cmd), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
			defer stop()
			log := slog.New(slog.NewTextHandler(f.IO.ErrOut, nil))
			return uc.Serve(ctx, uc.Options{Dir: resolve(), Logger: log})
		},
	}
	cmd.AddCommand(up, env, down, serve)
	return cmd
}

func ctxOf(cmd *cobra.Command) context.Context {
	if c := cmd.Context(); c != nil {
		return c
	}
	return context.Background()
}

func printEnv(w io.Writer, st *uc.State, output string) error {
	if output == cmdutil.OutputJSON {
		return cmdutil.PrintStructured(w, output, st)
	}
	var b strings.Builder
	b.WriteString("# kubectl agentcore sandbox (" + st.Dir + "); the gateway at " + st.GatewayURL + " is a demo stand-in\n")
	for _, kv := range st.EnvList() {
		k, v, _ := strings.Cut(kv, "=")
		b.WriteString("export " + k + "=" + shellQuote(v) + "\n")
	}
	for _, name := range []string{uc.EchoRuntime, uc.IAMRuntime} {
		b.WriteString("# runtime " + name + ": " + st.Runtimes[name] + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
