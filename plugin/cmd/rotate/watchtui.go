package rotate

import (
	"context"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	rottui "github.com/kubectl-agentcore/kubectl-agentcore/tui/rotate"
)

// runWatchTUI runs the watch loop with the countdown screen. Quitting the screen (q, ctrl+c) or SIGTERM stops
// the loop; a rotation in flight finishes its write first.
func (o *Options) runWatchTUI(ctx context.Context, s *rotate.Setup) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan rotate.Event, 64)
	trigger := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		defer close(events)
		done <- s.Engine.Watch(ctx, rotate.WatchOptions{Trigger: trigger, OnEvent: func(ev rotate.Event) {
			o.recordEvent(ctx, s, ev)
			if o.WatchHook != nil {
				o.WatchHook(ev)
			}
			select {
			case events <- ev:
			case <-ctx.Done():
			}
		}})
	}()
	m := rottui.New(rottui.Info{Secret: s.Target.Namespace + "/" + s.Target.SecretName, TokenUse: s.Target.TokenUse,
		Authorizer: s.AuthorizerSource}, o.f.IO.Theme(), events, trigger, o.clock().Now)
	_, err := cmdutil.RunScreen(ctx, o.f.IO, m)
	cancel()
	for range events { // drain so the loop never blocks on a full channel while stopping
	}
	werr := <-done
	if err != nil {
		return err
	}
	return werr
}
