// Package teardown is `kubectl agentcore teardown`.
package teardown

import (
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmd builds the teardown command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Remove what the wizard created",
		Long:  `Delete the gateway objects, Secrets and (when the wizard created it) the namespace recorded by the wizard;
optionally the Cognito user pool, and restore the runtime's previous authorizer. Shows the plan and asks.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdutil.NotImplemented("kubectl agentcore teardown", 4)
		},
	}
	return cmd
}
