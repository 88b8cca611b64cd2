// Command agentcore-sandbox runs the whole Client → Agent Gateway → AgentCore path on this machine, on loopback
// only, for a demo or a test: `agentcore-sandbox up|env|down` (and `serve`, the daemon `up` starts). It is a
// developer tool that needs the project folder (make testbin cognito-local); it is not part of the plugin.
// The Agent Gateway controller in it is the real open-source one; the proxy is a DEMO STAND-IN, not a gateway
// product.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/proc"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/sandbox"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command tree with args and prints a failure as one `error:` line; it returns the exit code.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	cmd := newCmd(out, errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return ee.Code
	}
	msg := strings.TrimSpace(redact.Text(err.Error()))
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	fmt.Fprintln(errOut, "error: "+msg)
	return cmdutil.ExitCode(err)
}

// noArgs is cobra.NoArgs as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cmdutil.UsageErrorf("unknown command or argument %q for %q. See '%s --help'", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// newCmd builds agentcore-sandbox and its subcommands.
func newCmd(out, errOut io.Writer) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "agentcore-sandbox",
		Short: "Run the whole path on this machine (local cluster, Agent Gateway controller, Cognito, AgentCore, demo proxy stand-in)",
		Long: `Start, on loopback only, everything kubectl agentcore talks to: a real kube-apiserver + etcd with the Gateway
API and Agent Gateway CRDs, the real open-source Agent Gateway controller (v1.4.1; it accepts GatewayClass
agentgateway and writes every status of the Gateway, routes, backends and policies), kwok as the kubelet of a
fake node (the proxy pods' logs are files), cognito-local, a local AgentCore (control plane with two runtimes —
one IAM-only, one with no authorizer yet — and one AgentCore Gateway (MCP, authorizer AWS_IAM until
configured) with a few tools, and a data plane that checks bearer tokens like the real JWT authorizer) and a
DEMO STAND-IN for the gateway proxy, which no real part here can be. The stand-in is not a gateway product: it
only serves the routes, forwards with the Secret's token, rate-limits and writes access lines; its address
(127.0.0.1) is published as the load-balancer address of the Service the controller makes for the Gateway.
With --enterprise the Solo Enterprise kinds are served too, and the stand-in writes their statuses (the
open-source controller does not know them) in the controller's words.

State lives in .sandbox in the project folder, or in the folder $` + sandbox.DirEnv + ` (or --dir) names: two
folders, two sandboxes side by side.

Needs the project folder with the test binaries built (make testbin) and cognito-local installed
(make cognito-local); make demo does all of it.`,
		Args:          noArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.UsageErrorf("%w. See '%s --help'", err, c.CommandPath())
	})
	cmd.PersistentFlags().StringVar(&dir, "dir", "", "state folder (default: $"+sandbox.DirEnv+", else .sandbox in the project folder)")
	resolve := func() string {
		if dir == "" {
			return sandbox.DefaultDir()
		}
		return dir
	}

	var output string
	var timeout time.Duration
	var enterprise bool
	var owner int
	ownerFlag := func(c *cobra.Command) {
		c.Flags().IntVar(&owner, "owner-pid", 0, "stop the sandbox cleanly once this process has exited (a test run; default: $"+sandbox.OwnerEnv+", else never)")
	}
	up := &cobra.Command{
		Use:   "up",
		Short: "Start the sandbox (or reuse the running one) and print its environment",
		Example: `  eval "$(agentcore-sandbox up)"                         # start, then use it in this shell
  AGENTCORE_SANDBOX_DIR=/tmp/sbx2 agentcore-sandbox up   # a second sandbox beside the first
  agentcore-sandbox up -o json
  agentcore-sandbox up --owner-pid $$                    # stops by itself when this shell exits`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(output, cmdutil.OutputText, cmdutil.OutputJSON); err != nil {
				return err
			}
			if !cmd.Flags().Changed("owner-pid") {
				if v := os.Getenv(sandbox.OwnerEnv); v != "" {
					n, err := strconv.Atoi(v)
					if err != nil {
						return cmdutil.UsageErrorf("bad $%s %q: give a process id", sandbox.OwnerEnv, v)
					}
					owner = n
				}
			}
			if owner < 0 || owner > 0 && !proc.Alive(owner) {
				return cmdutil.UsageErrorf("bad --owner-pid %d: no such process", owner)
			}
			exe, err := os.Executable()
			if err != nil {
				return cmdutil.Fail("starting the sandbox", err, "")
			}
			t0 := time.Now()
			fmt.Fprintf(errOut, "starting the sandbox in %s …\n", resolve())
			st, reused, err := sandbox.Up(cmd.Context(), resolve(), exe, timeout, enterprise, owner)
			if err != nil {
				return cmdutil.Fail("starting the sandbox", err, "Run make testbin cognito-local, then retry; agentcore-sandbox down cleans up")
			}
			if reused && st.Enterprise != enterprise {
				return cmdutil.Fail("starting the sandbox", fmt.Errorf("the sandbox running in %s was started %s --enterprise", resolve(), map[bool]string{true: "with", false: "without"}[st.Enterprise]),
					"Stop it with agentcore-sandbox down, then rerun up")
			}
			if reused {
				owned := ""
				if st.OwnerPID != 0 {
					owned = fmt.Sprintf("; it stops when process %d exits", st.OwnerPID)
				}
				fmt.Fprintf(errOut, "reusing the sandbox running since %s (pid %d%s)\n", st.StartedAt.Local().Format("15:04:05"), st.PID, owned)
			} else {
				fmt.Fprintf(errOut, "sandbox ready in %s (pid %d); the Agent Gateway controller is the real one, the proxy a demo stand-in at %s\n", time.Since(t0).Round(100*time.Millisecond), st.PID, st.GatewayURL)
			}
			return printEnv(out, st, output)
		},
	}
	cmdutil.AddOutputFlag(up, &output, cmdutil.OutputText, cmdutil.OutputJSON)
	ownerFlag(up)
	up.Flags().DurationVar(&timeout, "timeout", 3*time.Minute, "give up when not ready after this long")
	up.Flags().BoolVar(&enterprise, "enterprise", false, "also serve the Solo Enterprise kinds (the wizard then writes EnterpriseAgentgatewayPolicy; the stand-in writes its status)")

	var envOutput string
	env := &cobra.Command{
		Use:     "env",
		Short:   "Print the running sandbox's environment (export lines)",
		Example: `  eval "$(agentcore-sandbox env)"`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(envOutput, cmdutil.OutputText, cmdutil.OutputJSON); err != nil {
				return err
			}
			st, err := sandbox.Load(resolve())
			if err != nil {
				return cmdutil.Fail("reading the sandbox", err, "Start it with agentcore-sandbox up")
			}
			return printEnv(out, st, envOutput)
		},
	}
	cmdutil.AddOutputFlag(env, &envOutput, cmdutil.OutputText, cmdutil.OutputJSON)

	down := &cobra.Command{
		Use:   "down",
		Short: "Stop the sandbox and everything it started",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stopped, err := sandbox.Down(resolve())
			if err != nil {
				return cmdutil.Fail("stopping the sandbox", err, "")
			}
			if stopped {
				fmt.Fprintln(errOut, "sandbox stopped")
			} else {
				fmt.Fprintln(errOut, "no sandbox was running in "+resolve())
			}
			return nil
		},
	}

	serve := &cobra.Command{
		Use:   "serve",
		Short: "Run the sandbox in the foreground until interrupted (up starts this in the background)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
			defer stop()
			log := slog.New(slog.NewTextHandler(errOut, nil))
			return sandbox.Serve(ctx, sandbox.Options{Dir: resolve(), Logger: log, Enterprise: enterprise, OwnerPID: owner})
		},
	}
	serve.Flags().BoolVar(&enterprise, "enterprise", false, "also serve the Solo Enterprise kinds")
	ownerFlag(serve)
	cmd.AddCommand(up, env, down, serve)
	return cmd
}

