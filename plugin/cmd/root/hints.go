package root

import (
	"context"
	"sync"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/logs"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/setups"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/home"
	"k8s.io/client-go/kubernetes"
)

// hintProviders give the home screen's right-hand notes, one per menu key. Each runs in the background after
// the first frame with a timeout; a provider that has nothing to say returns ok=false. Capabilities add theirs
// here (rotate: the token's expiry; logs: recent 401s; setups: how many, and their failing renewals).
var hintProviders = map[string]func(ctx context.Context, f *cmdutil.Factory) (home.Hint, bool){
	"rotate": fromCluster(rotate.HintFor), "logs": logs.Hint, "setups": fromCluster(setups.HintFor)}

// fromCluster runs a hint that reads the cluster with the kube client, -n's namespace ("" when not given) and the
// clock; no client, no hint.
func fromCluster(hint func(ctx context.Context, kube kubernetes.Interface, ns string, now time.Time) (home.Hint, bool)) func(context.Context, *cmdutil.Factory) (home.Hint, bool) {
	return func(ctx context.Context, f *cmdutil.Factory) (home.Hint, bool) {
		kube, err := f.KubeClient()
		if err != nil {
			return home.Hint{}, false
		}
		return hint(ctx, kube, f.NamespaceFlag(), f.Now())
	}
}

func homeHints(ctx context.Context, f *cmdutil.Factory) map[string]home.Hint {
	ctx, cancel := context.WithTimeout(ctx, home.LoadTimeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[string]home.Hint{}
	for key, p := range hintProviders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if h, ok := p(ctx, f); ok {
				mu.Lock()
				out[key] = h
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}
