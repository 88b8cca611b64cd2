package setups

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

// doctorStatusTimeout bounds the doctor run that fills the setups view's status column.
const doctorStatusTimeout = 60 * time.Second

// Screen shows the setups view until esc, opening the doctor of the setup picked with enter (that one record,
// not whichever record its namespace has) and coming back to the view after it. The home screen's Setups item
// and `kubectl agentcore setups` on a terminal.
// allNamespaces is -A: every namespace or an error, not the default's fallback to the kubeconfig's namespace.
func Screen(ctx context.Context, f *cmdutil.Factory, allNamespaces bool) error {
	last := ""
	for {
		row, err := pick(ctx, f, last, allNamespaces)
		if err != nil || row == nil || ctx.Err() != nil {
			return err
		}
		last = row.Setup
		if err := doctor.RunSetup(ctx, f, row.Namespace, row.Name); err != nil {
			var ee *cmdutil.ExitError
			if !errors.As(err, &ee) || ee.Err != nil {
				return err
			} // else: the doctor's screen showed its findings
		}
	}
}

// pick shows the setups view once, with the setup last ("namespace/name", may be "") selected; it returns the row
// picked with enter (nil: back).
func pick(ctx context.Context, f *cmdutil.Factory, last string, allNamespaces bool) (*setups.Row, error) {
	scope := ""
	l := tuisetups.Loaders{
		Rows: setupRows(f, &scope, allNamespaces),
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
	final, err := cmdutil.RunScreen(ctx, f.IO, tuisetups.New(ctx, f.IO.Theme(), l, f.Now).Selecting(last))
	if err != nil {
		return nil, err
	}
	return final.Open, nil
}

// setupRows lists the setups view's rows: -n's namespace when given; else every namespace when the user may list
// them, else the kubeconfig's namespace (the user's own, as kubectl would use it; setup.FindAll falls back to the
// wizard's default namespace instead, where it looks for records to share with). It sets *scope to the namespace
// listed ("" = every one), which the doctor status then covers.
func setupRows(f *cmdutil.Factory, scope *string, allNamespaces bool) func(ctx context.Context) ([]setups.Row, string, error) {
	return func(ctx context.Context) ([]setups.Row, string, error) {
		ctx, cancel := context.WithTimeout(ctx, home.LoadTimeout)
		defer cancel()
		kube, err := f.KubeClient()
		if err != nil {
			return nil, "", err
		}
		if allNamespaces {
			*scope = ""
			rows, err := setups.List(ctx, kube, "")
			return rows, "all namespaces", err
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
