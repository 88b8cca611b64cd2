// Package wizard is the whole AgentCore-behind-Agent-Gateway setup as a use case: answers (flags, --config file
// or TUI pages), a plan (AWS calls and Kubernetes objects with create / update / unchanged), and an idempotent
// run of seven steps that converges when repeated or resumed after an interruption. No UI code lives here.
package wizard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/secretsource"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"sigs.k8s.io/yaml"
)

// Answers are every answer the wizard asks for. The JSON/YAML keys are the flag names, so a --config file uses
// the same keys as the flags and the prompts.
type Answers struct {
	// ① Gateway
	Gateway string `json:"gateway,omitempty"` // NAMESPACE/NAME
	// ② Runtime
	Region     string `json:"region,omitempty"`
	RuntimeARN string `json:"runtime-arn,omitempty"`
	// AgentCoreGateway (id or ARN) makes an AgentCore Gateway (MCP) the target instead of a runtime.
	AgentCoreGateway string `json:"agentcore-gateway,omitempty"`
	Mode             string `json:"mode,omitempty"` // rewrite | native | sigv4 | passthrough | exchange
	// ③ Identity
	Identity     string   `json:"identity,omitempty"` // cognito | cognito-machine | external
	UserPoolName string   `json:"user-pool-name,omitempty"`
	UserPoolID   string   `json:"user-pool-id,omitempty"`
	ClientName   string   `json:"client-name,omitempty"`
	ClientID     string   `json:"client-id,omitempty"`
	Username     string   `json:"username,omitempty"`
	TokenUse     string   `json:"token-use,omitempty"` // id | access
	DiscoveryURL string   `json:"discovery-url,omitempty"`
	Audience     []string `json:"audience,omitempty"`
	TokenFile    string   `json:"token-file,omitempty"` // external IdP: a file holding the token (never argv)
	// External IdP by OAuth 2.0 client credentials (with ClientID): where the secret comes from (env:VAR,
	// secret:[NS/]NAME/KEY, prompt), the token endpoint when not from the discovery document, scopes, and the
	// client authentication method (basic | post). Audience is then the audience asked for.
	ClientSecretFrom string   `json:"client-secret-from,omitempty"`
	TokenURL         string   `json:"token-url,omitempty"`
	Scopes           []string `json:"scope,omitempty"`
	AuthMethod       string   `json:"auth-method,omitempty"`
	// Cognito machine client (identity cognito-machine; Scopes are scope names under it, TokenURL overrides the
	// domain's token endpoint, e.g. for a custom domain): the resource server's identifier and the domain prefix
	// to create when the pool has no domain ("" = derived from the pool).
	ResourceServer string `json:"resource-server,omitempty"`
	DomainPrefix   string `json:"domain-prefix,omitempty"`
	// Token is an external IdP token pasted in the TUI. Never a flag or a --config key (nothing secret in argv
	// or in files the wizard reads as answers).
	Token string `json:"-"`
	// ClientSecret is an external IdP client's secret typed (hidden) in the TUI, instead of ClientSecretFrom.
	// Never a flag or a --config key.
	ClientSecret string `json:"-"`
	// Mode exchange: the token service where the gateway trades the caller's token (RFC 8693). DiscoveryURL and
	// Audience above are then the caller's IdP and what its tokens carry; these default to them.
	ExchangeDiscoveryURL     string   `json:"exchange-discovery-url,omitempty"`
	ExchangeClientID         string   `json:"exchange-client-id,omitempty"`
	ExchangeClientSecretFrom string   `json:"exchange-client-secret-from,omitempty"`
	ExchangeAudience         string   `json:"exchange-audience,omitempty"`
	ExchangeScopes           []string `json:"exchange-scope,omitempty"`
	ExchangeAuthMethod       string   `json:"exchange-auth-method,omitempty"`
	// ExchangeClientSecret is the token service client's secret typed (hidden) in the TUI. Never a flag or a
	// --config key.
	ExchangeClientSecret string `json:"-"`
	// ④ Authorizer
	SkipAuthorizer bool `json:"skip-authorizer,omitempty"`
	// ⑤ Resources
	RouteNamespace string `json:"route-namespace,omitempty"`
	PathPrefix     string `json:"path-prefix,omitempty"`
	// ⑥ Options
	RateLimit     string `json:"rate-limit,omitempty"`      // 3/minute
	RateLimitKind string `json:"rate-limit-kind,omitempty"` // local | global ("" = global when Enterprise serves it)
	// RateLimitBurst is the allowance above the rate for short bursts (traffic.rateLimit.local[].burst).
	RateLimitBurst int32    `json:"rate-limit-burst,omitempty"`
	CORSOrigins    []string `json:"cors-origin,omitempty"`
	CORSMethods    []string `json:"cors-method,omitempty"`
	CORSHeaders    []string `json:"cors-header,omitempty"`
	CORSMaxAge     int32    `json:"cors-max-age,omitempty"`
}

