// Package doctor is `kubectl agentcore doctor`.
package doctor

import (
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmd builds the doctor command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Find why calls through the gateway fail (401, 403, 429 …) and how to fix it",
		Long:  `Check every link of Client → Agent Gateway → AgentCore for one setup: cluster, gateway resources, the
token Secret, the token itself, the runtime's JWT authorizer and the runtime. Each problem is named with its
fix. Exit codes: 0 no failure, 3 a check failed, 1 doctor could not run.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdutil.NotImplemented("kubectl agentcore doctor", 3)
		},
	}
	return cmd
}
