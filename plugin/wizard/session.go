package wizard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Step names, in order (the progress rail).
const (
	StepGateway    = "gateway"
	StepRuntime    = "runtime"
	StepIdentity   = "identity"
	StepAuthorizer = "authorizer"
	StepResources  = "resources"
	StepOptions    = "options"
	StepVerify     = "verify"
)

// Steps lists the steps with their titles.
var Steps = []struct{ Name, Title string }{
	{StepGateway, "Gateway"}, {StepRuntime, "Runtime"}, {StepIdentity, "Identity"}, {StepAuthorizer, "Authorizer"},
	{StepResources, "Resources"}, {StepOptions, "Options"}, {StepVerify, "Verify"},
}

// IRSAAnnotation is the EKS IAM-roles-for-service-accounts annotation.
const IRSAAnnotation = "eks.amazonaws.com/role-arn"

// InvokePermission is the IAM action the proxy's role needs in sigv4 mode.
const InvokePermission = "bedrock-agentcore:InvokeAgentRuntime"

// Env is what the wizard works with. AWS clients may be nil (AWSErr says why) for offline rendering and sigv4.
type Env struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	Applier   *k8sres.Applier

	Cognito   *awsops.Cognito
	AgentCore *awsops.AgentCore
	AWSErr    error

	Now  func() time.Time
	HTTP *http.Client
	// Progress receives step events while Run works (may be nil).
	Progress func(Event)
	// FailAfter injects a failure right after the named checkpoint (tests of interrupted runs).
	FailAfter string
	// VerifyTimeout bounds the wait for statuses in the verify step (default 60s).
	VerifyTimeout time.Duration
	// TestCallTimeout bounds the test call through the gateway (default TestCallTimeout).
	TestCallTimeout time.Duration
	// ConfirmGatewayTypeChange allows Run to switch an AgentCore Gateway whose authorizer type is AWS_IAM or NONE
	// to CUSTOM_JWT: set it when the user confirmed a plan that names the change (--yes, or yes in the TUI).
	ConfirmGatewayTypeChange bool
	// Verify runs the doctor checks that apply (optional; nil = statuses only).
	Verify func(ctx context.Context, rec *setup.Record) ([]VerifyCheck, error)
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Event is one progress report.
type Event struct {
	Step   string `json:"step"`
	Status string `json:"status"` // running | done | skipped | failed
	Detail string `json:"detail,omitempty"`
}

func (e *Env) emit(step, status, detail string) {
	if e.Progress != nil {
		e.Progress(Event{Step: step, Status: status, Detail: detail})
	}
}

// Session is everything discovered for one wizard run (steps ① and ② plus the existing record).
type Session struct {
	Cfg     *Config
	Kinds   k8sres.Kinds
	Gateway k8sres.GatewayInfo
	Runtime *bedrockagentcorecontrol.GetAgentRuntimeOutput
	// AgentCoreGateway is the target gateway (GetGateway) when the target is an AgentCore Gateway.
	AgentCoreGateway *bedrockagentcorecontrol.GetGatewayOutput
	Existing         *setup.Record
	Creds            setup.Credentials
	// NamespaceExists says whether the route namespace is there already.
	NamespaceExists bool
	Warnings        []string
	// Record is the record this run will leave (names filled; identity ids filled during Run).
	Record setup.Record
}

// DiscoverGateways lists the Agent Gateway Gateways and the kinds the cluster serves (for the first page's
// defaults).
func DiscoverGateways(ctx context.Context, env *Env) ([]k8sres.GatewayInfo, k8sres.Kinds, error) {
	kinds, err := k8sres.DiscoverKinds(env.Discovery)
	if err != nil {
		return nil, kinds, err
	}
	if !kinds.Gateway {
		return nil, kinds, kinds.Require()
	}
	gws, err := k8sres.ListAgentGateways(ctx, env.Dynamic, env.Kube)
	return gws, kinds, err
}

