package version

import (
	"errors"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
)

// TestFlagsToOptions: -o becomes Options through the runF seam; a bad value, an argument or an unknown flag is
// a usage error (exit 2).
func TestFlagsToOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // the output format; "" = a usage error
	}{
		{"default", nil, cmdutil.OutputText},
		{"json", []string{"-o", "json"}, cmdutil.OutputJSON},
		{"yaml", []string{"--output=yaml"}, cmdutil.OutputYAML},
		{"bad output", []string{"-o", "xml"}, ""},
		{"argument", []string{"now"}, ""},
		{"unknown flag", []string{"--short"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, res := cmdtest.Parse(NewCmd, tc.args...)
			if tc.want == "" {
				var ee *cmdutil.ExitError
				if got != nil || res.Code() != cmdutil.ExitUsage || !errors.As(res.Err, &ee) {
					t.Fatalf("want a usage error (exit 2) before Run, got exit %d, err %v, options %+v", res.Code(), res.Err, got)
				}
				return
			}
			if res.Err != nil || got == nil || got.Output != tc.want {
				t.Fatalf("exit %d %v, options %+v, want -o %s", res.Code(), res.Err, got, tc.want)
			}
		})
	}
}
