package rotate

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	rottui "github.com/kubectl-agentcore/kubectl-agentcore/tui/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
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
			if o.WatchHook != nil {
				o.WatchHook(ev)
			}
			select {
			case events <- ev:
			case <-ctx.Done():
			}
		}})
	}()
	theme := style.New(o.f.IO.ColorEnabled(), o.f.IO.ASCII())
	m := rottui.New(rottui.Info{Secret: s.Target.Namespace + "/" + s.Target.SecretName, TokenUse: s.Target.TokenUse,
		Authorizer: s.AuthorizerSource}, theme, events, trigger, o.clock().Now)
	_, err := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(o.f.IO.In), tea.WithOutput(o.f.IO.Out)).Run()
	cancel()
	for range events { // drain so the loop never blocks on a full channel while stopping
	}
	werr := <-done
	if err != nil && !errors.Is(err, tea.ErrInterrupted) && !errors.Is(err, context.Canceled) && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return werr
}
