package doctor

import (
	"context"
	"sync"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
)

// DefaultFleetConcurrency is how many setups doctor --all checks at the same time.
const DefaultFleetConcurrency = 16

// FleetQPS and FleetBurst are the client-side rate limits doctor --all gives its Kubernetes client: a setup's
// run asks for about ten objects, and a hundred setups at the single-setup limit would wait on the limiter.
const (
	FleetQPS   = 500
	FleetBurst = 1000
)

// FleetOptions say which setups doctor --all checks and how.
type FleetOptions struct {
	// Namespace whose setup records are checked ("" = every namespace).
	Namespace string
	// Concurrency bounds the setups checked at once (0 = DefaultFleetConcurrency).
	Concurrency int
	// Base are the options every setup's run starts from (e.g. Probe); Record and Namespace are set per setup.
	Base Options
}

// SetupReport is one setup's run: the single-setup document (checks, summary) named by its record.
type SetupReport struct {
	Setup     string `json:"setup"` // namespace/name of the record
	Namespace string `json:"namespace"`
	Mode      string `json:"mode"`
	Report
}

// FirstFailure is the first failing check in display order (nil when none failed).
func (s SetupReport) FirstFailure() *Result {
	for i := range s.Checks {
		if s.Checks[i].Status == Fail {
			return &s.Checks[i]
		}
	}
	return nil
}

// RunFleet checks every setup record in o.Namespace concurrently (bounded), sharing the clients and what they
// read (fleetShare): one cached discovery of the API server's kinds and version, one LIST per kind instead of a
// GET per object, one access review per question, one GetAgentRuntime / GetGateway per ARN, one discovery
// document and JWKS per URL, one caller-identity lookup. The reports come in the records' order.
func RunFleet(ctx context.Context, o FleetOptions, deps Deps) ([]SetupReport, error) {
	if deps.Discovery != nil {
		deps.Discovery = &sharedDiscovery{DiscoveryInterface: deps.Discovery}
	}
	deps.fleet = newFleetShare(o.Namespace, deps)
	// What the scope names is read alongside the records, not after them (their round trip was on the path of
	// every setup); it is called off if there are no records to read.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deps.fleet.prefetch(pctx, deps, nil)
	deps.fleet.askAhead(pctx, deps, o.Base, nil)
	recs, err := setup.List(ctx, deps.Kube, o.Namespace)
	if err != nil {
		where := "namespace " + o.Namespace
		if o.Namespace == "" {
			where = "all namespaces"
		}
		return nil, k8sres.Explain("listing the setup records in "+where, err)
	}
	deps.fleet.prefetch(pctx, deps, recs)
	deps.fleet.askAhead(pctx, deps, o.Base, recs)
	if deps.CallerAccount != nil {
		deps.CallerAccount = onceAccount(deps.CallerAccount)
	}
	n := o.Concurrency
	if n <= 0 {
		n = DefaultFleetConcurrency
	}
	out := make([]SetupReport, len(recs))
	for i, rec := range recs {
		r := rec.WithDefaults()
		out[i] = SetupReport{Setup: r.Ref(), Namespace: r.Namespace, Mode: string(r.Mode)}
	}
	// n workers take the setups in turn: a goroutine per setup grew its stack afresh for each one (~5% of the
	// client's CPU for 100 setups).
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, len(recs)) {
		wg.Go(func() {
			for i := range next {
				_, rep := New(o.Base.ForRecord(recs[i]), deps).RunAll(ctx, nil)
				out[i].Report = rep
			}
		})
	}
feed:
	for i := range recs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return out, ctx.Err()
}

// sharedDiscovery asks the API server its version once for every setup's run (the kinds are asked once by the
// fleet share: k8sres.DiscoverKinds, one aggregated discovery document).
type sharedDiscovery struct {
	discovery.DiscoveryInterface
	once sync.Once
	v    *version.Info
	err  error
}

func (d *sharedDiscovery) ServerVersion() (*version.Info, error) {
	d.once.Do(func() { d.v, d.err = d.DiscoveryInterface.ServerVersion() })
	return d.v, d.err
}

// onceAccount asks for the caller's account once for every setup (the answer is the same for all of them).
func onceAccount(f func(context.Context) (string, error)) func(context.Context) (string, error) {
	var mu sync.Mutex
	var done bool
	var acct string
	var err error
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			acct, err = f(ctx)
			done = ctx.Err() == nil
		}
		return acct, err
	}
}
