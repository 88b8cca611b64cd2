// Package version is `kubectl agentcore version`: build information, with no kubeconfig, AWS or network access.
package version

import (
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

// NewCmd builds the version command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version, commit and build date",
		Long:  "Print the plugin's version, commit and build date. Reads no kubeconfig and no AWS configuration.",
		Example: `  kubectl agentcore version
  kubectl agentcore version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(output); err != nil {
				return err
			}
			info := Current()
			if output != cmdutil.OutputText {
				return cmdutil.PrintStructured(f.IO.Out, output, info)
			}
			_, err := fmt.Fprintf(f.IO.Out, "kubectl-agentcore %s (commit %s, built %s, %s, %s)\n",
				info.Version, info.Commit, info.BuildDate, info.GoVersion, info.Platform)
			return err
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}