// Prepare reads what steps ① and ② need and validates the answers against the cluster and AWS. It changes
// nothing. Errors say what is wrong and what to do.
func Prepare(ctx context.Context, env *Env, cfg *Config) (*Session, error) {
	s := &Session{Cfg: cfg}
	kinds, err := k8sres.DiscoverKinds(env.Discovery)
	if err != nil {
		return nil, err
	}
	if err := kinds.Require(); err != nil {
		return nil, err
	}
	s.Kinds = kinds
	gw, err := k8sres.GetGateway(ctx, env.Dynamic, env.Kube, cfg.GatewayNS, cfg.GatewayN)
	if err != nil {
		return nil, err
	}
	s.Gateway = gw
	if gw.Controller != "" && !k8sres.IsAgentGatewayController(gw.Controller) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("Gateway %s belongs to controller %s, not Agent Gateway: the backend and policy will not be programmed", gw.Ref(), gw.Controller))
	}
	if !gw.AllowsRoutesFrom(cfg.Namespace) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("Gateway %s only accepts routes from its own namespace: set its listener's allowedRoutes.namespaces.from to All (or a Selector matching %s), or use --route-namespace %s", gw.Ref(), cfg.Namespace, gw.Namespace))
	}

	nsObj, err := env.Kube.CoreV1().Namespaces().Get(ctx, cfg.Namespace, metav1.GetOptions{})
	switch {
	case err == nil && nsObj.DeletionTimestamp != nil:
		return nil, fmt.Errorf("namespace %s is being deleted (Terminating since %s): nothing was changed. Wait until it is gone, or pick another --route-namespace", cfg.Namespace, nsObj.DeletionTimestamp.UTC().Format(time.RFC3339))
	case err == nil:
		s.NamespaceExists = true
	case apierrors.IsNotFound(err):
	case apierrors.IsForbidden(err):
		// Namespaced users may not read namespaces: find out by reading something inside.
		if _, lerr := env.Kube.CoreV1().ConfigMaps(cfg.Namespace).List(ctx, metav1.ListOptions{Limit: 1}); lerr == nil {
			s.NamespaceExists = true
		} else {
			return nil, explain.Newf(err, "you may neither read namespace %s nor list its ConfigMaps: nothing was changed. Pass -n with a namespace you may work in, or ask your cluster admin for RBAC", cfg.Namespace)
		}
	default:
		return nil, k8sres.Explain("reading namespace "+cfg.Namespace, err)
	}
	if !s.NamespaceExists {
		// Can we create it? A server-side dry run answers without creating anything.
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cfg.Namespace}}
		if _, err := env.Kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil && !apierrors.IsAlreadyExists(err) {
			why := strings.TrimSuffix(trimDot(k8sres.Explain("creating namespace "+cfg.Namespace, err).Error()), ". Ask your cluster admin for RBAC")
			return nil, fmt.Errorf("%s; nothing was changed. Ask your cluster admin for RBAC, create the namespace first, or pick an existing one with --route-namespace", why)
		}
	}
	if s.NamespaceExists {
		rec, err := setup.Load(ctx, env.Kube, cfg.Namespace)
		switch {
		case err == nil:
			s.Existing = rec
			if s.Creds, err = setup.LoadCredentials(ctx, env.Kube, rec); err != nil {
				return nil, err
			}
		case errors.Is(err, setup.ErrNotFound):
		default:
			return nil, err
		}
	}

	if cfg.Mode == setup.ModeSigV4 {
		s.Warnings = append(s.Warnings, irsaCheck(ctx, env, gw, cfg))
	}
	if w := s.burstNote(); w != "" {
		s.Warnings = append(s.Warnings, w)
	}
	if cfg.Mode.UsesToken() && (cfg.Answers.Identity == IdentityCognito || cfg.Answers.Identity == IdentityCognitoMachine) && env.Cognito == nil {
		return nil, awsNeeded(env, "Cognito")
	}
	if env.AgentCore == nil {
		return nil, awsNeeded(env, "the AgentCore control plane")
	}
	if cfg.IsAgentCoreGateway() {
		if err := s.readAgentCoreGateway(ctx, env); err != nil {
			return nil, err
		}
	} else {
		rt, err := env.AgentCore.GetRuntime(ctx, cfg.ARN.String())
		if err != nil {
			var nf *types.ResourceNotFoundException
			if errors.As(err, &nf) {
				return nil, fmt.Errorf("runtime %s not found in %s (account %s). Check the ARN, or list runtimes with aws bedrock-agentcore-control list-agent-runtimes --region %s", cfg.ARN.RuntimeID, cfg.Region, cfg.ARN.Account, cfg.Region)
			}
			return nil, err
		}
		s.Runtime = rt
	}
	if cfg.Answers.Identity == IdentityExternal && cfg.ExternalToken == "" && cfg.Answers.TokenFile != "" {
		b, err := readTokenFile(cfg.Answers.TokenFile)
		if err != nil {
			return nil, err
		}
		cfg.ExternalToken = b
	}
	s.Record = s.desiredRecord()
	if err := s.checkRoutePath(ctx, env); err != nil {
		return nil, err
	}
	return s, nil
}