// Identity providers.
const (
	IdentityCognito  = setup.IdPCognito
	IdentityExternal = setup.IdPExternal
	// IdentityCognitoMachine is identity (b): a Cognito app client by client credentials.
	IdentityCognitoMachine = setup.IdPCognitoMachine
)

// LoadConfigFile reads a --config YAML (or JSON) file with the flag names as keys. Unknown keys are an error.
func LoadConfigFile(path string) (Answers, error) {
	var a Answers
	b, err := os.ReadFile(path)
	if err != nil {
		return a, fmt.Errorf("reading --config %s: %w", path, err)
	}
	if err := yaml.UnmarshalStrict(b, &a); err != nil {
		return a, fmt.Errorf("reading --config %s: %s. Use the flag names as keys (e.g. runtime-arn: arn:aws:…)", path, strings.TrimPrefix(err.Error(), "error unmarshaling JSON: "))
	}
	return a, nil
}

// Merge returns a with every empty field taken from b (flags given on the command line win over the file).
func (a Answers) Merge(b Answers) Answers {
	str := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	list := func(p *[]string, v []string) {
		if len(*p) == 0 {
			*p = v
		}
	}
	str(&a.Gateway, b.Gateway)
	str(&a.Region, b.Region)
	if a.RuntimeARN == "" && a.AgentCoreGateway == "" {
		// One target: the command line's wins over the file's, whichever kind each names.
		a.RuntimeARN, a.AgentCoreGateway = b.RuntimeARN, b.AgentCoreGateway
	}
	str(&a.Mode, b.Mode)
	str(&a.Identity, b.Identity)
	str(&a.UserPoolName, b.UserPoolName)
	str(&a.UserPoolID, b.UserPoolID)
	str(&a.ClientName, b.ClientName)
	str(&a.ClientID, b.ClientID)
	str(&a.Username, b.Username)
	str(&a.TokenUse, b.TokenUse)
	str(&a.DiscoveryURL, b.DiscoveryURL)
	list(&a.Audience, b.Audience)
	str(&a.TokenFile, b.TokenFile)
	str(&a.ClientSecretFrom, b.ClientSecretFrom)
	str(&a.TokenURL, b.TokenURL)
	list(&a.Scopes, b.Scopes)
	str(&a.AuthMethod, b.AuthMethod)
	str(&a.ResourceServer, b.ResourceServer)
	str(&a.DomainPrefix, b.DomainPrefix)
	str(&a.ExchangeDiscoveryURL, b.ExchangeDiscoveryURL)
	str(&a.ExchangeClientID, b.ExchangeClientID)
	str(&a.ExchangeClientSecretFrom, b.ExchangeClientSecretFrom)
	str(&a.ExchangeAudience, b.ExchangeAudience)
	list(&a.ExchangeScopes, b.ExchangeScopes)
	str(&a.ExchangeAuthMethod, b.ExchangeAuthMethod)
	str(&a.ExchangeClientSecret, b.ExchangeClientSecret)
	a.SkipAuthorizer = a.SkipAuthorizer || b.SkipAuthorizer
	str(&a.RouteNamespace, b.RouteNamespace)
	str(&a.PathPrefix, b.PathPrefix)
	str(&a.RateLimit, b.RateLimit)
	str(&a.RateLimitKind, b.RateLimitKind)
	if a.RateLimitBurst == 0 {
		a.RateLimitBurst = b.RateLimitBurst
	}
	str(&a.Token, b.Token)
	list(&a.CORSOrigins, b.CORSOrigins)
	list(&a.CORSMethods, b.CORSMethods)
	list(&a.CORSHeaders, b.CORSHeaders)
	if a.CORSMaxAge == 0 {
		a.CORSMaxAge = b.CORSMaxAge
	}
	return a
}

