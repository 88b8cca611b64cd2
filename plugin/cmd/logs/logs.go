// Package logs is `kubectl agentcore logs`.
package logs

import (
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmd builds the logs command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Stream the gateway's access logs, parsed and filtered",
		Long:  `Follow every proxy pod of the Gateway, parse agentgateway access lines, filter by status, route, reason or
regular expression, and show 401s so they cannot be missed. --file reads a saved log instead.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdutil.NotImplemented("kubectl agentcore logs", 6)
		},
	}
	return cmd
}
