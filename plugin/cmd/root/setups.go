package root

import (
	"context"
	"errors"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	dr "github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setups"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/home"
	tuisetups "github.com/kubectl-agentcore/kubectl-agentcore/tui/setups"
)

// homeSetupsKey is the home item that opens the setups view (a screen, not a subcommand).
const homeSetupsKey = "setups"

// doctorStatusTimeout bounds the doctor run that fills the setups view's status column.
const doctorStatusTimeout = 60 * time.Second

// runSetups shows the setups view; it returns the doctor arguments of the setup picked with enter (nil: back):
// that one record, not whichever record its namespace has.
func runSetups(ctx context.Context, f *cmdutil.Factory) ([]string, error) {
	// Every namespace when the user may list them, else the kubeconfig's namespace (as setup.Find does); the
	// doctor status covers the same scope.
	scope := ""
	l := tuisetups.Loaders{
		Rows: func(ctx context.Context) ([]setups.Row, error) {
			ctx, cancel := context.WithTimeout(ctx, home.LoadTimeout)
			defer cancel()
			kube, err := f.KubeClient()
			if err != nil {
				return nil, err
			}
			rows, err := setups.List(ctx, kube, "")
			if err == nil {
				scope = ""
				return rows, nil
			}
			ns, nerr := f.Namespace()
			if nerr != nil {
				return nil, errors.Join(err, nerr)
			}
			rows, nerr = setups.List(ctx, kube, ns)
			if nerr != nil {
				return nil, err
			}
			scope = ns
			return rows, nil
		},
		Doctor: func(ctx context.Context) (map[string]dr.Summary, error) {
			ctx, cancel := context.WithTimeout(ctx, doctorStatusTimeout)
			defer cancel()
			deps, err := doctor.FleetDeps(ctx, f)
			if err != nil {
				return nil, err
			}
			return setups.DoctorStatus(ctx, scope, dr.Options{}, deps)
		},
	}
	final, err := cmdutil.RunScreen(ctx, f.IO, tuisetups.New(ctx, f.IO.Theme(), l, f.Now))
	if err != nil || final.Open == nil {
		return nil, err
	}
	return tuisetups.DoctorArgs(*final.Open), nil
}