// FromRecord turns an existing setup record into answers (a rerun with no flags repeats the last setup).
func FromRecord(r *setup.Record) Answers {
	a := Answers{
		Gateway: r.Gateway(), Region: r.Region, RuntimeARN: r.RuntimeARN, AgentCoreGateway: r.AgentCoreGateway, Mode: string(r.Mode),
		UserPoolName: r.UserPoolName, UserPoolID: r.UserPoolID, ClientID: r.ClientID, Username: r.Username,
		TokenUse: string(r.TokenUse), RouteNamespace: r.Namespace, PathPrefix: r.PathPrefix,
		RateLimit: r.RateLimit, RateLimitBurst: r.RateLimitBurst,
		CORSOrigins: r.CORSOrigins, CORSMethods: r.CORSMethods, CORSHeaders: r.CORSHeaders, CORSMaxAge: r.CORSMaxAge,
	}
	if r.Mode.CallerToken() {
		a.UserPoolName, a.UserPoolID, a.ClientID, a.Username = "", "", "", ""
		a.DiscoveryURL, a.Audience = r.CallerDiscoveryURL, r.CallerAudiences
		if r.Mode == setup.ModeExchange {
			a.ExchangeDiscoveryURL, a.ExchangeClientID, a.ExchangeAudience = r.ExchangeDiscoveryURL, r.ExchangeClientID, r.ExchangeAudience
			a.ExchangeScopes, a.ExchangeAuthMethod = r.ExchangeScopes, r.ExchangeAuthMethod
			if r.ExchangeSecretName != "" {
				// A rerun keeps the client secret the first run stored.
				a.ExchangeClientSecretFrom = "secret:" + r.Namespace + "/" + r.ExchangeSecretName + "/" + setup.ExchangeSecretKey
			}
		}
	} else if r.IdentityProvider == setup.IdPExternal {
		a.Identity, a.DiscoveryURL, a.Audience = IdentityExternal, r.DiscoveryURL, r.Audience
		a.UserPoolName, a.UserPoolID, a.ClientID, a.Username = "", "", "", ""
		if r.ClientCredentials() {
			// A rerun mints again with the client secret the first run stored.
			a.ClientID, a.TokenURL, a.Scopes, a.AuthMethod = r.ClientID, r.TokenURL, r.TokenScopes, r.AuthMethod
			a.ClientSecretFrom = "secret:" + r.Namespace + "/" + r.CredentialsName() + "/" + setup.KeyClientSecret
			a.Audience = nil
			if r.TokenAudience != "" {
				a.Audience = []string{r.TokenAudience}
			}
		}
	} else if r.IdentityProvider == setup.IdPCognitoMachine {
		a.Identity, a.ResourceServer, a.TokenURL, a.Username = IdentityCognitoMachine, r.ResourceServer, r.TokenURL, ""
		for _, sc := range r.TokenScopes {
			a.Scopes = append(a.Scopes, strings.TrimPrefix(sc, r.ResourceServer+"/"))
		}
	} else if r.IdentityProvider == setup.IdPCognito {
		a.Identity = IdentityCognito
	}
	return a
}

// Config is validated answers with defaults applied.
type Config struct {
	Answers Answers
	Mode    setup.Mode
	// Target is setup.TargetRuntime (ARN) or setup.TargetAgentCoreGateway (AgentCoreGatewayID, its ARN when
	// known, and MCPURL: derived from the id and region, replaced by GetGateway's gatewayUrl when read).
	Target              string
	ARN                 awsops.RuntimeARN
	AgentCoreGatewayID  string
	AgentCoreGatewayARN string
	MCPURL              string
	Region              string
	GatewayNS           string
	GatewayN            string
	Namespace           string
	RateLimit           *k8sres.RateLimit
	CORS                *k8sres.CORS
	TokenUse            setup.TokenUse
	// ExternalToken is the token read from TokenFile (external IdP), or minted by ClientCreds.
	ExternalToken string `json:"-"`
	// ClientCreds is set for an external IdP by client credentials; MintExternal fills its secret and mints.
	ClientCreds *clientcreds.Request `json:"-"`
	// Minted says how ExternalToken was minted (nil when pasted).
	Minted *clientcreds.Result `json:"-"`

	// Caller-token modes: the caller IdP's discovery document and (exchange) the token service's, read by
	// Discover; the token service client's secret (exchange), read by the command before a live run.
	CallerDiscovery      *tokencheck.Discovery `json:"-"`
	ExchangeDiscovery    *tokencheck.Discovery `json:"-"`
	ExchangeClientSecret string                `json:"-"`
}

// Gateway is namespace/name.
func (c *Config) Gateway() string { return k8sres.Ref(c.GatewayNS, c.GatewayN) }

// IsAgentCoreGateway reports whether the target is an AgentCore Gateway.
func (c *Config) IsAgentCoreGateway() bool { return c.Target == setup.TargetAgentCoreGateway }

// TargetLabel names the AgentCore side in plan lines: "runtime <id>" or "AgentCore Gateway <id>".
func (c *Config) TargetLabel() string {
	if c.IsAgentCoreGateway() {
		return "AgentCore Gateway " + c.AgentCoreGatewayID
	}
	return "runtime " + c.ARN.RuntimeID
}

// TargetRef is the target's ARN (a gateway's id when its ARN is not known).
func (c *Config) TargetRef() string {
	if c.IsAgentCoreGateway() {
		return cmp.Or(c.AgentCoreGatewayARN, c.AgentCoreGatewayID)
	}
	return c.ARN.String()
}

// MissingError lists every required answer that was not given.
type MissingError struct{ Missing []string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("missing required answers: %s. Pass them as flags or in --config (same keys), or run the wizard on a terminal", strings.Join(e.Missing, ", "))
}

