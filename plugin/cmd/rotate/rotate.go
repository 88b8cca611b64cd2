// Package rotate is `kubectl agentcore rotate`.
package rotate

import (
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmd builds the rotate command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Mint a fresh token into the gateway's Secret before it expires",
		Long:  `Mint a new token, verify it against the pool's keys and the runtime's authorizer, and only then write it to
the Secret. --watch keeps doing so before each expiry; --print-manifests runs it in the cluster.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdutil.NotImplemented("kubectl agentcore rotate", 5)
		},
	}
	return cmd
}