// readAgentCoreGateway reads the target gateway (GetGateway): its MCP URL and ARN replace what the answers
// derived, and a gateway whose authorizer type is AWS_IAM or NONE is named in a warning (the plan changes it only
// when confirmed).
func (s *Session) readAgentCoreGateway(ctx context.Context, env *Env) error {
	cfg := s.Cfg
	g, err := env.AgentCore.GetGateway(ctx, cfg.AgentCoreGatewayID)
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return explain.Newf(err, "AgentCore Gateway %s not found in %s. Check the id, or list gateways with aws bedrock-agentcore-control list-gateways --region %s", cfg.AgentCoreGatewayID, cfg.Region, cfg.Region)
		}
		return err
	}
	s.AgentCoreGateway = g
	if u := aws.ToString(g.GatewayUrl); u != "" {
		if err := CheckMCPURL(u); err != nil {
			return fmt.Errorf("AgentCore Gateway %s publishes gatewayUrl %q: %w", cfg.AgentCoreGatewayID, u, err)
		}
		cfg.MCPURL = u
	}
	if a := aws.ToString(g.GatewayArn); a != "" {
		cfg.AgentCoreGatewayARN = a
	}
	if pt := string(g.ProtocolType); pt != "" && pt != "MCP" {
		s.Warnings = append(s.Warnings, fmt.Sprintf("AgentCore Gateway %s speaks %s, not MCP: the probe and invoke --mcp expect MCP", aws.ToString(g.Name), pt))
	}
	switch g.AuthorizerType {
	case types.AuthorizerTypeAwsIam, types.AuthorizerTypeNone:
		s.Warnings = append(s.Warnings, fmt.Sprintf("AgentCore Gateway %s (%s) has authorizer type %s: the plan switches it to CUSTOM_JWT, and callers that rely on %s lose access. It changes only when you confirm the plan (--yes, or enter on the plan page)",
			aws.ToString(g.Name), cfg.AgentCoreGatewayID, g.AuthorizerType, map[types.AuthorizerType]string{types.AuthorizerTypeAwsIam: "SigV4", types.AuthorizerTypeNone: "no authorization"}[g.AuthorizerType]))
	}
	return nil
}

// currentAuthorizer is the target's authorizer now (nil = none / IAM only).
func (s *Session) currentAuthorizer() types.AuthorizerConfiguration {
	switch {
	case s.AgentCoreGateway != nil:
		if s.AgentCoreGateway.AuthorizerType != types.AuthorizerTypeCustomJwt {
			return nil
		}
		return s.AgentCoreGateway.AuthorizerConfiguration
	case s.Runtime != nil:
		return s.Runtime.AuthorizerConfiguration
	}
	return nil
}

func awsNeeded(env *Env, what string) error {
	if env.AWSErr != nil {
		return fmt.Errorf("the wizard needs %s: %w", what, env.AWSErr)
	}
	return fmt.Errorf("the wizard needs %s but no AWS configuration was loaded. Set AWS_PROFILE or AWS_REGION", what)
}