var (
	originRe = regexp.MustCompile(`^(\*|https?://((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:[0-9]{1,5})?)$`)
	methods  = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "CONNECT": true, "OPTIONS": true, "TRACE": true, "PATCH": true, "*": true}
)

// Normalize validates the answers and applies defaults. defaultRegion is the AWS configuration's region ("" when
// unknown, e.g. offline). Every missing required answer is reported in one *MissingError; the first invalid
// answer is reported on its own.
func Normalize(a Answers, defaultRegion string) (*Config, error) {
	c := &Config{}
	var missing []string
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&a.Gateway, &a.Region, &a.RuntimeARN, &a.AgentCoreGateway, &a.Mode, &a.Identity, &a.UserPoolName, &a.UserPoolID,
		&a.ClientName, &a.ClientID, &a.Username, &a.TokenUse, &a.DiscoveryURL, &a.TokenFile, &a.RouteNamespace, &a.PathPrefix,
		&a.ResourceServer, &a.DomainPrefix,
		&a.RateLimit, &a.RateLimitKind} {
		trim(p)
	}

	if a.Mode == "" {
		a.Mode = string(setup.ModeRewrite)
	}
	m, err := setup.ParseMode(a.Mode)
	if err != nil {
		return nil, err
	}
	c.Mode, a.Mode = m, string(m)

	switch {
	case a.RuntimeARN != "" && a.AgentCoreGateway != "":
		return nil, errors.New("--runtime-arn and --agentcore-gateway name two targets: give one (a runtime, or an AgentCore Gateway)")
	case a.AgentCoreGateway != "":
		if c.Mode == setup.ModeNative || c.Mode == setup.ModeSigV4 {
			return nil, fmt.Errorf("invalid --mode %s with --agentcore-gateway: Agent Gateway's aws.agentCore backend calls runtimes only; an AgentCore Gateway is reached by rewrite (the default), passthrough or exchange", c.Mode)
		}
		if a.Region == "" {
			a.Region = defaultRegion
		}
		id, arn, err := CheckAgentCoreGateway(a.AgentCoreGateway, a.Region)
		if err != nil {
			return nil, fmt.Errorf("invalid --agentcore-gateway %q: %w", a.AgentCoreGateway, err)
		}
		c.Target, c.AgentCoreGatewayID = setup.TargetAgentCoreGateway, id
		if arn != nil {
			c.AgentCoreGatewayARN, a.Region = arn.String(), arn.Region
		}
		c.Region = a.Region
		if c.Region == "" {
			missing = append(missing, "--region (the gateway was named by id; or give its ARN)")
		} else {
			c.MCPURL = awsops.GatewayMCPURL(id, c.Region)
		}
	case a.RuntimeARN == "":
		missing = append(missing, "--runtime-arn (or --agentcore-gateway)")
	default:
		c.Target = setup.TargetRuntime
		if a.Region == "" {
			a.Region = defaultRegion
		}
		arn, err := CheckRuntimeARN(a.RuntimeARN, a.Region)
		if err != nil {
			return nil, err
		}
		c.ARN, a.Region, c.Region = arn, arn.Region, arn.Region
	}

	if a.Gateway == "" {
		a.Gateway = setup.DefaultGatewayNamespace + "/" + setup.DefaultGatewayName
	}
	if err := CheckGateway(a.Gateway); err != nil {
		return nil, fmt.Errorf("invalid --gateway %q: %w", a.Gateway, err)
	}
	c.GatewayNS, c.GatewayN, _ = strings.Cut(a.Gateway, "/")

	if a.RouteNamespace == "" {
		a.RouteNamespace = setup.DefaultNamespace
	}
	if err := CheckNamespace(a.RouteNamespace); err != nil {
		return nil, fmt.Errorf("invalid --route-namespace %q: %w", a.RouteNamespace, err)
	}
	c.Namespace = a.RouteNamespace
	if a.PathPrefix == "" {
		a.PathPrefix = setup.DefaultPathPrefix
	}
	if err := CheckPathPrefix(a.PathPrefix); err != nil {
		return nil, fmt.Errorf("invalid --path-prefix %q: %w", a.PathPrefix, err)
	}

	if c.Mode.CallerToken() {
		if err := normalizeCaller(&a, c.Mode, &missing); err != nil {
			return nil, err
		}
	} else if a.ExchangeDiscoveryURL+a.ExchangeClientID+a.ExchangeClientSecretFrom+a.ExchangeAudience+a.ExchangeAuthMethod != "" || len(a.ExchangeScopes) > 0 {
		return nil, fmt.Errorf("--exchange-* flags go with --mode exchange (the gateway exchanges the caller's token); this is --mode %s", c.Mode)
	}
	if c.Mode.UsesToken() {
		if a.Identity == "" {
			a.Identity = IdentityCognito
		}
		switch a.Identity {
		case IdentityCognito:
			if a.UserPoolName == "" && a.UserPoolID == "" {
				a.UserPoolName = setup.DefaultUserPoolName
			}
			if a.ClientName == "" && a.ClientID == "" {
				a.ClientName = setup.DefaultClientName
			}
			if a.Username == "" {
				a.Username = setup.DefaultUsername
			}
			if a.UserPoolID != "" {
				if err := CheckUserPoolID(a.UserPoolID); err != nil {
					return nil, fmt.Errorf("invalid --user-pool-id %q: %w", a.UserPoolID, err)
				}
			}
			if a.ClientID != "" {
				if err := CheckClientID(a.ClientID); err != nil {
					return nil, fmt.Errorf("invalid --client-id %q: %w", a.ClientID, err)
				}
			}
			if a.TokenUse == "" {
				a.TokenUse = string(setup.TokenUseID)
			}
			if a.TokenUse != string(setup.TokenUseID) && a.TokenUse != string(setup.TokenUseAccess) {
				return nil, fmt.Errorf("invalid --token-use %q: use id or access", a.TokenUse)
			}
			c.TokenUse = setup.TokenUse(a.TokenUse)
		case IdentityExternal:
			if a.DiscoveryURL == "" {
				missing = append(missing, "--discovery-url")
			} else if err := CheckDiscoveryURL(a.DiscoveryURL); err != nil {
				return nil, fmt.Errorf("invalid --discovery-url %q: %w", a.DiscoveryURL, err)
			}
			c.TokenUse = setup.TokenUseAccess
			if a.ClientID == "" && a.ClientSecretFrom == "" && a.ClientSecret == "" {
				if len(a.Audience) == 0 {
					missing = append(missing, "--audience")
				}
				break
			}
			// By client credentials: the token is minted before anything changes and the authorizer derived from it.
			switch {
			case a.ClientID == "":
				missing = append(missing, "--client-id")
			case a.ClientSecretFrom == "" && a.ClientSecret == "":
				missing = append(missing, "--client-secret-from")
			case a.TokenFile != "":
				return nil, errors.New("--token-file and --client-secret-from are two ways to get the token: give one")
			case len(a.Audience) > 1:
				return nil, errors.New("--audience: with client credentials give the one audience to ask the identity provider for (the authorizer's allowedAudience comes from the token)")
			case len(a.Audience) == 0 && len(a.Scopes) == 0:
				missing = append(missing, "--audience or --scope (what the token is for)")
			}
			if err := secretsource.Validate("client-secret-from", a.ClientSecretFrom); a.ClientSecretFrom != "" && err != nil {
				return nil, err
			}
			req := &clientcreds.Request{ClientID: a.ClientID, Scopes: a.Scopes, AuthMethod: a.AuthMethod, TokenURL: a.TokenURL}
			if len(a.Audience) == 1 {
				req.Audience = a.Audience[0]
			}
			if req.TokenURL == "" {
				req.DiscoveryURL = a.DiscoveryURL
			}
			if a.ClientID != "" && a.DiscoveryURL != "" {
				if err := req.Validate(); err != nil {
					return nil, err
				}
			}
			c.ClientCreds = req
		case IdentityCognitoMachine:
			if err := normalizeMachine(&a); err != nil {
				return nil, err
			}
			c.TokenUse = setup.TokenUseAccess
		default:
			return nil, fmt.Errorf("invalid --identity %q: use cognito, cognito-machine or external", a.Identity)
		}
	}

	rl, err := k8sres.ParseRateLimit(a.RateLimit)
	if err != nil {
		return nil, err
	}
	c.RateLimit = rl
	switch a.RateLimitKind {
	case "", "local", "global":
	default:
		return nil, fmt.Errorf("invalid --rate-limit-kind %q: use local or global", a.RateLimitKind)
	}
	switch err := CheckBurst(a.RateLimitBurst, a.RateLimit, a.RateLimitKind); {
	case errors.Is(err, ErrBurstNeedsRateLimit):
		missing = append(missing, "--rate-limit (--rate-limit-burst was given)")
	case err != nil:
		return nil, fmt.Errorf("invalid --rate-limit-burst %d: %w", a.RateLimitBurst, err)
	case a.RateLimitBurst > 0:
		rl.Burst = a.RateLimitBurst
	}
	if a.Token != "" {
		t, err := PastedToken(a.Token)
		if err != nil {
			return nil, err
		}
		c.ExternalToken = t
	}
	if len(a.CORSOrigins) > 0 {
		for _, o := range a.CORSOrigins {
			if !originRe.MatchString(o) {
				return nil, fmt.Errorf("invalid --cors-origin %q: want scheme://host[:port] (e.g. https://app.example.com) or *", o)
			}
		}
		for i, m := range a.CORSMethods {
			a.CORSMethods[i] = strings.ToUpper(m)
			if !methods[a.CORSMethods[i]] {
				return nil, fmt.Errorf("invalid --cors-method %q: use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, CONNECT, TRACE or *", m)
			}
		}
		if a.CORSMaxAge < 0 {
			return nil, fmt.Errorf("invalid --cors-max-age %d: seconds, ≥ 1", a.CORSMaxAge)
		}
		c.CORS = &k8sres.CORS{Origins: a.CORSOrigins, Methods: a.CORSMethods, Headers: a.CORSHeaders, MaxAge: a.CORSMaxAge}
	} else if len(a.CORSMethods)+len(a.CORSHeaders) > 0 || a.CORSMaxAge != 0 {
		missing = append(missing, "--cors-origin (CORS methods/headers/max age were given)")
	}
	c.Answers = a
	if len(missing) > 0 {
		return c, &MissingError{Missing: missing}
	}
	return c, nil
}

