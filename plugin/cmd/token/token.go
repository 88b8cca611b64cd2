// Package token is `kubectl agentcore token …`: inspect (decode, verify, explain) a JWT.
package token

import (
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmd builds the token command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Decode, verify and explain a JWT",
		Long:  "Work with the bearer tokens the gateway sends to AgentCore.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.IO.CanPrompt() {
				return cmdutil.NotImplemented("kubectl agentcore token inspect", 3)
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "inspect [TOKEN | -]",
		Short: "Decode a JWT, say which authorizer settings it satisfies, and verify its signature",
		Long: `Decode a JWT (raw, "Bearer <jwt>", stdin, a file or a Secret's Authorization key), show its header and
claims with times, its kind (cognito-id, cognito-access, auth0, okta, entra, generic) and which JWT authorizer
settings it can satisfy. --verify checks the signature against the issuer's keys.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdutil.NotImplemented("kubectl agentcore token inspect", 3)
		},
	})
	return cmd
}
