package root

import (
	"context"
	"sync"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/logs"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/home"
)

// hintProviders give the home screen's right-hand notes, one per menu key. Each runs in the background after
// the first frame with a timeout; a provider that has nothing to say returns ok=false. Capabilities add theirs
// here (rotate: the token's expiry; logs: recent 401s).
var hintProviders = map[string]func(ctx context.Context, f *cmdutil.Factory) (home.Hint, bool){"rotate": rotate.Hint, "logs": logs.Hint}

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