// MintExternal mints the external identity provider's token by client credentials (cfg.ClientCreds, with the
// secret read by the caller) so that a wrong secret, audience or scope stops the wizard before anything changes.
func MintExternal(ctx context.Context, cfg *Config, secret string) error {
	if cfg.ClientCreds == nil {
		return nil
	}
	req := *cfg.ClientCreds
	req.ClientSecret = secret
	switch a := cfg.Answers; {
	case a.ClientSecret != "":
		req.SecretFrom = "the client secret typed"
	case a.ClientSecretFrom != "": // a rerun's: the one the first run stored
		req.SecretFrom = secretsource.Describe(a.ClientSecretFrom, cfg.Namespace, setup.KeyClientSecret) + " (--client-secret-from)"
	}
	res, err := clientcreds.Mint(ctx, req)
	if err != nil {
		return fmt.Errorf("③ identity: minting a token for client %s: %w. Nothing was changed", req.ClientID, err)
	}
	cfg.ClientCreds.ClientSecret = secret
	cfg.ExternalToken, cfg.Minted = res.Token, res
	return nil
}

// normalizeCaller checks the answers of the caller-token modes: the caller IdP's discovery URL and the audiences
// its tokens carry (both required), nothing of a Cognito or service identity, and for exchange the token service
// (discovery URL and audience default to the caller's; the client id and secret source may be left out of an
// offline render: CheckExchangeClient requires them before a live run).
func normalizeCaller(a *Answers, m setup.Mode, missing *[]string) error {
	switch {
	case a.Identity != "" && a.Identity != IdentityExternal:
		return fmt.Errorf("--identity %s: with --mode %s the callers bring their own tokens from their identity provider (--discovery-url); drop --identity", a.Identity, m)
	case a.UserPoolName != "" || a.UserPoolID != "" || a.ClientName != "" || a.Username != "":
		return fmt.Errorf("--user-pool-*/--client-name/--username: with --mode %s there is no Cognito service identity (the callers bring their own tokens); drop them", m)
	case a.TokenFile != "" || a.ClientSecretFrom != "" || a.ClientID != "" || a.TokenURL != "" || len(a.Scopes) > 0 || a.AuthMethod != "":
		return fmt.Errorf("--token-file/--client-id/--client-secret-from/--token-url/--scope/--auth-method: with --mode %s the gateway holds no token of its own; drop them (the token service's client is --exchange-client-id)", m)
	case a.TokenUse != "":
		return fmt.Errorf("--token-use: with --mode %s the callers' access tokens go through; drop --token-use", m)
	}
	a.Identity = ""
	if a.DiscoveryURL == "" {
		*missing = append(*missing, "--discovery-url (the callers' identity provider)")
	} else if err := CheckDiscoveryURL(a.DiscoveryURL); err != nil {
		return fmt.Errorf("invalid --discovery-url %q: %w", a.DiscoveryURL, err)
	}
	for _, au := range a.Audience {
		if strings.TrimSpace(au) == "" {
			return errors.New("invalid --audience: an empty audience")
		}
	}
	if len(a.Audience) == 0 {
		*missing = append(*missing, "--audience (what the callers' tokens carry in aud)")
	}
	if m == setup.ModePassthrough {
		if a.ExchangeDiscoveryURL+a.ExchangeClientID+a.ExchangeClientSecretFrom+a.ExchangeAudience+a.ExchangeAuthMethod != "" || len(a.ExchangeScopes) > 0 {
			return errors.New("--exchange-* flags go with --mode exchange; --mode passthrough sends the caller's token on as it is")
		}
		return nil
	}
	for _, p := range []*string{&a.ExchangeDiscoveryURL, &a.ExchangeClientID, &a.ExchangeAudience, &a.ExchangeAuthMethod, &a.ExchangeClientSecretFrom} {
		*p = strings.TrimSpace(*p)
	}
	if a.ExchangeDiscoveryURL == "" {
		a.ExchangeDiscoveryURL = a.DiscoveryURL
	} else if err := CheckDiscoveryURL(a.ExchangeDiscoveryURL); err != nil {
		return fmt.Errorf("invalid --exchange-discovery-url %q: %w", a.ExchangeDiscoveryURL, err)
	}
	if a.ExchangeAudience == "" {
		switch len(a.Audience) {
		case 0:
		case 1:
			a.ExchangeAudience = a.Audience[0]
		default:
			*missing = append(*missing, "--exchange-audience (the audience of the exchanged token; --audience names several)")
		}
	}
	if strings.ContainsAny(a.ExchangeClientID, " \t\n") {
		return fmt.Errorf("invalid --exchange-client-id %q: a client id has no spaces", a.ExchangeClientID)
	}
	if a.ExchangeAuthMethod != "" && a.ExchangeAuthMethod != "basic" && a.ExchangeAuthMethod != "post" {
		return fmt.Errorf("invalid --exchange-auth-method %q: use basic or post", a.ExchangeAuthMethod)
	}
	for _, sc := range a.ExchangeScopes {
		if sc == "" || strings.ContainsAny(sc, " \t\n\"\\") {
			return fmt.Errorf("invalid --exchange-scope %q: one scope per flag, without spaces or quotes", sc)
		}
	}
	if a.ExchangeClientSecretFrom != "" {
		if err := secretsource.Validate("exchange-client-secret-from", a.ExchangeClientSecretFrom); err != nil {
			return err
		}
	}
	return nil
}

