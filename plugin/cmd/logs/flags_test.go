package logs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil/cmdtest"
	pl "github.com/kubectl-agentcore/kubectl-agentcore/plugin/logs"
)

// TestFlagsToOptions: the command line becomes Options and the filter they make, through the runF seam (no log
// read, no cluster), and every bad value or combination is a usage error (exit 2).
func TestFlagsToOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "saved.log")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	defaults := func(edit func(o *Options)) *Options {
		o := &Options{Tail: -1, Output: OutputText, Buffer: pl.DefaultBuffer, filter: &pl.Filter{}}
		edit(o)
		return o
	}
	for _, tc := range []struct {
		name string
		args []string
		tty  bool
		want *Options // nil: a usage error
		grep string   // the filter's regular expression
	}{
		{"no flags", nil, false, defaults(func(*Options) {}), ""},
		{"filters", []string{"--gateway", "gw-ns/gw", "-f", "--since", "10m", "--tail", "20", "--status", "401,4xx", "--status", "503",
			"--route", "agentcore/agentcore,orders", "--reason", "JwtAuth", "--grep", "aud.*mismatch", "-o", "json", "--stats", "--buffer", "10"}, false,
			defaults(func(o *Options) {
				o.Gateway, o.Follow, o.Since, o.Tail, o.Statuses, o.Routes, o.Reasons, o.Grep, o.Output, o.Stats, o.Buffer =
					"gw-ns/gw", true, 10*time.Minute, 20, []string{"401", "4xx", "503"}, []string{"agentcore/agentcore", "orders"}, []string{"JwtAuth"},
					"aud.*mismatch", "json", true, 10
				o.filter = &pl.Filter{Statuses: []pl.StatusRange{{Lo: 401, Hi: 401}, {Lo: 400, Hi: 499}, {Lo: 503, Hi: 503}},
					Routes: []string{"agentcore/agentcore", "orders"}, Reasons: []string{"JwtAuth"}}
			}), "aud.*mismatch"},
		{"a file on a terminal opens the screen", []string{"--file", file}, true,
			defaults(func(o *Options) { o.File, o.tui = file, true }), ""},
		{"-o on a terminal prints lines", []string{"--file", file, "-o", "raw"}, true,
			defaults(func(o *Options) { o.File, o.Output = file, "raw" }), ""},
		{"stdin never opens the screen", []string{"--file", "-"}, true,
			defaults(func(o *Options) { o.File = "-" }), ""},
		{"argument", []string{"gw"}, false, nil, ""},
		{"unknown flag", []string{"--frobnicate"}, false, nil, ""},
		{"number that does not parse", []string{"--tail", "all"}, false, nil, ""},
		{"bad output", []string{"-o", "yaml"}, false, nil, ""},
		{"bad status", []string{"--status", "4x"}, false, nil, ""},
		{"bad grep", []string{"--grep", "("}, false, nil, ""},
		{"bad gateway", []string{"--gateway", "a/b/c"}, false, nil, ""},
		{"buffer zero", []string{"--buffer", "0"}, false, nil, ""},
		{"tail below -1", []string{"--tail", "-2"}, false, nil, ""},
		{"negative since", []string{"--since", "-1m"}, false, nil, ""},
		{"file and gateway", []string{"--file", file, "--gateway", "ns/gw"}, false, nil, ""},
		{"file and follow", []string{"--file", file, "-f"}, false, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := cmdtest.Env{Factory: func(f *cmdutil.Factory) { f.IO.SetTTY(tc.tty, tc.tty) }}
			got, res := cmdtest.ParseIn(env, NewCmd, tc.args...)
			cmdtest.Expect(t, got, res, tc.want, func(o *Options) {
				if g := o.filter.Grep; (g == nil) != (tc.grep == "") || g != nil && g.String() != tc.grep {
					t.Fatalf("grep %v, want %q", g, tc.grep)
				}
				o.f, o.filter.Grep, o.doctor = nil, nil, nil
			})
		})
	}
}

// A --file that is not there fails (exit 1) before anything is read.
func TestFlagsMissingFile(t *testing.T) {
	got, res := cmdtest.Parse(NewCmd, "--file", filepath.Join(t.TempDir(), "nowhere.log"))
	if got != nil || res.Code() != cmdutil.ExitFailure {
		t.Fatalf("exit %d, err %v", res.Code(), res.Err)
	}
}
