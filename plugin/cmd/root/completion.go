package root

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// binaryName is the program the generated scripts complete: the plugin binary as it sits on PATH.
const binaryName = "kubectl-agentcore"

// newCompletionCmd is `kubectl agentcore completion bash|zsh|fish|powershell`, cobra's completion command with
// help that speaks of kubectl agentcore. Nothing here reads a kubeconfig or the AWS configuration.
func newCompletionCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion",
		Short: "Print the shell completion script (bash, zsh, fish, powershell)",
		Long: `Print the shell completion script for bash, zsh, fish or powershell.

kubectl agentcore <TAB> (kubectl 1.26 or newer) needs no script of this plugin's own: put the
kubectl_complete-agentcore helper from the release archive on your PATH next to kubectl-agentcore, with
kubectl's own completion loaded (source <(kubectl completion bash)). With krew:

  cp ~/.krew/store/agentcore/*/kubectl_complete-agentcore ~/.krew/bin/

The scripts below complete the kubectl-agentcore binary when you run it directly. Flags complete from your
kubeconfig (--context, --cluster, --user) and from the cluster (--namespace, Secrets, HTTPRoutes).`,
		Example: `  source <(kubectl agentcore completion bash)
  kubectl agentcore completion zsh > "${fpath[1]}/_kubectl-agentcore"
  kubectl agentcore completion fish | source
  kubectl agentcore completion powershell | Out-String | Invoke-Expression`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdutil.UsageErrorf("name a shell: kubectl agentcore completion bash|zsh|fish|powershell")
		},
	}
	shells := []struct {
		name, load string
		gen        func(root *cobra.Command, w io.Writer, desc bool) error
	}{
		{"bash", "source <(kubectl agentcore completion bash)   # needs the bash-completion package",
			func(r *cobra.Command, w io.Writer, d bool) error { return r.GenBashCompletionV2(w, d) }},
		{"zsh", `kubectl agentcore completion zsh > "${fpath[1]}/_kubectl-agentcore"   # then start a new shell`,
			func(r *cobra.Command, w io.Writer, d bool) error {
				if d {
					return r.GenZshCompletion(w)
				}
				return r.GenZshCompletionNoDesc(w)
			}},
		{"fish", "kubectl agentcore completion fish > ~/.config/fish/completions/kubectl-agentcore.fish",
			func(r *cobra.Command, w io.Writer, d bool) error { return r.GenFishCompletion(w, d) }},
		{"powershell", "kubectl agentcore completion powershell | Out-String | Invoke-Expression",
			func(r *cobra.Command, w io.Writer, d bool) error {
				if d {
					return r.GenPowerShellCompletionWithDesc(w)
				}
				return r.GenPowerShellCompletion(w)
			}},
	}
	for _, sh := range shells {
		var noDesc bool
		sub := &cobra.Command{
			Use:   sh.name,
			Short: "Print the " + sh.name + " completion script for kubectl-agentcore",
			Long: fmt.Sprintf(`Print the %s completion script for the kubectl-agentcore binary.

To load it:

  %s

For kubectl agentcore <TAB> under kubectl 1.26 or newer, put kubectl_complete-agentcore on your PATH
instead (see kubectl agentcore completion --help).`, sh.name, sh.load),
			Args:                  cobra.NoArgs,
			DisableFlagsInUseLine: true,
			ValidArgsFunction:     cobra.NoFileCompletions,
			RunE: func(cmd *cobra.Command, _ []string) error {
				root := cmd.Root()
				// The scripts complete the binary kubectl finds, kubectl-agentcore, not the subcommand name.
				use := root.Use
				root.Use = binaryName
				defer func() { root.Use = use }()
				return sh.gen(root, f.IO.Out, !noDesc)
			},
		}
		sub.Flags().BoolVar(&noDesc, "no-descriptions", false, "leave out the completion descriptions")
		cmd.AddCommand(sub)
	}
	return cmd
}

// registerCompletions wires the dynamic completions: --context, --cluster and --user from the kubeconfig,
// --namespace and any command's *-namespace flag from the cluster, and the NS/NAME flags --secret and --route
// from the cluster's Secrets and HTTPRoutes. A command that registered its own completion for a flag keeps it.
// Only the completions that need the cluster call it, each bounded by cmdutil.CompletionTimeout.
func registerCompletions(root *cobra.Command, f *cmdutil.Factory) {
	register := func(cmd *cobra.Command, flag string, fn cobra.CompletionFunc) {
		if _, ok := cmd.GetFlagCompletionFunc(flag); ok {
			return
		}
		_ = cmd.RegisterFlagCompletionFunc(flag, fn)
	}
	register(root, "context", cmdutil.CompleteContexts(f))
	register(root, "cluster", cmdutil.CompleteClusters(f))
	register(root, "user", cmdutil.CompleteUsers(f))
	register(root, "namespace", cmdutil.CompleteNamespaces(f))

	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalNonPersistentFlags().VisitAll(func(fl *pflag.Flag) { registerByName(c, fl, f, register) })
		c.PersistentFlags().VisitAll(func(fl *pflag.Flag) {
			if c != root {
				registerByName(c, fl, f, register)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func registerByName(c *cobra.Command, fl *pflag.Flag, f *cmdutil.Factory, register func(*cobra.Command, string, cobra.CompletionFunc)) {
	switch {
	case fl.Value.Type() != "string":
	case fl.Name == "secret":
		register(c, fl.Name, cmdutil.CompleteSecretRefs(f))
	case fl.Name == "route":
		register(c, fl.Name, cmdutil.CompleteHTTPRouteRefs(f))
	case strings.HasSuffix(fl.Name, "-namespace"):
		register(c, fl.Name, cmdutil.CompleteNamespaces(f))
	}
}