// CheckExchangeClient requires the token service's client before a live run of mode exchange: its id, and (unless
// only planning) where its secret comes from. An offline render may leave both out (placeholders).
func CheckExchangeClient(cfg *Config, planOnly bool) error {
	if cfg.Mode != setup.ModeExchange {
		return nil
	}
	var missing []string
	a := cfg.Answers
	if a.ExchangeClientID == "" {
		missing = append(missing, "--exchange-client-id")
	}
	if !planOnly && a.ExchangeClientSecretFrom == "" && a.ExchangeClientSecret == "" {
		missing = append(missing, "--exchange-client-secret-from ("+secretsource.Forms+")")
	}
	if len(missing) > 0 {
		return &MissingError{Missing: missing}
	}
	return nil
}

// Discover reads the discovery documents of the caller-token modes before anything is planned or rendered: the
// caller IdP's (its issuer, byte for byte, is what the gateway's jwtAuthentication and, in passthrough, the
// runtime's authorizer compare; its jwks_uri is where the gateway gets the keys) and, for exchange, the token
// service's (its issuer and token endpoint). Nothing to do in the other modes.
func Discover(ctx context.Context, cfg *Config, client *http.Client) error {
	if !cfg.Mode.CallerToken() {
		return nil
	}
	a := cfg.Answers
	d, err := tokencheck.FetchDiscovery(ctx, client, a.DiscoveryURL)
	if err != nil {
		return fmt.Errorf("③ identity: reading the callers' identity provider: %w. Check --discovery-url; nothing was changed", err)
	}
	if _, err := jwksLocation(d.JWKSURI); err != nil {
		return fmt.Errorf("③ identity: the callers' identity provider %s: jwks_uri %q: %w; nothing was changed", a.DiscoveryURL, d.JWKSURI, err)
	}
	cfg.CallerDiscovery = d
	if cfg.Mode != setup.ModeExchange {
		return nil
	}
	x := d
	if a.ExchangeDiscoveryURL != a.DiscoveryURL {
		if x, err = tokencheck.FetchDiscovery(ctx, client, a.ExchangeDiscoveryURL); err != nil {
			return fmt.Errorf("③ identity: reading the token service: %w. Check --exchange-discovery-url; nothing was changed", err)
		}
	}
	if x.TokenEndpoint == "" {
		return fmt.Errorf("③ identity: the token service's discovery document %s has no token_endpoint; nothing was changed. Point --exchange-discovery-url at a token service", a.ExchangeDiscoveryURL)
	}
	if _, err := jwksLocation(x.TokenEndpoint); err != nil {
		return fmt.Errorf("③ identity: the token service %s: token_endpoint %q: %w; nothing was changed", a.ExchangeDiscoveryURL, x.TokenEndpoint, err)
	}
	cfg.ExchangeDiscovery = x
	return nil
}

