// Package version is `kubectl agentcore version`: build information, with no kubeconfig, AWS or network access.
package version

import (
	"context"
	"fmt"
	"runtime"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/spf13/cobra"
)

// Info is what version prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Current is this binary's build information.
func Current() Info {
	return Info{cmdutil.Version, cmdutil.Commit, cmdutil.Date, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
}

// Options are the command's flags.
type Options struct {
	f *cmdutil.Factory

	Output string
}

// NewCmd builds the version command. runF, when not nil, receives the validated Options instead of Run (flag
// tests).
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version, commit and build date",
		Long:  "Print the plugin's version, commit and build date. Reads no kubeconfig and no AWS configuration.",
		Example: `  kubectl agentcore version
  kubectl agentcore version -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(o, runF),
	}
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// Complete has nothing to take: version reads no configuration.
func (o *Options) Complete(*cobra.Command, []string) error { return nil }

// Validate checks -o (a usage error, exit 2).
func (o *Options) Validate() error { return cmdutil.ValidateOutput(o.Output) }

// Run prints the build information.
func (o *Options) Run(context.Context) error {
	info := Current()
	if o.Output != cmdutil.OutputText {
		return cmdutil.PrintStructured(o.f.IO.Out, o.Output, info)
	}
	_, err := fmt.Fprintf(o.f.IO.Out, "kubectl-agentcore %s (commit %s, built %s, %s, %s)\n",
		info.Version, info.Commit, info.BuildDate, info.GoVersion, info.Platform)
	return err
}
