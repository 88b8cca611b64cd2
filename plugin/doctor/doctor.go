package doctor

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Ref names a namespaced object.
type Ref struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// IsZero reports whether no object is named.
func (r Ref) IsZero() bool { return r.Name == "" }

func (r Ref) String() string { return k8sres.Ref(r.Namespace, r.Name) }

// ParseRef reads NS/NAME (or NAME, in defaultNS). An empty string is the zero Ref.
func ParseRef(s, defaultNS string) (Ref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{}, nil
	}
	ns, name, ok := strings.Cut(s, "/")
	if !ok {
		ns, name = defaultNS, s
	}
	if name == "" || ns == "" || strings.Contains(name, "/") {
		return Ref{}, fmt.Errorf("%q is not NAMESPACE/NAME", s)
	}
	return Ref{Namespace: ns, Name: name}, nil
}

// Options say what to check.
type Options struct {
	// Offline runs only the token and authorizer categories from Token and Authorizer (no cluster, no AWS).
	Offline bool

	// Route, Secret and Gateway name the objects; zero = from the setup record (or, for Secret and Gateway,
	// from the route's policy and parent).
	Route, Secret, Gateway Ref
	// RuntimeARN overrides the ARN from the setup record / backend / route rewrite.
	RuntimeARN string
	// AgentCoreGateway (id or ARN) makes an AgentCore Gateway, not a runtime, the AgentCore side: its authorizer
	// type and customJWTAuthorizer are checked instead of the runtime's (ignored offline).
	AgentCoreGateway string
	// Namespace is the setup's namespace (-n) when given explicitly; "" = find the only setup record.
	Namespace string
	// Record, when set, is the setup to check (doctor --all has it from listing the records); it is not looked
	// up again.
	Record *setup.Record

	// Token is the raw token (offline mode, or --token-file in cluster mode instead of the Secret).
	Token string
	// Authorizer is used instead of GetAgentRuntime when AuthorizerSet (nil = no JWT authorizer).
	Authorizer    *tokencheck.Authorizer
	AuthorizerSet bool
	// TokenSource is where the token AgentCore sees comes from: secret, passthrough or exchange (tokencheck's
	// Source*); "" = from the gateway's policies (secret offline).
	TokenSource string
	// Rendered is the setup read from manifests (--manifests-file, offline): the policies and the setup record the
	// caller and exchange checks read instead of the cluster's.
	Rendered *Rendered
	// Discovery and JWKS documents used instead of fetching them (--discovery-file, --jwks-file).
	DiscoveryDoc []byte
	JWKS         []byte

	// Probe sends one request through the gateway and one straight to AgentCore.
	Probe bool
	// GatewayURL is the gateway's base URL for the probe (default: from the Gateway's status address).
	GatewayURL string
	// DataPlaneURL overrides https://bedrock-agentcore.<region>.amazonaws.com for the direct probe
	// (default: AWS_ENDPOINT_URL_BEDROCK_AGENTCORE).
	DataPlaneURL string
}

// RuntimeGetter is the part of the AgentCore control-plane client doctor uses (*bedrockagentcorecontrol.Client).
type RuntimeGetter interface {
	GetAgentRuntime(ctx context.Context, in *bedrockagentcorecontrol.GetAgentRuntimeInput, optFns ...func(*bedrockagentcorecontrol.Options)) (*bedrockagentcorecontrol.GetAgentRuntimeOutput, error)
}

// Deps are the clients doctor works with. Any may be nil in offline mode.
type Deps struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// Server is the API server URL (for messages).
	Server string

	// AgentCore reads the runtime; nil with AWSErr set when the AWS configuration could not be loaded.
	AgentCore RuntimeGetter
	AWSErr    error
	// Region is the AWS configuration's region.
	Region string
	// CallerAccount returns the AWS account of the credentials (STS); nil = not checked.
	CallerAccount func(ctx context.Context) (string, error)

	// HTTP fetches discovery documents and JWKS and sends the probes.
	HTTP *http.Client
	Now  func() time.Time

	// fleet is what doctor --all's runs share (RunFleet sets it); nil for one setup.
	fleet *fleetShare
}

// Doctor is one configured run: call Checks for the plan, then Run.
type Doctor struct {
	opts   Options
	deps   Deps
	st     *state
	checks []Check
}