// endpoint is a URL split the way a static backend and a path need it.
type endpoint struct {
	Host  string
	Port  int64
	Plain bool
	Path  string // with the leading "/" and the query, if any
}

// jwksLocation splits an http(s) URL into host, port, TLS and path.
func jwksLocation(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return endpoint{}, errors.New("want an http(s) URL with a host")
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return endpoint{Host: u.Hostname(), Port: portOf(u), Plain: u.Scheme == "http", Path: p}, nil
}

// exchangeAuthMethod is the client authentication toward the token service: the one asked for, else basic when
// the discovery document lists it (or lists none), else post when it lists that.
func exchangeAuthMethod(asked string, d *tokencheck.Discovery) string {
	if asked != "" || d == nil || len(d.AuthMethods) == 0 {
		return cmp.Or(asked, "basic")
	}
	if slices.Contains(d.AuthMethods, "client_secret_basic") {
		return "basic"
	}
	if slices.Contains(d.AuthMethods, "client_secret_post") {
		return "post"
	}
	return "basic"
}

// Defaults of identity (b), a Cognito machine client.
const (
	DefaultMachineClientName     = "agentcore-machine"
	DefaultMachineResourceServer = "agentcore"
	DefaultMachineScope          = "invoke"
)

// Cognito's character rules. The lengths (1–256, 1–63) are checked apart: a counted repeat such as {1,256}
// compiles into hundreds of instructions at every start of the plugin (3.7 ms, 600 kB; logs startup counts).
var (
	resourceServerRe = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
	scopeNameRe      = regexp.MustCompile(`^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$`)
	domainPrefixRe   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
)

