package wizard

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	tw "github.com/kubectl-agentcore/kubectl-agentcore/tui/wizard"
)

// runTUI runs the wizard's pages on a terminal. Defaults come from the flags, --config and an earlier setup
// record; the plan page comes before any change.
func runTUI(ctx context.Context, f *cmdutil.Factory, o *Options, env *wz.Env, a wz.Answers) error {
	a = withEarlierRecord(ctx, env.Kube, a)
	defaultRegion := a.Region
	if defaultRegion == "" {
		if cfg, err := f.AWSConfig(ctx); err == nil {
			defaultRegion = cfg.Region
		}
	}
	var (
		mu      sync.Mutex
		sess    *wz.Session
		lastRec *setup.Record
	)
	l := tw.Loaders{
		Discover: func(ctx context.Context) ([]k8sres.GatewayInfo, k8sres.Kinds, error) {
			return wz.DiscoverGateways(ctx, env)
		},
		Plan: func(ctx context.Context, a wz.Answers) (*wz.Plan, error) {
			cfg, err := wz.Normalize(a, defaultRegion)
			if err != nil {
				return nil, err
			}
			// Identity (c) by client credentials mints before the plan, as without the TUI.
			if err := o.mintExternal(ctx, f, cfg); err != nil {
				return nil, err
			}
			// The caller-token modes: the token service's client, its secret and the discovery documents.
			if err := wz.CheckExchangeClient(cfg, false); err != nil {
				return nil, err
			}
			s, p, err := o.plan(ctx, f, env, cfg)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			sess = s
			mu.Unlock()
			return p, nil
		},
		CheckPath: func(ctx context.Context, a wz.Answers) (wz.PathVerdict, error) {
			cfg, err := wz.Normalize(a, defaultRegion)
			if err != nil {
				return wz.PathVerdict{}, err
			}
			return wz.CheckPath(ctx, env, cfg)
		},
		Apply: func(ctx context.Context, progress func(wz.Event)) (*wz.Result, error) {
			mu.Lock()
			s := sess
			mu.Unlock()
			if s == nil {
				return nil, errors.New("no plan to apply")
			}
			env.Progress = progress
			// Apply follows the plan page's confirmation, which names any change of an AgentCore Gateway's
			// authorizer type.
			env.ConfirmGatewayTypeChange = true
			res, err := wz.Run(ctx, env, s)
			if err == nil && res != nil {
				mu.Lock()
				rec := res.Record
				lastRec = &rec
				mu.Unlock()
			}
			return res, err
		},
		TestCall: func(ctx context.Context) (*wz.TestCall, error) {
			mu.Lock()
			rec := lastRec
			mu.Unlock()
			if rec == nil {
				return nil, errors.New("nothing applied yet")
			}
			return wz.SendTestCall(ctx, env, rec)
		},
	}
	if a.Region != "" {
		l.Region = a.Region
	} else if cfg, err := f.AWSConfig(ctx); err == nil {
		l.Region = cfg.Region
	}
	if env.AgentCore != nil {
		l.Runtimes = func(ctx context.Context) ([]awsops.Runtime, error) {
			return env.AgentCore.ListRuntimes(ctx, awsops.ListOptions{WithAuthorizers: true})
		}
		l.AgentCoreGateways = env.AgentCore.ListGateways
	}
	theme := f.IO.Theme()
	fm, err := cmdutil.RunScreen(ctx, f.IO, tw.New(ctx, a, theme, l))
	if err != nil {
		return err
	}
	res, rerr := fm.Result()
	if rerr != nil {
		return rerr
	}
	if res != nil {
		tw.PrintResult(f.IO.Out, theme, res)
	} else if fm.Quit {
		fmt.Fprintln(f.IO.Out, "Wizard closed; nothing was changed.")
	}
	return nil
}