func printEnv(w io.Writer, st *sandbox.State, output string) error {
	if output == cmdutil.OutputJSON {
		return cmdutil.PrintStructured(w, output, st)
	}
	var b strings.Builder
	b.WriteString("# agentcore-sandbox (" + st.Dir + "); the proxy at " + st.GatewayURL + " is a demo stand-in (the Agent Gateway controller is the real one)\n")
	for _, kv := range st.EnvList() {
		k, v, _ := strings.Cut(kv, "=")
		b.WriteString("export " + k + "=" + shellQuote(v) + "\n")
	}
	for _, name := range []string{sandbox.EchoRuntime, sandbox.IAMRuntime} {
		b.WriteString("# runtime " + name + ": " + st.Runtimes[name] + "\n")
	}
	for _, name := range slices.Sorted(maps.Keys(st.AgentCoreGateways)) {
		g := st.AgentCoreGateways[name]
		b.WriteString("# agentcore gateway " + name + ": " + g.ARN + " (MCP " + g.MCPURL + ", tools " + strings.Join(g.Tools, ", ") + ")\n")
	}
	if o := st.OIDC; o != nil {
		b.WriteString("# oauth server (identity external by client credentials): discovery " + o.DiscoveryURL + ", demo client " + o.ClientID +
			", secret from " + o.SecretFrom + ", audience " + o.Audience + "\n")
		b.WriteString("#   kubectl agentcore wizard --identity external --runtime-arn " + st.Runtimes[sandbox.EchoRuntime] + " --discovery-url " + o.DiscoveryURL +
			" --client-id " + o.ClientID + " --client-secret-from " + o.SecretFrom + " --audience " + o.Audience + "\n")
		if o.CallerClientID != "" {
			b.WriteString("# the caller's own token (wizard --mode passthrough|exchange): a caller's token stands in as client " + o.CallerClientID +
				"'s, audience " + o.CallerAudience + "; the gateway's exchange client is " + o.ExchangeClientID + "\n")
			b.WriteString("#   kubectl agentcore wizard --mode passthrough --runtime-arn " + st.Runtimes[sandbox.EchoRuntime] + " --discovery-url " + o.DiscoveryURL +
				" --audience " + o.CallerAudience + "\n")
			b.WriteString("#   kubectl agentcore wizard --mode exchange --runtime-arn " + st.Runtimes[sandbox.EchoRuntime] + " --discovery-url " + o.DiscoveryURL +
				" --audience " + o.CallerAudience + " --exchange-client-id " + o.ExchangeClientID + " --exchange-client-secret-from " + o.ExchangeSecretFrom +
				" --exchange-audience " + o.Audience + "\n")
			b.WriteString("#   export CALLER_TOKEN=$(kubectl agentcore token mint --discovery-url " + o.DiscoveryURL + " --client-id " + o.CallerClientID +
				" --client-secret-from " + o.CallerSecretFrom + " --audience " + o.CallerAudience + " -o raw)\n")
			b.WriteString("#   kubectl agentcore invoke --bearer-from env:CALLER_TOKEN 'hello'\n")
		}
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