// normalizeMachine checks and defaults the answers of identity (b): pool and client (found by name or given by
// id), resource server and scope names (Cognito's character rules), the domain prefix (Cognito's prefix rules).
func normalizeMachine(a *Answers) error {
	if a.UserPoolName == "" && a.UserPoolID == "" {
		a.UserPoolName = setup.DefaultUserPoolName
	}
	if a.ClientName == "" && a.ClientID == "" {
		a.ClientName = DefaultMachineClientName
	}
	if a.UserPoolID != "" {
		if err := CheckUserPoolID(a.UserPoolID); err != nil {
			return fmt.Errorf("invalid --user-pool-id %q: %w", a.UserPoolID, err)
		}
	}
	if a.ClientID != "" {
		if err := CheckClientID(a.ClientID); err != nil {
			return fmt.Errorf("invalid --client-id %q: %w", a.ClientID, err)
		}
	}
	switch {
	case a.Username != "" && a.Username != setup.DefaultUsername:
		return errors.New("--username: a Cognito machine client has no user (the token is minted by client credentials); drop --username, or use --identity cognito")
	case a.TokenFile != "" || a.ClientSecretFrom != "":
		return errors.New("--token-file/--client-secret-from: with --identity cognito-machine the wizard creates the app client and stores its secret itself; drop them")
	case a.TokenUse != "" && a.TokenUse != string(setup.TokenUseAccess):
		return errors.New("--token-use: a Cognito machine client gets access tokens only (client credentials issue no ID token); drop --token-use")
	}
	a.Username = ""
	if a.ResourceServer == "" {
		a.ResourceServer = DefaultMachineResourceServer
	}
	if len(a.ResourceServer) > 256 || !resourceServerRe.MatchString(a.ResourceServer) {
		return fmt.Errorf("invalid --resource-server %q: 1–256 printable characters without spaces, \" or \\ (e.g. agentcore or https://agents.example.com)", a.ResourceServer)
	}
	if len(a.Scopes) == 0 {
		a.Scopes = []string{DefaultMachineScope}
	}
	for _, sc := range a.Scopes {
		if len(sc) > 256 || !scopeNameRe.MatchString(sc) {
			return fmt.Errorf("invalid --scope %q: a scope name under the resource server, without spaces, \", / or \\ (e.g. invoke; the token's scope is %s/invoke)", sc, a.ResourceServer)
		}
	}
	if a.DomainPrefix != "" {
		if len(a.DomainPrefix) > 63 || !domainPrefixRe.MatchString(a.DomainPrefix) || strings.Contains(a.DomainPrefix, "aws") || strings.Contains(a.DomainPrefix, "amazon") || strings.Contains(a.DomainPrefix, "cognito") {
			return fmt.Errorf("invalid --domain-prefix %q: 1–63 lower-case letters, digits and hyphens, not starting or ending with a hyphen, without aws, amazon or cognito", a.DomainPrefix)
		}
	}
	if a.AuthMethod != "" && a.AuthMethod != "basic" && a.AuthMethod != "post" {
		return fmt.Errorf("invalid --auth-method %q: use basic or post", a.AuthMethod)
	}
	if a.TokenURL != "" {
		if err := CheckTokenURL(a.TokenURL); err != nil {
			return fmt.Errorf("invalid --token-url %q: %w", a.TokenURL, err)
		}
	}
	return nil
}

// MachineSpec is the awsops spec of identity (b) for these answers and the record.
func MachineSpec(a Answers, rec setup.Record) awsops.MachineSpec {
	return awsops.MachineSpec{PoolName: rec.UserPoolName, PoolID: a.UserPoolID,
		Pool:           awsops.PoolOptions{Tags: map[string]string{PoolTagKey: PoolTagValue}},
		ResourceServer: a.ResourceServer, Scopes: a.Scopes, DomainPrefix: a.DomainPrefix,
		ClientName: a.ClientName, ClientID: a.ClientID}
}
