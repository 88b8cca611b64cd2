package version

import (
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
			var want *Options
			if tc.want != "" {
				want = &Options{Output: tc.want}
			}
			cmdtest.Expect(t, got, res, want, func(o *Options) { o.f = nil })
		})
	}
}
