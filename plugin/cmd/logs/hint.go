package logs

import (
	"context"
	"fmt"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	pl "github.com/kubectl-agentcore/kubectl-agentcore/plugin/logs"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/home"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// HintTimeout bounds the home screen's logs hint (it reads at most 2 MiB per container, never follows).
const HintTimeout = 3 * time.Second

// Hint is the home screen's note for Logs: "3 × 401 in the last 5m". No gateway or an unreadable log gives
// no hint.
func Hint(ctx context.Context, f *cmdutil.Factory) (home.Hint, bool) {
	kube, err := f.KubeClient()
	if err != nil {
		return home.Hint{}, false
	}
	dyn, err := f.Dynamic()
	if err != nil {
		return home.Hint{}, false
	}
	return HintFor(ctx, kube, dyn, f.NamespaceFlag(), f.Now())
}

// HintFor computes the hint for the gateway of the setup in ns ("" = the only setup, else the only gateway).
func HintFor(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, ns string, now time.Time) (home.Hint, bool) {
	ctx, cancel := context.WithTimeout(ctx, HintTimeout)
	defer cancel()
	gw, err := pl.ResolveGateway(ctx, kube, dyn, "", ns, ns)
	if err != nil {
		return home.Hint{}, false
	}
	n401, n403, err := pl.Recent401s(ctx, kube, gw, pl.HintWindow, now)
	if err != nil {
		return home.Hint{}, false
	}
	window := style.Short(pl.HintWindow)
	switch {
	case n401 > 0 && n403 > 0:
		return home.Hint{Text: fmt.Sprintf("%d × 401 · %d × 403 in the last %s", n401, n403, window), Status: style.Fail}, true
	case n401 > 0:
		return home.Hint{Text: fmt.Sprintf("%d × 401 in the last %s", n401, window), Status: style.Fail}, true
	case n403 > 0:
		return home.Hint{Text: fmt.Sprintf("%d × 403 in the last %s", n403, window), Status: style.Fail}, true
	}
	return home.Hint{Text: "no 401s in the last " + window, Status: style.Pass}, true
}
