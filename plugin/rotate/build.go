package rotate

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"k8s.io/client-go/kubernetes"
)

// Deps are what Build wires an Engine from.
type Deps struct {
	Kube kubernetes.Interface
	// AWSConfig loads the AWS configuration for region (the target's region when --region is not given).
	AWSConfig func(ctx context.Context, region string) (aws.Config, error)
	HTTP      *http.Client
	Clock     Clock
	// Prompt reads a secret value on the terminal; nil when not on a terminal.
	Prompt   func(label string) (string, error)
	Identity string
	// MinValidity is the Engine's (0 = DefaultMinValidity).
	MinValidity time.Duration
}

// Setup is a wired Engine with what it was resolved from.
type Setup struct {
	Engine *Engine
	Target *Target
	// AuthorizerSource says where the claims rules come from ("runtime …", "setup record …").
	AuthorizerSource string
	Authorizer       *tokencheck.Authorizer
}

// Build resolves the target and wires the real Cognito minter, the authorizer validator and the Kubernetes
// store. The runtime's authorizer is read with GetAgentRuntime when the runtime is known (the gateway's with
// GetGateway for a setup whose route leads to an AgentCore Gateway); when that fails (e.g.
// no AWS credentials in the cluster, where the refresh path needs none) the setup record's settings are used and
// AuthorizerSource says why.
func Build(ctx context.Context, d Deps, fl Flags) (*Setup, error) {
	t, err := Resolve(ctx, d.Kube, fl, d.Prompt)
	if err != nil {
		return nil, err
	}
	if t.ClientCreds != nil {
		return buildClientCreds(ctx, d, t)
	}
	cfg, err := d.AWSConfig(ctx, t.Region)
	if err != nil {
		return nil, err
	}
	cog := awsops.NewCognito(cfg)
	discovery := t.DiscoveryURL
	if discovery == "" {
		discovery = tokencheck.DiscoveryURLFor(cog.Issuer(t.UserPoolID))
	}
	s := &Setup{Target: t}
	var fromAWS bool
	s.Authorizer, s.AuthorizerSource, fromAWS = targetAuthorizer(ctx, awsops.NewAgentCore(cfg), t, "the Cognito client's settings")
	if t.RuntimeARN == "" && t.AgentCoreGateway == "" {
		s.AuthorizerSource = "the Cognito client's settings (no runtime given: pass --runtime-arn to check against the runtime's own)"
	}
	if !fromAWS {
		s.Authorizer = ImpliedAuthorizer(discovery, t.ClientID, t.TokenUse, t.Audience)
	}
	clock := d.Clock
	if clock == nil {
		clock = RealClock{}
	}
	s.Engine = &Engine{
		Minter:    CognitoMinter{Cognito: cog},
		Validator: &AuthorizerValidator{Authorizer: s.Authorizer, Client: d.HTTP, Of: t.authorizerOf()},
		Store:     &KubeStore{Kube: d.Kube, Namespace: t.Namespace, Name: t.SecretName, CredentialsName: t.CredentialsName},
		Clock:     clock,
		Creds:     t.Creds,
		TokenUse:  t.TokenUse,
		Identity:  d.Identity,
	}
	s.Engine.MinValidity = d.MinValidity
	return s, nil
}

// targetAuthorizer reads the authorizer of the AgentCore side the token is for: the runtime (GetAgentRuntime) or,
// for a setup whose route leads to an AgentCore Gateway, the gateway (GetGateway). fromAWS is false when neither
// is named or the read failed; source then says so, starting with fallback (what the caller validates against
// instead). A target that takes no JWT (IAM only) gives a nil authorizer with fromAWS true: the validator refuses.
func targetAuthorizer(ctx context.Context, ac *awsops.AgentCore, t *Target, fallback string) (az *tokencheck.Authorizer, source string, fromAWS bool) {
	why := func(op string, err error) string {
		return fmt.Sprintf("%s (%s failed: %s)", fallback, op, strings.TrimRight(firstLine(err.Error()), "."))
	}
	switch {
	case t.RuntimeARN != "":
		g, err := ac.GetRuntime(ctx, t.RuntimeARN)
		if err != nil {
			return nil, why("GetAgentRuntime", err), false
		}
		return tokencheck.AuthorizerFromSDK(g.AuthorizerConfiguration), "runtime " + t.RuntimeARN, true
	case t.AgentCoreGateway != "":
		g, err := ac.GetGateway(ctx, t.AgentCoreGateway)
		if err != nil {
			return nil, why("GetGateway", err), false
		}
		return tokencheck.AuthorizerFromSDK(g.AuthorizerConfiguration), "AgentCore Gateway " + t.AgentCoreGateway, true
	}
	return nil, fallback + " (no runtime given)", false
}

// authorizerOf names the AgentCore side for the validator's messages.
func (t *Target) authorizerOf() string {
	if t.RuntimeARN == "" && t.AgentCoreGateway != "" {
		return "the AgentCore Gateway"
	}
	return "the runtime"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// buildClientCreds wires an Engine that mints by OAuth 2.0 client credentials (an external identity provider).
// The authorizer is the runtime's when AWS answers, else the one the setup record describes.
func buildClientCreds(ctx context.Context, d Deps, t *Target) (*Setup, error) {
	s := &Setup{Target: t}
	var fromAWS bool
	const fallback = "the setup record's authorizer"
	switch {
	case t.RuntimeARN == "" && t.AgentCoreGateway == "":
		s.AuthorizerSource = fallback + " (no runtime given)"
	default:
		if cfg, err := d.AWSConfig(ctx, t.Region); err == nil {
			s.Authorizer, s.AuthorizerSource, fromAWS = targetAuthorizer(ctx, awsops.NewAgentCore(cfg), t, fallback)
		} else {
			s.AuthorizerSource = fmt.Sprintf("%s (no AWS configuration: %s)", fallback, strings.TrimRight(firstLine(err.Error()), "."))
		}
	}
	if !fromAWS {
		s.Authorizer = &tokencheck.Authorizer{DiscoveryURL: t.DiscoveryURL, AllowedAudience: t.Audience, AllowedClients: t.AllowedClients}
	}
	clock := d.Clock
	if clock == nil {
		clock = RealClock{}
	}
	req := *t.ClientCreds
	req.HTTP = d.HTTP
	s.Engine = &Engine{
		ClientCreds: &req,
		Validator:   &AuthorizerValidator{Authorizer: s.Authorizer, Client: d.HTTP, Of: t.authorizerOf()},
		Store:       &KubeStore{Kube: d.Kube, Namespace: t.Namespace, Name: t.SecretName, CredentialsName: t.CredentialsName},
		Clock:       clock,
		Creds:       t.Creds,
		TokenUse:    TokenUseAccess,
		Identity:    d.Identity,
		MinValidity: d.MinValidity,
	}
	return s, nil
}
