package teardown

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	td "github.com/kubectl-agentcore/kubectl-agentcore/plugin/teardown"
)

// TestFlagsToOptions: the command line becomes Options through the runF seam (no cluster, no AWS), and a bad
// value, an argument or an unknown flag is a usage error (exit 2).
func TestFlagsToOptions(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing-kubeconfig"))
	for _, tc := range []struct {
		name string
		args []string
		want *Options // nil: a usage error
	}{
		{"no flags: the only setup record", nil, &Options{Output: cmdutil.OutputText}},
		{"everything", []string{"-n", "agentcore", "--delete-user-pool", "--keep-authorizer", "-y", "--dry-run", "-o", "json"},
			&Options{Teardown: td.Options{DeleteUserPool: true, KeepAuthorizer: true}, Yes: true, DryRun: true, Output: cmdutil.OutputJSON, Namespace: "agentcore"}},
		{"argument", []string{"agentcore"}, nil},
		{"unknown flag", []string{"--all"}, nil},
		{"bool with a value that does not parse", []string{"--yes=maybe"}, nil},
		{"bad output", []string{"-o", "xml"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, res := cmdtest.Parse(NewCmd, tc.args...)
			if tc.want == nil {
				var ee *cmdutil.ExitError
				if got != nil || res.Code() != cmdutil.ExitUsage || !errors.As(res.Err, &ee) {
					t.Fatalf("want a usage error (exit 2) before Run, got exit %d, err %v, options %+v", res.Code(), res.Err, got)
				}
				return
			}
			if res.Err != nil || got == nil {
				t.Fatalf("exit %d: %v", res.Code(), res.Err)
			}
			got.f = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("options\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