// irsaCheck says whether the proxy's ServiceAccount carries an IRSA role, and what the role needs.
func irsaCheck(ctx context.Context, env *Env, gw k8sres.GatewayInfo, cfg *Config) string {
	need := fmt.Sprintf("the role needs %s on %s", InvokePermission, cfg.ARN.String())
	sa, err := env.Kube.CoreV1().ServiceAccounts(gw.Namespace).Get(ctx, gw.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Sprintf("sigv4: could not read the proxy's ServiceAccount %s (%s): make sure it has an IRSA role (%s annotation); %s",
			k8sres.Ref(gw.Namespace, gw.Name), strings.TrimSpace(firstLine(err.Error())), IRSAAnnotation, need)
	}
	role := sa.Annotations[IRSAAnnotation]
	if role == "" {
		return fmt.Sprintf("sigv4: ServiceAccount %s has no %s annotation, so the proxy has no AWS credentials to sign with. Annotate it with an IAM role; %s",
			k8sres.Ref(gw.Namespace, gw.Name), IRSAAnnotation, need)
	}
	return fmt.Sprintf("sigv4: the proxy signs as %s (IRSA); %s", role, need)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// desiredRecord is the record with names and settings (identity ids from the existing record until Run fills them).
func (s *Session) desiredRecord() setup.Record {
	cfg := s.Cfg
	a := cfg.Answers
	r := setup.Record{
		Namespace: cfg.Namespace, Region: cfg.Region, RuntimeARN: cfg.ARN.String(), Mode: cfg.Mode, Target: cfg.Target,
		GatewayNamespace: cfg.GatewayNS, GatewayName: cfg.GatewayN, PathPrefix: a.PathPrefix, TokenUse: cfg.TokenUse,
	}
	if cfg.IsAgentCoreGateway() {
		r.RuntimeARN, r.AgentCoreGateway, r.MCPURL = "", cfg.TargetRef(), cfg.MCPURL
	}
	if cfg.Mode.UsesToken() {
		r.IdentityProvider = a.Identity
		if a.Identity == IdentityExternal {
			r.DiscoveryURL, r.Audience = a.DiscoveryURL, a.Audience
			r.TokenSource = setup.TokenSourcePasted
			if cc := cfg.ClientCreds; cc != nil {
				r.TokenSource, r.ClientID, r.TokenURL, r.TokenAudience = setup.TokenSourceClientCredentials, cc.ClientID, cc.TokenURL, cc.Audience
				r.TokenScopes, r.AuthMethod = cc.Scopes, cc.AuthMethod
				// The authorizer follows the minted token: aud → allowedAudience, else client_id → allowedClients.
				r.Audience = nil
				if t, err := tokencheck.Parse(cfg.ExternalToken); err == nil {
					if az := tokencheck.SuggestAuthorizer(t); az != nil {
						r.Audience, r.AllowedClients = az.AllowedAudience, az.AllowedClients
					}
				}
			}
			// The issuer is the token's iss byte for byte (AgentCore compares it exactly; Auth0's ends with "/"):
			// never derived from the discovery URL.
			if t, err := tokencheck.Parse(cfg.ExternalToken); err == nil {
				r.Issuer = t.Issuer
			}
		} else {
			r.UserPoolName, r.UserPoolID, r.ClientID, r.Username = a.UserPoolName, a.UserPoolID, a.ClientID, a.Username
		}
		if a.Identity == IdentityCognitoMachine {
			// The token comes from the pool domain's /oauth2/token by client credentials (HTTP Basic, as Cognito
			// expects); the authorizer allows the client and the scopes.
			r.TokenSource, r.TokenURL, r.AuthMethod, r.ResourceServer = setup.TokenSourceClientCredentials, a.TokenURL, a.AuthMethod, a.ResourceServer
			if r.AuthMethod == "" {
				r.AuthMethod = "basic"
			}
			r.TokenScopes = MachineSpec(a, r).FullScopes()
		}
	}
	if cfg.Mode.CallerToken() {
		callerRecord(cfg, &r)
	}
	bgvk, _ := s.Kinds.BackendGVK()
	pgvk, _ := s.Kinds.PolicyGVK()
	r.BackendAPIVersion, r.BackendKind = bgvk.GroupVersion().String(), bgvk.Kind
	if cfg.Mode == setup.ModeRewrite || cfg.Mode.CallerToken() || cfg.RateLimit != nil || cfg.CORS != nil {
		r.PolicyAPIVersion, r.PolicyKind = pgvk.GroupVersion().String(), pgvk.Kind
	}
	if cfg.Mode == setup.ModeRewrite {
		r.PolicyName = setup.DefaultPolicyName
	}
	if cfg.RateLimit != nil || cfg.CORS != nil {
		r.TrafficPolicyName = setup.DefaultTrafficPolicyName
	}
	if cfg.RateLimit != nil && s.globalRateLimit() {
		r.RateLimitConfigName = setup.DefaultRateLimitConfigName
	}
	if rl := cfg.RateLimit; rl != nil {
		r.RateLimit, r.RateLimitBurst = rl.String(), rl.Burst
	}
	if c := cfg.CORS; c != nil {
		r.CORSOrigins, r.CORSMethods, r.CORSHeaders, r.CORSMaxAge = c.Origins, c.Methods, c.Headers, c.MaxAge
	}
	r = r.WithDefaults()
	if e := s.Existing; e != nil {
		// Keep what only earlier runs know.
		if e.TargetName() == r.TargetName() || e.IsAgentCoreGateway() && r.IsAgentCoreGateway() && sameGateway(e.AgentCoreGateway, r.AgentCoreGateway) {
			r.PreviousAuthorizer, r.PreviousAuthorizerType = e.PreviousAuthorizer, e.PreviousAuthorizerType
		}
		cognito := r.IdentityProvider == setup.IdPCognito || r.IdentityProvider == setup.IdPCognitoMachine
		if cognito && e.CreatingUserPool == r.UserPoolName {
			r.CreatingUserPool = e.CreatingUserPool
		}
		r.CreatedNamespace = e.CreatedNamespace
		r.CreatedUserPool = e.CreatedUserPool && (e.UserPoolID == r.UserPoolID || r.UserPoolID == "")
		r.UpdatedAt = e.UpdatedAt
		if cognito && a.UserPoolID == "" && e.UserPoolName == r.UserPoolName {
			r.UserPoolID = e.UserPoolID
		}
		if cognito && e.IdentityProvider == r.IdentityProvider && e.UserPoolID == r.UserPoolID {
			if a.ClientID == "" {
				r.ClientID = e.ClientID
			}
			r.Issuer, r.DiscoveryURL = e.Issuer, e.DiscoveryURL
			if r.IdentityProvider == setup.IdPCognitoMachine {
				// What the wizard created stays its own across reruns (teardown removes it).
				r.Domain = e.Domain
				r.CreatedClient = e.CreatedClient && e.ClientID == r.ClientID
				r.CreatedDomain = e.CreatedDomain
				r.CreatedResourceServer = e.CreatedResourceServer && e.ResourceServer == r.ResourceServer
				if r.TokenURL == "" {
					r.TokenURL = e.TokenURL
				}
			}
		}
	}
	return r
}

// callerRecord fills the record of a caller-token mode: the caller's IdP as the gateway validates it, and whom the
// runtime's authorizer trusts (DiscoveryURL, Issuer, Audience): the caller's IdP in passthrough, the token
// service and the exchange audience in exchange.
func callerRecord(cfg *Config, r *setup.Record) {
	a := cfg.Answers
	r.IdentityProvider = setup.IdPExternal
	r.CallerDiscoveryURL, r.CallerAudiences = a.DiscoveryURL, a.Audience
	if d := cfg.CallerDiscovery; d != nil {
		r.CallerIssuer = d.Issuer
	}
	if cfg.Mode == setup.ModePassthrough {
		r.DiscoveryURL, r.Issuer, r.Audience = a.DiscoveryURL, r.CallerIssuer, a.Audience
		return
	}
	r.ExchangeDiscoveryURL, r.ExchangeClientID, r.ExchangeAudience, r.ExchangeScopes = a.ExchangeDiscoveryURL, a.ExchangeClientID, a.ExchangeAudience, a.ExchangeScopes
	r.ExchangeAuthMethod = exchangeAuthMethod(a.ExchangeAuthMethod, cfg.ExchangeDiscovery)
	r.DiscoveryURL, r.Audience = a.ExchangeDiscoveryURL, nil
	if a.ExchangeAudience != "" {
		r.Audience = []string{a.ExchangeAudience}
	}
	if d := cfg.ExchangeDiscovery; d != nil {
		r.Issuer, r.ExchangeTokenURL = d.Issuer, d.TokenEndpoint
	}
}

func (s *Session) globalRateLimit() bool {
	switch s.Cfg.Answers.RateLimitKind {
	case "local":
		return false
	case "global":
		return true
	}
	if rl := s.Cfg.RateLimit; rl != nil && rl.Burst > 0 {
		return false // a RateLimitConfig has no burst (CheckBurst): the local limiter, in the Enterprise policy kind too
	}
	return s.Kinds.EnterprisePolicy && s.Kinds.RateLimitConfig
}

// burstNote says why a burst on a cluster with a global rate limiter uses the local one.
func (s *Session) burstNote() string {
	rl := s.Cfg.RateLimit
	if rl == nil || !BurstUsesLocal(rl.Burst, s.Cfg.Answers.RateLimitKind, s.Kinds) {
		return ""
	}
	return fmt.Sprintf("rate limit %s with burst %d uses the local (per-proxy) limiter in the %s: an Enterprise RateLimitConfig has no burst (drop --rate-limit-burst for the global one)", rl, rl.Burst, setup.DefaultTrafficPolicyName+" policy")
}

// manifestSpec is the k8sres spec for the session's record.
func (s *Session) manifestSpec(r setup.Record, token string) k8sres.ManifestSpec {
	bgvk, _ := s.Kinds.BackendGVK()
	pgvk, _ := s.Kinds.PolicyGVK()
	return ManifestSpec(s.Cfg, r, bgvk, pgvk, s.globalRateLimit(), token)
}

// sameGateway compares two gateway references (id or ARN) by id.
func sameGateway(a, b string) bool {
	ia, erra := awsops.GatewayIDFrom(a)
	ib, errb := awsops.GatewayIDFrom(b)
	return erra == nil && errb == nil && ia == ib
}

// ManifestSpec builds the manifest spec of a record (also used offline). An AgentCore Gateway target is reached
// by rewrite to its MCP URL: host, port and path from the URL, backend TLS unless it is http://.
func ManifestSpec(cfg *Config, r setup.Record, bgvk, pgvk k8sresGVK, global bool, token string) k8sres.ManifestSpec {
	host, path := cfg.ARN.DataPlaneHost(), cfg.ARN.InvocationPath()
	var port int64
	plain := false
	if r.IsAgentCoreGateway() {
		host, path, port, plain = "", "", 0, false
		if u, err := ParseMCPURL(r.MCPURL); err == nil {
			host, path, port, plain = u.Hostname(), u.EscapedPath(), portOf(u), u.Scheme == "http"
		}
	}
	spec := k8sres.ManifestSpec{
		Mode: string(r.Mode), Namespace: r.Namespace, RuntimeARN: r.RuntimeARN,
		DataPlaneHost: host, InvocationPath: path, DataPlanePort: port, PlainHTTP: plain,
		GatewayNamespace: r.GatewayNamespace, GatewayName: r.GatewayName, PathPrefix: r.PathPrefix,
		SecretName: r.SecretName, BackendName: r.BackendName, PolicyName: r.PolicyName,
		TrafficPolicyName: r.TrafficPolicyName, RouteName: r.RouteName, RateLimitConfigName: r.RateLimitConfigName,
		BackendGVK: bgvk, PolicyGVK: pgvk, GlobalRateLimit: global && cfg.RateLimit != nil,
		RateLimit: cfg.RateLimit, CORS: cfg.CORS, Token: token, Labels: r.ObjectLabels(),
	}
	if r.Mode.CallerToken() {
		spec.Caller = &k8sres.CallerJWT{PolicyName: r.JWTPolicyName, Issuer: r.CallerIssuer, Audiences: r.CallerAudiences, BackendName: r.CallerJWKSBackendName}
		if d := cfg.CallerDiscovery; d != nil {
			if e, err := jwksLocation(d.JWKSURI); err == nil {
				spec.Caller.Host, spec.Caller.Port, spec.Caller.PlainHTTP = e.Host, e.Port, e.Plain
				// jwksPath is relative to the root (the controller joins it to the backend's address).
				spec.Caller.JWKSPath = strings.TrimPrefix(e.Path, "/")
			}
		}
	}
	if r.Mode == setup.ModeExchange {
		x := &k8sres.TokenExchange{BackendName: r.ExchangeBackendName, ClientID: r.ExchangeClientID, AuthMethod: r.ExchangeAuthMethod,
			SecretName: r.ExchangeSecretName, ClientSecret: cfg.ExchangeClientSecret, Audience: r.ExchangeAudience, Scopes: r.ExchangeScopes}
		if x.ClientID == "" {
			x.ClientID = k8sres.ExchangeClientIDPlaceholder
		}
		if e, err := jwksLocation(r.ExchangeTokenURL); err == nil {
			x.Host, x.Port, x.PlainHTTP, x.Path = e.Host, e.Port, e.Plain, e.Path
		}
		spec.Exchange = x
	}
	return spec
}

// DesiredAuthorizer returns the authorizer the record asks for (nil = IAM only, for sigv4) over current, the
// target's authorizer now: the settings the plugin does not manage (a privateEndpoint, customClaims, …) are
// current's (awsops.WithUnmanaged). current nil: only what the record decides, enough to judge a token's identity.
// ok=false when it cannot be known yet (a Cognito pool or client still to be created).
func DesiredAuthorizer(r setup.Record, cognito *awsops.Cognito, current types.AuthorizerConfiguration) (types.AuthorizerConfiguration, bool) {
	az, ok := recordAuthorizer(r, cognito)
	return awsops.WithUnmanaged(current, az), ok
}

func recordAuthorizer(r setup.Record, cognito *awsops.Cognito) (types.AuthorizerConfiguration, bool) {
	switch r.IdentityProvider {
	case setup.IdPNone, "":
		return nil, true
	case setup.IdPExternal:
		return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(r.DiscoveryURL), AllowedAudience: r.Audience, AllowedClients: r.AllowedClients,
		}}, true
	}
	if r.UserPoolID == "" || r.ClientID == "" || cognito == nil {
		return nil, false
	}
	issuer := cognito.Issuer(r.UserPoolID)
	if r.IdentityProvider == setup.IdPCognitoMachine {
		// A client-credentials access token has client_id and scope, no aud (docs/client-credentials.md).
		return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(awsops.DiscoveryURL(issuer)), AllowedClients: []string{r.ClientID}, AllowedScopes: r.TokenScopes,
		}}, true
	}
	if r.TokenUse == setup.TokenUseAccess {
		return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(awsops.DiscoveryURL(issuer)), AllowedClients: []string{r.ClientID},
		}}, true
	}
	return awsops.CognitoAuthorizer(issuer, r.ClientID), true
}

// reusableToken reports whether the token in the live Secret can stay: not expiring within 10 minutes and
// accepted by the authorizer's audience / client rules.
func reusableToken(live *unstructured.Unstructured, az types.AuthorizerConfiguration, issuer string, now time.Time) bool {
	if live == nil {
		return false
	}
	tok := secretToken(live)
	if tok == "" || strings.HasPrefix(tok, k8sres.TokenPlaceholder) {
		return false
	}
	t, err := tokencheck.Parse(tok)
	if err != nil {
		return false
	}
	if tokencheck.Worst(tokencheck.CheckToken(t, now)) != tokencheck.StatusPass {
		return false
	}
	if az != nil {
		if tokencheck.Worst(tokencheck.CheckAuthorizer(t, tokencheck.AuthorizerFromSDK(az), issuer)) == tokencheck.StatusFail {
			return false
		}
	}
	return true
}
