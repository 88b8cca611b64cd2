package root

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

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
	scope := ""
	l := tuisetups.Loaders{
		Rows: setupRows(f, &scope),
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

// setupRows lists the setups view's rows: -n's namespace when given; else every namespace when the user may list
// them, else the kubeconfig's namespace (the user's own, as kubectl would use it; setup.FindAll falls back to the
// wizard's default namespace instead, where it looks for records to share with). It sets *scope to the namespace
// listed ("" = every one), which the doctor status then covers.
func setupRows(f *cmdutil.Factory, scope *string) func(ctx context.Context) ([]setups.Row, string, error) {
	return func(ctx context.Context) ([]setups.Row, string, error) {
		ctx, cancel := context.WithTimeout(ctx, home.LoadTimeout)
		defer cancel()
		kube, err := f.KubeClient()
		if err != nil {
			return nil, "", err
		}
		if ns := f.NamespaceFlag(); ns != "" {
			*scope = ns
			rows, err := setups.List(ctx, kube, ns)
			return rows, "namespace " + ns, err
		}
		rows, err := setups.List(ctx, kube, "")
		if !apierrors.IsForbidden(err) {
			*scope = ""
			return rows, "all namespaces", err
		}
		ns, nerr := f.Namespace()
		if nerr != nil {
			return nil, "", errors.Join(err, nerr)
		}
		if rows, nerr = setups.List(ctx, kube, ns); nerr != nil {
			return nil, "", fmt.Errorf("you may list the setup records neither in every namespace nor in namespace %s (the kubeconfig's): pass -n NAMESPACE, or ask your cluster admin to let you list ConfigMaps", ns)
		}
		*scope = ns
		return rows, "namespace " + ns + " (you may not list every namespace)", nil
	}
}
