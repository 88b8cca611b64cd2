package wizard

import (
	"context"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
)

// runTUI runs the wizard's pages on a terminal.
func runTUI(ctx context.Context, f *cmdutil.Factory, o *Options, env *wz.Env, a wz.Answers) error {
	o2 := *o
	o2.NonInteractive = true
	o2.Answers = a
	o2.ConfigFile = ""
	return o2.Run(ctx, f)
}
