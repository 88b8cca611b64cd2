package doctor

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/version"
)

// state is what one run's checks share. Each value is fetched once, by whichever check needs it first.
type state struct {
	d *Doctor

	version *lazy[*version.Info]
	kinds   *lazy[k8sres.Kinds]
	// record is the setup record the run checks (nil when flags name the objects, or offline).
	record *lazy[*setup.Record]
	target *lazy[*target]
	secret *lazy[*corev1.Secret]
	// rawToken is the compact JWT (from the Secret, or Options.Token).
	rawToken *lazy[string]
	token    *lazy[*tokencheck.Token]
	runtime  *lazy[*bedrockagentcorecontrol.GetAgentRuntimeOutput]
	// agentCoreGateway is the AgentCore Gateway named by Options.AgentCoreGateway (GetGateway).
	agentCoreGateway *lazy[*bedrockagentcorecontrol.GetGatewayOutput]
	// authorizer is the runtime's authorizer (nil = IAM only), from GetAgentRuntime or --authorizer-file.
	authorizer *lazy[*tokencheck.Authorizer]
	account    *lazy[string]
	// settings are the runtime's settings around the authorizer (nil = not known), from GetAgentRuntime or a
	// whole get-agent-runtime output given to --authorizer-file.
	settings *lazy[*tokencheck.RuntimeSettings]
	// tokenSource is where the token AgentCore sees comes from (tokencheck.Source*).
	tokenSource *lazy[string]
	sig         *sigState

	// caller is the gateway's side of a passthrough or exchange setup (from the target's policies); callerDiscovery
	// and callerJWKS are the caller identity provider's documents, exchangeDiscovery the token service's.
	caller            *lazy[*callerSetup]
	callerDiscovery   *lazy[*tokencheck.Discovery]
	callerJWKS        *lazy[[]byte]
	exchangeDiscovery *lazy[*tokencheck.Discovery]
	exchangeState
}

