// Package wizard is `kubectl agentcore wizard`.
package wizard

import (
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmd builds the wizard command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wizard",
		Short: "Set up an AgentCore runtime behind Agent Gateway, idempotently, with a plan first",
		Long:  `Create or reuse the Cognito pool, app client and service user, point the runtime's JWT authorizer at the
pool, store the token in a Secret and apply the gateway backend, policy and HTTPRoute. Shows the plan before
any change; --dry-run prints it (and -o yaml the manifests) without changing anything.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdutil.NotImplemented("kubectl agentcore wizard", 4)
		},
	}
	return cmd
}