// New prepares a doctor. Nothing is contacted until Run.
func New(opts Options, deps Deps) *Doctor {
	if deps.HTTP == nil {
		deps.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Doctor{opts: opts, deps: deps}
}

// Options returns the options the doctor runs with.
func (d *Doctor) Options() Options { return d.opts }

// Checks is the plan: every check this run will have, in display order. Each call gives fresh checks with
// fresh shared state, so a re-run fetches everything again.
func (d *Doctor) Checks() []Check {
	d.st = newState(d)
	var cs []Check
	if !d.opts.Offline {
		cs = append(cs, d.clusterChecks()...)
		cs = append(cs, d.resourceChecks()...)
		cs = append(cs, d.secretChecks()...)
	}
	cs = append(cs, d.tokenChecks()...)
	cs = append(cs, d.authorizerChecks()...)
	// The gateway's side of a caller-token setup: its policies, live or rendered (offline without manifests there
	// is nothing to read them from).
	if m := d.planMode(); m != "" && (!d.opts.Offline || d.opts.Rendered != nil) {
		cs = append(cs, d.callerChecks()...)
		if m == tokencheck.SourceExchange {
			cs = append(cs, d.exchangeChecks()...)
		}
	}
	if d.gatewayTarget() {
		cs = append(cs, d.agentCoreGatewayChecks()...)
	} else if !d.opts.Offline {
		cs = append(cs, d.runtimeChecks()...)
	}
	if !d.opts.Offline {
		if d.opts.Probe {
			cs = append(cs, d.probeChecks()...)
		}
	}
	d.checks = cs
	return cs
}

// Start runs a fresh set of checks and streams their results; it returns the checks (for the plan) and the
// channel.
func (d *Doctor) Start(ctx context.Context) ([]Check, <-chan Result) {
	cs := d.begin(ctx)
	return cs, Run(ctx, cs)
}

// begin makes a fresh set of checks and starts their remote reads.
func (d *Doctor) begin(ctx context.Context) []Check {
	cs := d.Checks()
	d.st.prefetch(ctx)
	return cs
}

// RunAll runs every check and returns the report; onResult (may be nil) sees each result as it comes. One of
// doctor --all's setups runs its checks in order in this goroutine (runInOrder).
func (d *Doctor) RunAll(ctx context.Context, onResult func(Result)) ([]Check, Report) {
	if d.deps.fleet == nil {
		cs, ch := d.Start(ctx)
		return cs, Collect(cs, ch, onResult)
	}
	cs := d.begin(ctx)
	return cs, runInOrder(ctx, cs, onResult)
}

// Header is what the doctor checks, for the TUI's and text output's first line.
func (d *Doctor) Header() string {
	if d.opts.Offline {
		if m := d.planMode(); m != "" {
			return "offline: token, authorizer and the rendered " + m + " policies"
		}
		return "offline: token and authorizer only"
	}
	var parts []string
	if !d.opts.Route.IsZero() {
		parts = append(parts, d.opts.Route.String())
	} else if d.opts.Record != nil {
		parts = append(parts, "setup "+d.opts.Record.Ref())
	} else if d.opts.Namespace != "" {
		parts = append(parts, "setup in "+d.opts.Namespace)
	}
	if d.opts.RuntimeARN != "" {
		parts = append(parts, d.opts.RuntimeARN)
	}
	if d.opts.AgentCoreGateway != "" {
		parts = append(parts, "AgentCore Gateway "+d.opts.AgentCoreGateway)
	}
	if len(parts) == 0 {
		return "setup from the cluster's setup record"
	}
	return strings.Join(parts, " → ")
}

// lazy computes a value once, on first use, shared by every check that needs it. Checks that need the same
// remote object call get concurrently; the first call does the work in the caller's goroutine (f is given that
// call's ctx, so a cancelled run stops its reads), the others wait for it or for their ctx. No goroutine is
// started for it: doctor --all runs a hundred setups' reads, and each fresh goroutine grows its stack anew.
type lazy[T any] struct {
	started atomic.Bool
	f       func(ctx context.Context) (T, error)
	v       T
	err     error
	done    chan struct{}
}

func newLazy[T any](f func(ctx context.Context) (T, error)) *lazy[T] {
	return &lazy[T]{f: f, done: make(chan struct{})}
}

func (l *lazy[T]) get(ctx context.Context) (T, error) {
	if !l.started.Load() && l.started.CompareAndSwap(false, true) {
		func() {
			defer close(l.done)
			defer func() {
				if p := recover(); p != nil {
					l.err = fmt.Errorf("internal error: %v", p)
				}
			}()
			l.v, l.err = l.f(ctx)
		}()
		return l.v, l.err
	}
	select {
	case <-l.done:
		return l.v, l.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// known is the value when it has been computed (ok true), without waiting or computing it.
func (l *lazy[T]) known() (v T, err error, ok bool) {
	select {
	case <-l.done:
		return l.v, l.err, true
	default:
		return v, nil, false
	}
}