func newState(d *Doctor) *state {
	st := &state{d: d}
	st.version = newLazy(func(ctx context.Context) (*version.Info, error) {
		if f := d.deps.fleet; f != nil {
			return f.version.get(ctx)
		}
		return d.deps.Discovery.ServerVersion()
	})
	st.kinds = newLazy(func(ctx context.Context) (k8sres.Kinds, error) {
		if f := d.deps.fleet; f != nil {
			return f.kinds.get(ctx)
		}
		return k8sres.DiscoverKinds(d.deps.Discovery)
	})
	st.record = newLazy(func(ctx context.Context) (*setup.Record, error) {
		o := d.opts
		if o.Offline || !o.Route.IsZero() {
			return nil, nil
		}
		if o.Record != nil {
			return o.Record, nil
		}
		return setup.Resolve(ctx, d.deps.Kube, o.Namespace)
	})
	st.target = newLazy(st.resolveTarget)
	st.secret = newLazy(func(ctx context.Context) (*corev1.Secret, error) {
		ref, _, ok := st.earlySecret(ctx)
		if !ok {
			t, err := st.target.get(ctx)
			if err != nil {
				return nil, err
			}
			ref = t.secretRef
		}
		if ref.IsZero() {
			return nil, errNoSecret
		}
		if f := d.deps.fleet; f != nil {
			return f.secret(ctx, d.deps, ref.Namespace, ref.Name)
		}
		return k8sres.GetSecret(ctx, d.deps.Kube, ref.Namespace, ref.Name)
	})
	st.rawToken = newLazy(func(ctx context.Context) (string, error) {
		if d.opts.Token != "" {
			return d.opts.Token, nil
		}
		if d.planMode() != "" || d.opts.Offline {
			return "", errNoCallerToken
		}
		s, err := st.secret.get(ctx)
		if err != nil {
			return "", err
		}
		_, key, ok := st.earlySecret(ctx)
		if !ok {
			t, _ := st.target.get(ctx)
			key = t.secretKey
		}
		v, _ := k8sres.SecretValue(s, key)
		return strings.TrimSpace(v), nil
	})
	st.token = newLazy(func(ctx context.Context) (*tokencheck.Token, error) {
		raw, err := st.rawToken.get(ctx)
		if err != nil {
			return nil, err
		}
		return tokencheck.Parse(raw)
	})
	st.runtime = newLazy(func(ctx context.Context) (*bedrockagentcorecontrol.GetAgentRuntimeOutput, error) {
		if d.deps.AgentCore == nil {
			if d.deps.AWSErr != nil {
				return nil, d.deps.AWSErr
			}
			return nil, errors.New("no AWS configuration")
		}
		arn, err := st.arn(ctx)
		if err != nil {
			return nil, err
		}
		get := func(ctx context.Context) (*bedrockagentcorecontrol.GetAgentRuntimeOutput, error) {
			out, err := d.deps.AgentCore.GetAgentRuntime(ctx, &bedrockagentcorecontrol.GetAgentRuntimeInput{AgentRuntimeId: aws.String(arn.RuntimeID)},
				func(o *bedrockagentcorecontrol.Options) {
					if arn.Region != "" && d.deps.Region != "" && arn.Region != d.deps.Region {
						o.Region = arn.Region // the runtime lives in the ARN's region
					}
				})
			if err != nil {
				return nil, awsops.Explain(err)
			}
			return out, nil
		}
		if f := d.deps.fleet; f != nil {
			return f.runtimes.get(ctx, arn.Region+"/"+arn.RuntimeID, get) // one GetAgentRuntime per runtime
		}
		return get(ctx)
	})
	st.agentCoreGateway = newLazy(func(ctx context.Context) (*bedrockagentcorecontrol.GetGatewayOutput, error) {
		if f := d.deps.fleet; f != nil {
			return f.gateways.get(ctx, d.opts.AgentCoreGateway, d.readAgentCoreGateway) // one GetGateway per gateway
		}
		return d.readAgentCoreGateway(ctx)
	})
	st.authorizer = newLazy(func(ctx context.Context) (*tokencheck.Authorizer, error) {
		if d.opts.AuthorizerSet {
			return d.opts.Authorizer, nil
		}
		if d.gatewayTarget() {
			g, err := st.agentCoreGateway.get(ctx)
			if err != nil {
				return nil, err
			}
			return st.authorizerOf(ctx, g, g.AuthorizerConfiguration, func(az *tokencheck.Authorizer) { az.GatewayID = aws.ToString(g.GatewayId) })
		}
		rt, err := st.runtime.get(ctx)
		if err != nil {
			return nil, err
		}
		return st.authorizerOf(ctx, rt, rt.AuthorizerConfiguration, func(az *tokencheck.Authorizer) {
			az.RuntimeID, az.RuntimeARN = aws.ToString(rt.AgentRuntimeId), aws.ToString(rt.AgentRuntimeArn)
		})
	})
	st.settings = newLazy(func(ctx context.Context) (*tokencheck.RuntimeSettings, error) {
		if d.opts.AuthorizerSet {
			if d.opts.Authorizer != nil {
				return d.opts.Authorizer.Runtime, nil
			}
			return nil, nil
		}
		if d.gatewayTarget() {
			return nil, nil // the runtime's settings around the authorizer; a gateway has none of them
		}
		rt, err := st.runtime.get(ctx)
		if err != nil {
			return nil, err
		}
		return tokencheck.RuntimeSettingsFromSDK(rt.RequestHeaderConfiguration, rt.ProtocolConfiguration), nil
	})
	st.tokenSource = newLazy(func(ctx context.Context) (string, error) {
		if d.opts.TokenSource != "" || d.opts.Offline && d.opts.Rendered == nil {
			return tokencheck.ParseTokenSource(d.opts.TokenSource)
		}
		t, err := st.target.get(ctx)
		if err != nil {
			return tokencheck.SourceSecret, err
		}
		return t.tokenSource(), nil
	})
	st.account = newLazy(func(ctx context.Context) (string, error) {
		if d.deps.CallerAccount == nil {
			return "", nil
		}
		return d.deps.CallerAccount(ctx)
	})
	st.sig = newSigState(st)
	st.caller = newLazy(func(ctx context.Context) (*callerSetup, error) {
		t, err := st.target.get(ctx)
		if err != nil {
			return nil, err
		}
		return readCallerSetup(t), nil
	})
	st.callerDiscovery = newLazy(func(ctx context.Context) (*tokencheck.Discovery, error) {
		c, err := st.caller.get(ctx)
		if err != nil {
			return nil, err
		}
		u := c.discoveryURL()
		if u == "" {
			return nil, errors.New("no discovery URL for the caller's identity provider: no setup record names one and the gateway's policy has no issuer")
		}
		return st.fetchDiscovery(ctx, u)
	})
	st.callerJWKS = newLazy(func(ctx context.Context) ([]byte, error) {
		doc, err := st.callerDiscovery.get(ctx)
		if err != nil {
			return nil, err
		}
		return st.fetchJWKS(ctx, doc.JWKSURI)
	})
	st.exchangeDiscovery = newLazy(func(ctx context.Context) (*tokencheck.Discovery, error) {
		c, err := st.caller.get(ctx)
		if err != nil {
			return nil, err
		}
		u := c.exchangeDiscoveryURL()
		if u == "" {
			return nil, errors.New("no discovery URL for the token service: no setup record names one")
		}
		if u == c.discoveryURL() {
			return st.callerDiscovery.get(ctx)
		}
		return st.fetchDiscovery(ctx, u)
	})
	st.initExchange()
	return st
}

// mode is where the token AgentCore sees comes from: the caller-token mode known before the run, else what the
// gateway's policies do.
func (st *state) mode(ctx context.Context) string {
	if m := st.d.planMode(); m != "" {
		return m
	}
	s, _ := st.tokenSource.get(ctx)
	return s
}

