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
// store. The runtime's authorizer is read with GetAgentRuntime when the runtime is known; when that fails (e.g.
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
	if t.RuntimeARN != "" {
		g, gerr := awsops.NewAgentCore(cfg).GetRuntime(ctx, t.RuntimeARN)
		if gerr == nil {
			s.Authorizer = tokencheck.AuthorizerFromSDK(g.AuthorizerConfiguration)
			s.AuthorizerSource = "runtime " + t.RuntimeARN
		} else {
			s.AuthorizerSource = fmt.Sprintf("the Cognito client's settings (GetAgentRuntime failed: %s)", strings.TrimRight(firstLine(gerr.Error()), "."))
		}
	} else {
		s.AuthorizerSource = "the Cognito client's settings (no runtime given: pass --runtime-arn to check against the runtime's own)"
	}
	if s.Authorizer == nil && s.AuthorizerSource != "runtime "+t.RuntimeARN {
		s.Authorizer = ImpliedAuthorizer(discovery, t.ClientID, t.TokenUse, t.Audience)
	}
	clock := d.Clock
	if clock == nil {
		clock = RealClock{}
	}
	s.Engine = &Engine{
		Minter:    CognitoMinter{Cognito: cog},
		Validator: &AuthorizerValidator{Authorizer: s.Authorizer, Client: d.HTTP},
		Store:     &KubeStore{Kube: d.Kube, Namespace: t.Namespace, Name: t.SecretName, CredentialsName: t.CredentialsName},
		Clock:     clock,
		Creds:     t.Creds,
		TokenUse:  t.TokenUse,
		Identity:  d.Identity,
	}
	s.Engine.MinValidity = d.MinValidity
	return s, nil
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
	if t.RuntimeARN != "" {
		if cfg, err := d.AWSConfig(ctx, t.Region); err == nil {
			g, gerr := awsops.NewAgentCore(cfg).GetRuntime(ctx, t.RuntimeARN)
			if gerr == nil {
				s.Authorizer = tokencheck.AuthorizerFromSDK(g.AuthorizerConfiguration)
				s.AuthorizerSource = "runtime " + t.RuntimeARN
			} else {
				s.AuthorizerSource = fmt.Sprintf("the setup record's authorizer (GetAgentRuntime failed: %s)", strings.TrimRight(firstLine(gerr.Error()), "."))
			}
		} else {
			s.AuthorizerSource = fmt.Sprintf("the setup record's authorizer (no AWS configuration: %s)", strings.TrimRight(firstLine(err.Error()), "."))
		}
	} else {
		s.AuthorizerSource = "the setup record's authorizer (no runtime given)"
	}
	if s.Authorizer == nil && !strings.HasPrefix(s.AuthorizerSource, "runtime ") {
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
		Validator:   &AuthorizerValidator{Authorizer: s.Authorizer, Client: d.HTTP},
		Store:       &KubeStore{Kube: d.Kube, Namespace: t.Namespace, Name: t.SecretName, CredentialsName: t.CredentialsName},
		Clock:       clock,
		Creds:       t.Creds,
		TokenUse:    TokenUseAccess,
		Identity:    d.Identity,
		MinValidity: d.MinValidity,
	}
	return s, nil
}
