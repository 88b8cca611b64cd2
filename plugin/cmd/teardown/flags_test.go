package teardown

import (
	"path/filepath"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	td "github.com/kubectl-agentcore/kubectl-agentcore/plugin/teardown"
)

// TestFlagsToOptions: the command line becomes Options through the runF seam (no cluster, no AWS), and a bad
// value, an argument or an unknown flag is a usage error (exit 2).
func TestFlagsToOptions(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing-kubeconfig"))
	cmdtest.Table(t, NewCmd, func(o *Options) { o.f = nil }, []cmdtest.Case[Options]{
		{"no flags: the only setup record", nil, &Options{Output: cmdutil.OutputText}},
		{"everything", []string{"-n", "agentcore", "--delete-user-pool", "--keep-authorizer", "-y", "--dry-run", "-o", "json"},
			&Options{Teardown: td.Options{DeleteUserPool: true, KeepAuthorizer: true}, Yes: true, DryRun: true, Output: cmdutil.OutputJSON, Namespace: "agentcore"}},
		{"argument", []string{"agentcore"}, nil},
		{"unknown flag", []string{"--all"}, nil},
		{"bool with a value that does not parse", []string{"--yes=maybe"}, nil},
		{"bad output", []string{"-o", "xml"}, nil},
	})
}