// fetchDiscovery fetches the discovery document at u: once per URL for all of doctor --all's setups.
func (st *state) fetchDiscovery(ctx context.Context, u string) (*tokencheck.Discovery, error) {
	get := func(ctx context.Context) (*tokencheck.Discovery, error) {
		return tokencheck.FetchDiscovery(ctx, st.d.deps.HTTP, u)
	}
	if f := st.d.deps.fleet; f != nil {
		return f.discovery.get(ctx, u, get)
	}
	return get(ctx)
}

// fetchJWKS fetches the JWKS at u: once per URL for all of doctor --all's setups.
func (st *state) fetchJWKS(ctx context.Context, u string) ([]byte, error) {
	get := func(ctx context.Context) ([]byte, error) { return tokencheck.FetchJWKS(ctx, st.d.deps.HTTP, u) }
	if f := st.d.deps.fleet; f != nil {
		return f.jwks.get(ctx, u, get)
	}
	return get(ctx)
}

// authorizerOf reads the authorizer of owner (a GetAgentRuntime or GetGateway output), once per owner for all of
// doctor --all's setups; name fills in whose it is (for the fix commands).
func (st *state) authorizerOf(ctx context.Context, owner any, cfg types.AuthorizerConfiguration, name func(*tokencheck.Authorizer)) (*tokencheck.Authorizer, error) {
	read := func(context.Context) (*tokencheck.Authorizer, error) {
		az := tokencheck.AuthorizerFromSDK(cfg)
		if az != nil {
			name(az)
		}
		return az, nil
	}
	if f := st.d.deps.fleet; f != nil {
		return f.authorizers.get(ctx, owner, read)
	}
	return read(ctx)
}

var errNoSecret = errors.New("the setup sends no bearer token (no Secret)")

// errNoCallerToken: a caller-token setup (or offline with only manifests) and no --token-file / --token-from.
var errNoCallerToken = errors.New("no caller token given")

// arn is the runtime ARN under examination, parsed.
func (st *state) arn(ctx context.Context) (awsops.RuntimeARN, error) {
	if st.d.opts.Offline {
		return awsops.ParseRuntimeARN(st.d.opts.RuntimeARN)
	}
	if a := st.earlyARN(ctx); a != "" {
		return awsops.ParseRuntimeARN(a)
	}
	t, err := st.target.get(ctx)
	if err != nil {
		return awsops.RuntimeARN{}, err
	}
	return t.parsedARN()
}

// earlyARN is the runtime ARN when --runtime-arn or the setup record names it, as resolveTarget takes it (before
// the backends' and the route's), known without reading the route and its objects: the runtime's read, and the
// discovery document and JWKS after it, do not wait for them. "" otherwise.
func (st *state) earlyARN(ctx context.Context) string {
	if a := st.d.opts.RuntimeARN; a != "" {
		return a
	}
	if rec, err := st.record.get(ctx); err == nil && rec != nil {
		return rec.WithDefaults().RuntimeARN
	}
	return ""
}

// earlySecret is the token Secret and its key when --secret or the setup record names the Secret, as
// resolveTarget takes them (before the policy's and the backend's secretRef, so with the default key), known
// without reading the route and its objects.
func (st *state) earlySecret(ctx context.Context) (ref Ref, key string, ok bool) {
	if o := st.d.opts; !o.Secret.IsZero() {
		return o.Secret, setup.SecretKey, true
	}
	rec, err := st.record.get(ctx)
	if err != nil || rec == nil {
		return Ref{}, "", false
	}
	if r := rec.WithDefaults(); r.Mode.UsesToken() && r.SecretName != "" {
		return Ref{r.Namespace, r.SecretName}, setup.SecretKey, true
	}
	return Ref{}, "", false
}

// prefetch starts every remote read at once, each waiting only for the data it needs (the route before the
// backends, the ARN before GetAgentRuntime, the discovery document before the JWKS). The checks keep their
// declared dependencies for what they report and skip; they find the data already on its way. Reads whose
// prerequisite check fails are wasted but harmless (doctor only reads).
func (st *state) prefetch(ctx context.Context) {
	d := st.d
	var fs []func()
	if !d.opts.Offline {
		fs = append(fs,
			func() { _, _ = st.version.get(ctx) },
			func() { _, _ = st.kinds.get(ctx) },
			func() { _, _ = st.target.get(ctx) },
			func() { _, _ = st.account.get(ctx) },
		)
		if d.opts.Token == "" {
			fs = append(fs, func() { _, _ = st.secret.get(ctx) })
		}
		switch {
		case d.gatewayTarget():
			fs = append(fs, func() { _, _ = st.agentCoreGateway.get(ctx) })
		case !d.opts.AuthorizerSet:
			fs = append(fs, func() { _, _ = st.runtime.get(ctx) })
		}
	}
	fs = append(fs, func() { _, _ = st.sig.jwks.get(ctx) })
	if m := d.planMode(); m != "" && (!d.opts.Offline || d.opts.Rendered != nil) {
		fs = append(fs, func() { _, _ = st.callerJWKS.get(ctx) })
		if m == tokencheck.SourceExchange {
			fs = append(fs, func() { _, _ = st.exchangeDiscovery.get(ctx) })
		}
	}
	for _, f := range fs {
		go f()
	}
}
