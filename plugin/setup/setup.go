// Package setup is the record the wizard leaves in the cluster so that doctor, rotate and teardown need no flags
// later: a ConfigMap with the non-secret settings and a separate Secret with what token rotation needs. Both are
// labelled app.kubernetes.io/managed-by=kubectl-agentcore and app.kubernetes.io/component=setup-record.
package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"
)

// Default names of everything the wizard creates.
const (
	DefaultNamespace           = "agentcore"       // where the route, backend, policy, Secrets and record live
	DefaultRecordName          = "agentcore-setup" // the ConfigMap (record) and, with CredentialsSuffix, its Secret
	CredentialsSuffix          = "-credentials"
	DefaultSecretName          = "agentcore-jwt" // the gateway's `Authorization: Bearer <token>` Secret
	DefaultBackendName         = "agentcore"
	DefaultPolicyName          = "agentcore"
	DefaultTrafficPolicyName   = "agentcore-traffic"
	DefaultRouteName           = "agentcore"
	DefaultRateLimitConfigName = "agentcore"
	DefaultUserPoolName        = "agentcore"
	DefaultClientName          = "agentcore-gateway"
	DefaultUsername            = "agentcore-gateway"
	DefaultPathPrefix          = "/agentcore"

	DefaultGatewayNamespace = "agentgateway-system"
	DefaultGatewayName      = "agentgateway-proxy"
	LegacyGatewayNamespace  = "enterprise-agentgateway"
	LegacyGatewayName       = "agentgateway"

	// SecretKey is the key of the gateway Secret the policy's backend.auth.secretRef reads.
	SecretKey = "Authorization"

	// Caller-token modes (ModePassthrough, ModeExchange).
	DefaultJWTPolicyName       = "agentcore-jwt"           // traffic.jwtAuthentication on the route
	DefaultCallerJWKSBackend   = "agentcore-idp"           // static backend for the caller IdP's JWKS host
	DefaultExchangeBackendName = "agentcore-token-service" // static backend for the token service's host
	DefaultExchangeSecretName  = "agentcore-token-service" // the exchange client's secret
	// ExchangeSecretKey is the key of the exchange client's secret in ExchangeSecretName (clientAuth.secretRef.key).
	ExchangeSecretKey = "client_secret"
)

// Labels on the record objects (besides k8sres.LabelManagedBy).
const (
	LabelComponent  = "app.kubernetes.io/component"
	ComponentRecord = "setup-record"
	// LabelSetup on every object the wizard creates names the record (namespace.name) it belongs to.
	LabelSetup = "agentcore.dev/setup"
)

// Targets: what the route leads to.
const (
	TargetRuntime          = "runtime"
	TargetAgentCoreGateway = "agentcore-gateway"
)

// Mode is how the gateway reaches the runtime.
type Mode string

const (
	// ModeRewrite is the published recipe: a static backend on the data-plane host, a policy with backend TLS and
	// a bearer secretRef, and an HTTPRoute rewriting to /runtimes/<encoded ARN>/invocations.
	ModeRewrite Mode = "rewrite"
	// ModeNative is an aws.agentCore backend with policies.auth.secretRef (no rewrite needed).
	ModeNative Mode = "native"
	// ModeSigV4 is the aws.agentCore backend signing with the proxy pods' AWS credentials (IRSA): no Cognito.
	ModeSigV4 Mode = "sigv4"
	// ModePassthrough sends the caller's own token on: a traffic.jwtAuthentication policy validates it at the
	// gateway (Caller*), backend.auth.passthrough adds it back to the request to AgentCore, whose authorizer trusts
	// the same identity provider. No token Secret, nothing to rotate.
	ModePassthrough Mode = "passthrough"
	// ModeExchange validates the caller's token like ModePassthrough, then backend.auth.oauthTokenExchange trades
	// it at a token service (RFC 8693, Exchange*) for a token AgentCore's authorizer accepts (on-behalf-of, with an
	// act claim). The token service's client secret is in a Secret; no bearer token Secret, nothing to rotate.
	ModeExchange Mode = "exchange"
)

// Modes lists every mode.
var Modes = []Mode{ModeRewrite, ModeNative, ModeSigV4, ModePassthrough, ModeExchange}

// ParseMode accepts rewrite, native, sigv4, passthrough or exchange.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == strings.ToLower(strings.TrimSpace(s)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q: use rewrite, native, sigv4, passthrough or exchange", s)
}

// UsesToken reports whether the mode puts a bearer token in a Secret (rewrite and native do; sigv4 does not, nor
// do passthrough and exchange, which carry the caller's token).
func (m Mode) UsesToken() bool { return m == ModeRewrite || m == ModeNative }

// CallerToken reports whether the mode carries the caller's own token (passthrough, exchange): the gateway
// validates it with traffic.jwtAuthentication.
func (m Mode) CallerToken() bool { return m == ModePassthrough || m == ModeExchange }

// WithoutToken says what the gateway sends instead of a token of its own, for the modes that hold none (sigv4,
// passthrough, exchange); "" for rewrite and native.
func (m Mode) WithoutToken() string {
	switch m {
	case ModeSigV4:
		return "the proxy signs each call with its own AWS credentials (SigV4)"
	case ModePassthrough:
		return "the gateway sends each caller's own token on"
	case ModeExchange:
		return "the gateway sends a token exchanged for each caller's"
	}
	return ""
}

// TokenUse is which Cognito token the gateway sends.
type TokenUse string

const (
	TokenUseID     TokenUse = "id"
	TokenUseAccess TokenUse = "access"
)

// Identity providers.
const (
	IdPCognito  = "cognito"
	IdPExternal = "external" // Auth0, Okta, Entra …: discovery URL + audience, token obtained by the user
	IdPNone     = "none"     // sigv4
	// IdPCognitoMachine is a Cognito app client for the OAuth 2.0 client-credentials grant: a resource server with
	// scopes, a user-pool domain whose /oauth2/token mints the access token, no user.
	IdPCognitoMachine = "cognito-machine"
)

// Record is the non-secret part of the setup (the ConfigMap).
type Record struct {
	// Namespace and Name of the ConfigMap; Namespace is also where the route, backend, policy and Secrets live.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`

	Region     string `json:"region"`
	RuntimeARN string `json:"runtimeArn"`
	Mode       Mode   `json:"mode"`

	// Target is what the route leads to: TargetRuntime ("" reads as it) or TargetAgentCoreGateway. For a gateway,
	// AgentCoreGateway is its ARN (its id when only the id is known) and MCPURL the MCP endpoint the route
	// rewrites to (GetGateway's gatewayUrl); RuntimeARN is empty.
	Target           string `json:"target,omitempty"`
	AgentCoreGateway string `json:"agentCoreGateway,omitempty"`
	MCPURL           string `json:"mcpUrl,omitempty"`
	// PreviousAuthorizerType is an AgentCore Gateway's authorizer type before the wizard changed it (AWS_IAM,
	// NONE, CUSTOM_JWT), for teardown's restore; "" = not changed by the wizard.
	PreviousAuthorizerType string `json:"previousAuthorizerType,omitempty"`

	IdentityProvider string   `json:"identityProvider"` // cognito | external | none
	UserPoolID       string   `json:"userPoolId,omitempty"`
	UserPoolName     string   `json:"userPoolName,omitempty"`
	ClientID         string   `json:"clientId,omitempty"`
	Username         string   `json:"username,omitempty"`
	Issuer           string   `json:"issuer,omitempty"`
	DiscoveryURL     string   `json:"discoveryUrl,omitempty"`
	Audience         []string `json:"audience,omitempty"`
	TokenUse         TokenUse `json:"tokenUse,omitempty"`

	// How an external identity provider's token is obtained: TokenSourceClientCredentials (the plugin mints it
	// with ClientID and the credentials Secret's client secret at TokenURL, or at the token endpoint of
	// DiscoveryURL's document) or TokenSourcePasted ("" for external: pasted, nothing to renew it with).
	TokenSource    string   `json:"tokenSource,omitempty"`
	TokenURL       string   `json:"tokenUrl,omitempty"`
	TokenAudience  string   `json:"tokenAudience,omitempty"` // the audience asked for (Auth0 audience / resource)
	TokenScopes    []string `json:"tokenScopes,omitempty"`
	AuthMethod     string   `json:"authMethod,omitempty"`     // basic | post ("" = what discovery accepts)
	AllowedClients []string `json:"allowedClients,omitempty"` // the authorizer's allowedClients, when derived

	// Cognito machine client (IdPCognitoMachine): the resource server (TokenScopes are its "<id>/<name>" scopes)
	// and the user-pool domain, and which of them and of the app client the wizard created (teardown removes
	// exactly those).
	ResourceServer        string `json:"resourceServer,omitempty"`
	Domain                string `json:"domain,omitempty"`
	CreatedResourceServer bool   `json:"createdResourceServer,omitempty"`
	CreatedDomain         bool   `json:"createdDomain,omitempty"`
	CreatedClient         bool   `json:"createdClient,omitempty"`

	// The caller's identity provider (ModePassthrough, ModeExchange): what the gateway's traffic.jwtAuthentication
	// accepts (issuer byte for byte, audiences, JWKS of the discovery document) and the policy that holds it. In
	// passthrough the runtime's authorizer trusts the same provider (DiscoveryURL/Audience above repeat it).
	CallerDiscoveryURL string   `json:"callerDiscoveryUrl,omitempty"`
	CallerIssuer       string   `json:"callerIssuer,omitempty"`
	CallerAudiences    []string `json:"callerAudiences,omitempty"`
	JWTPolicyName      string   `json:"jwtPolicyName,omitempty"`
	// CallerJWKSBackendName is the static backend for the host of the caller IdP's jwks_uri, which the
	// jwtAuthentication provider's jwks.remote.backendRef names (with jwksPath the rest of the URL).
	CallerJWKSBackendName string `json:"callerJwksBackendName,omitempty"`

	// The token service (ModeExchange): where the gateway exchanges the caller's token (RFC 8693), with which client
	// (its secret is in ExchangeSecretName, key client_secret, never in the record), for which audience and scopes.
	// The runtime's authorizer trusts the exchanged token: DiscoveryURL/Audience above are the token service's.
	ExchangeDiscoveryURL string   `json:"exchangeDiscoveryUrl,omitempty"`
	ExchangeTokenURL     string   `json:"exchangeTokenUrl,omitempty"`
	ExchangeClientID     string   `json:"exchangeClientId,omitempty"`
	ExchangeAuthMethod   string   `json:"exchangeAuthMethod,omitempty"` // basic | post
	ExchangeAudience     string   `json:"exchangeAudience,omitempty"`
	ExchangeScopes       []string `json:"exchangeScopes,omitempty"`
	ExchangeSecretName   string   `json:"exchangeSecretName,omitempty"`
	ExchangeBackendName  string   `json:"exchangeBackendName,omitempty"` // backend for the token service's host

	GatewayNamespace string `json:"gatewayNamespace"`
	GatewayName      string `json:"gatewayName"`

	// Objects the wizard applied, all in Namespace.
	SecretName          string `json:"secretName,omitempty"`
	BackendName         string `json:"backendName"`
	BackendAPIVersion   string `json:"backendApiVersion"` // e.g. agentgateway.dev/v1alpha1
	BackendKind         string `json:"backendKind"`       // AgentgatewayBackend | EnterpriseAgentgatewayBackend
	PolicyName          string `json:"policyName,omitempty"`
	PolicyAPIVersion    string `json:"policyApiVersion,omitempty"`
	PolicyKind          string `json:"policyKind,omitempty"`        // AgentgatewayPolicy | EnterpriseAgentgatewayPolicy
	TrafficPolicyName   string `json:"trafficPolicyName,omitempty"` // rate limit / CORS policy on the route (same kind)
	RouteName           string `json:"routeName"`
	PathPrefix          string `json:"pathPrefix,omitempty"`
	RateLimitConfigName string `json:"rateLimitConfigName,omitempty"`

	// Options (⑥) as asked, so a rerun or a render from the record repeats them.
	RateLimit      string   `json:"rateLimit,omitempty"` // e.g. 3/minute
	RateLimitBurst int32    `json:"rateLimitBurst,omitempty"`
	CORSOrigins    []string `json:"corsOrigins,omitempty"`
	CORSMethods    []string `json:"corsMethods,omitempty"`
	CORSHeaders    []string `json:"corsHeaders,omitempty"`
	CORSMaxAge     int32    `json:"corsMaxAge,omitempty"`

	// CreatingUserPool is the name of a user pool the wizard is about to create, written BEFORE the
	// CreateUserPool call: a rerun after an interruption that finds a pool by this name knows the wizard made
	// it (CreatedUserPool), even though its id was never recorded. Cleared once the id is recorded.
	CreatingUserPool string `json:"creatingUserPool,omitempty"`

	// PreviousAuthorizer is the runtime's authorizer before the wizard changed it, as JSON
	// ("null" = the runtime was IAM-only; "" = not recorded / never changed by the wizard).
	PreviousAuthorizer string `json:"previousAuthorizer,omitempty"`

	CreatedNamespace bool `json:"createdNamespace"`
	CreatedUserPool  bool `json:"createdUserPool"`

	UpdatedAt time.Time `json:"updatedAt,omitzero"`

	// Annotations are the record ConfigMap's annotations as read (the renewers' status, plugin/rotate's
	// ReadStatus); Save never writes them.
	Annotations map[string]string `json:"-"`
}

// Credentials is the secret part of the setup (the record's Secret): what rotation needs to mint a new token.
type Credentials struct {
	ClientSecret string `json:"-"`
	Password     string `json:"-"`
	RefreshToken string `json:"-"`
}

// Empty reports whether nothing is stored.
func (c Credentials) Empty() bool {
	return c.ClientSecret == "" && c.Password == "" && c.RefreshToken == ""
}

// Token sources of an external identity provider.
const (
	TokenSourceClientCredentials = "client-credentials"
	TokenSourcePasted            = "pasted"
)

// ClientCredentials reports whether the plugin mints this setup's token by OAuth 2.0 client credentials.
func (r Record) ClientCredentials() bool {
	return (r.IdentityProvider == IdPExternal || r.IdentityProvider == IdPCognitoMachine) && r.TokenSource == TokenSourceClientCredentials
}

// Keys of the record's Secret.
const (
	KeyClientSecret = "clientSecret"
	KeyPassword     = "password"
	KeyRefreshToken = "refreshToken"
)

// WithDefaults fills every empty name with its default.
func (r Record) WithDefaults() Record {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&r.Namespace, DefaultNamespace)
	def(&r.Name, DefaultRecordName)
	def(&r.GatewayNamespace, DefaultGatewayNamespace)
	def(&r.GatewayName, DefaultGatewayName)
	def(&r.BackendName, DefaultBackendName)
	def(&r.RouteName, DefaultRouteName)
	def(&r.PathPrefix, DefaultPathPrefix)
	if r.Mode == "" {
		r.Mode = ModeRewrite
	}
	if r.Mode.UsesToken() {
		def(&r.SecretName, DefaultSecretName)
		if r.Mode == ModeRewrite { // native mode's auth is on the backend: it has no auth policy
			def(&r.PolicyName, DefaultPolicyName)
		}
		if r.IdentityProvider == "" {
			r.IdentityProvider = IdPCognito
		}
		if r.TokenUse == "" {
			r.TokenUse = TokenUseID
		}
	} else if r.Mode.CallerToken() {
		// The runtime's authorizer trusts an external provider: the caller's IdP (passthrough) or the token
		// service (exchange).
		r.IdentityProvider = IdPExternal
		def(&r.PolicyName, DefaultPolicyName)
		def(&r.JWTPolicyName, DefaultJWTPolicyName)
		def(&r.CallerJWKSBackendName, DefaultCallerJWKSBackend)
		if r.Mode == ModeExchange {
			def(&r.ExchangeBackendName, DefaultExchangeBackendName)
			def(&r.ExchangeSecretName, DefaultExchangeSecretName)
		}
	} else {
		r.IdentityProvider = IdPNone
	}
	if r.Region == "" && r.RuntimeARN != "" {
		if a, err := awsops.ParseRuntimeARN(r.RuntimeARN); err == nil {
			r.Region = a.Region
		}
	}
	if r.Region == "" && r.AgentCoreGateway != "" {
		if a, err := awsops.ParseGatewayARN(r.AgentCoreGateway); err == nil {
			r.Region = a.Region
		}
	}
	if r.Target == "" {
		r.Target = TargetRuntime
		if r.AgentCoreGateway != "" && r.RuntimeARN == "" {
			r.Target = TargetAgentCoreGateway
		}
	}
	return r
}

// IsAgentCoreGateway reports whether the route leads to an AgentCore Gateway (MCP) rather than a runtime.
func (r Record) IsAgentCoreGateway() bool {
	return r.Target == TargetAgentCoreGateway || r.Target == "" && r.AgentCoreGateway != "" && r.RuntimeARN == ""
}

// GatewayTarget is the AgentCore Gateway (ARN or id) the record's route leads to, "" when it leads to a runtime.
// doctor and rotate read the AgentCore side from it when no flag names one, so both check the same authorizer.
func (r Record) GatewayTarget() string {
	if r.IsAgentCoreGateway() {
		return r.AgentCoreGateway
	}
	return ""
}

// TargetName is the AgentCore side in words: "runtime <ARN>" or "AgentCore Gateway <ARN or id>".
func (r Record) TargetName() string {
	if r.IsAgentCoreGateway() {
		return "AgentCore Gateway " + r.AgentCoreGateway
	}
	return "runtime " + r.RuntimeARN
}

// TargetNoun is what AgentCore checks the token at, in a sentence's words: "the runtime", or "the AgentCore
// Gateway".
func (r Record) TargetNoun() string { return TargetNoun(r.IsAgentCoreGateway()) }

// TargetNoun is the words for a runtime target, or an AgentCore Gateway one: the one rule doctor and the wizard
// name the target by.
func TargetNoun(agentCoreGateway bool) string {
	if agentCoreGateway {
		return "the AgentCore Gateway"
	}
	return "the runtime"
}

// Gateway is "namespace/name" of the gateway the route attaches to.
func (r Record) Gateway() string { return k8sres.Ref(r.GatewayNamespace, r.GatewayName) }

// Ref is "namespace/name" of the record.
func (r Record) Ref() string { return k8sres.Ref(r.Namespace, r.Name) }

// CredentialsName is the name of the record's Secret.
func (r Record) CredentialsName() string { return r.Name + CredentialsSuffix }

// SetupLabel is the value of LabelSetup on every object of this setup.
func (r Record) SetupLabel() string { return r.Namespace + "." + r.Name }

// ARN parses RuntimeARN.
func (r Record) ARN() (awsops.RuntimeARN, error) { return awsops.ParseRuntimeARN(r.RuntimeARN) }

// PreviousAuthorizerKnown reports whether the authorizer before the wizard was recorded (IAM-only counts).
func (r Record) PreviousAuthorizerKnown() bool { return r.PreviousAuthorizer != "" }

// Data is the ConfigMap data of the record.
func (r Record) Data() map[string]string {
	d := map[string]string{
		"region": r.Region, "runtimeArn": r.RuntimeARN, "mode": string(r.Mode), "identityProvider": r.IdentityProvider,
		"userPoolId": r.UserPoolID, "userPoolName": r.UserPoolName, "clientId": r.ClientID, "username": r.Username,
		"issuer": r.Issuer, "discoveryUrl": r.DiscoveryURL, "audience": strings.Join(r.Audience, ","),
		"tokenUse": string(r.TokenUse), "gatewayNamespace": r.GatewayNamespace, "gatewayName": r.GatewayName,
		"secretName": r.SecretName, "backendName": r.BackendName, "backendApiVersion": r.BackendAPIVersion,
		"backendKind": r.BackendKind, "policyName": r.PolicyName, "policyApiVersion": r.PolicyAPIVersion,
		"policyKind": r.PolicyKind, "trafficPolicyName": r.TrafficPolicyName, "routeName": r.RouteName, "pathPrefix": r.PathPrefix,
		"rateLimitConfigName": r.RateLimitConfigName, "previousAuthorizer": r.PreviousAuthorizer,
		"createdNamespace": strconv.FormatBool(r.CreatedNamespace), "createdUserPool": strconv.FormatBool(r.CreatedUserPool),
		"rateLimit": r.RateLimit, "corsOrigins": strings.Join(r.CORSOrigins, ","), "corsMethods": strings.Join(r.CORSMethods, ","),
		"corsHeaders": strings.Join(r.CORSHeaders, ","), "creatingUserPool": r.CreatingUserPool,
		"tokenSource": r.TokenSource, "tokenUrl": r.TokenURL, "tokenAudience": r.TokenAudience,
		"tokenScopes": strings.Join(r.TokenScopes, " "), "authMethod": r.AuthMethod,
		"allowedClients": strings.Join(r.AllowedClients, ","),
		"target":         r.Target, "agentCoreGateway": r.AgentCoreGateway, "mcpUrl": r.MCPURL,
		"previousAuthorizerType": r.PreviousAuthorizerType,
		"resourceServer":         r.ResourceServer, "domain": r.Domain,
		"callerDiscoveryUrl": r.CallerDiscoveryURL, "callerIssuer": r.CallerIssuer,
		"callerAudiences": strings.Join(r.CallerAudiences, ","), "jwtPolicyName": r.JWTPolicyName,
		"callerJwksBackendName": r.CallerJWKSBackendName,
		"exchangeDiscoveryUrl":  r.ExchangeDiscoveryURL, "exchangeTokenUrl": r.ExchangeTokenURL,
		"exchangeClientId": r.ExchangeClientID, "exchangeAuthMethod": r.ExchangeAuthMethod,
		"exchangeAudience": r.ExchangeAudience, "exchangeScopes": strings.Join(r.ExchangeScopes, " "),
		"exchangeSecretName": r.ExchangeSecretName, "exchangeBackendName": r.ExchangeBackendName,
	}
	for k, v := range map[string]bool{"createdResourceServer": r.CreatedResourceServer, "createdDomain": r.CreatedDomain, "createdClient": r.CreatedClient} {
		if v {
			d[k] = "true"
		}
	}
	if d["target"] == TargetRuntime {
		delete(d, "target") // the default: records written before targets existed stay as they were
	}
	if r.RateLimitBurst > 0 {
		d["rateLimitBurst"] = strconv.Itoa(int(r.RateLimitBurst))
	}
	if r.CORSMaxAge > 0 {
		d["corsMaxAge"] = strconv.Itoa(int(r.CORSMaxAge))
	}
	if !r.UpdatedAt.IsZero() {
		d["updatedAt"] = r.UpdatedAt.UTC().Format(time.RFC3339)
	}
	for k, v := range d {
		if v == "" {
			delete(d, k)
		}
	}
	return d
}

// FromConfigMap reads a record back.
func FromConfigMap(cm *corev1.ConfigMap) (*Record, error) {
	d := cm.Data
	r := &Record{
		Namespace: cm.Namespace, Name: cm.Name, Annotations: cm.Annotations,
		Region: d["region"], RuntimeARN: d["runtimeArn"], Mode: Mode(d["mode"]), IdentityProvider: d["identityProvider"],
		UserPoolID: d["userPoolId"], UserPoolName: d["userPoolName"], ClientID: d["clientId"], Username: d["username"],
		Issuer: d["issuer"], DiscoveryURL: d["discoveryUrl"], TokenUse: TokenUse(d["tokenUse"]),
		GatewayNamespace: d["gatewayNamespace"], GatewayName: d["gatewayName"], SecretName: d["secretName"],
		BackendName: d["backendName"], BackendAPIVersion: d["backendApiVersion"], BackendKind: d["backendKind"],
		PolicyName: d["policyName"], PolicyAPIVersion: d["policyApiVersion"], PolicyKind: d["policyKind"], TrafficPolicyName: d["trafficPolicyName"],
		RouteName: d["routeName"], PathPrefix: d["pathPrefix"], RateLimitConfigName: d["rateLimitConfigName"],
		PreviousAuthorizer: d["previousAuthorizer"],
		CreatedNamespace:   d["createdNamespace"] == "true", CreatedUserPool: d["createdUserPool"] == "true",
		RateLimit: d["rateLimit"], CreatingUserPool: d["creatingUserPool"],
		Audience: splitList(d["audience"]), CORSOrigins: splitList(d["corsOrigins"]),
		CORSMethods: splitList(d["corsMethods"]), CORSHeaders: splitList(d["corsHeaders"]),
		TokenSource: d["tokenSource"], TokenURL: d["tokenUrl"], TokenAudience: d["tokenAudience"],
		TokenScopes: strings.Fields(d["tokenScopes"]), AuthMethod: d["authMethod"], AllowedClients: splitList(d["allowedClients"]),
		Target: d["target"], AgentCoreGateway: d["agentCoreGateway"], MCPURL: d["mcpUrl"],
		PreviousAuthorizerType: d["previousAuthorizerType"],
		ResourceServer:         d["resourceServer"], Domain: d["domain"], CreatedResourceServer: d["createdResourceServer"] == "true",
		CreatedDomain: d["createdDomain"] == "true", CreatedClient: d["createdClient"] == "true",
		CallerDiscoveryURL: d["callerDiscoveryUrl"], CallerIssuer: d["callerIssuer"], CallerAudiences: splitList(d["callerAudiences"]),
		JWTPolicyName: d["jwtPolicyName"], CallerJWKSBackendName: d["callerJwksBackendName"],
		ExchangeDiscoveryURL: d["exchangeDiscoveryUrl"], ExchangeTokenURL: d["exchangeTokenUrl"], ExchangeClientID: d["exchangeClientId"],
		ExchangeAuthMethod: d["exchangeAuthMethod"], ExchangeAudience: d["exchangeAudience"], ExchangeScopes: strings.Fields(d["exchangeScopes"]),
		ExchangeSecretName: d["exchangeSecretName"], ExchangeBackendName: d["exchangeBackendName"],
	}
	if n, err := strconv.ParseInt(d["rateLimitBurst"], 10, 32); err == nil && n > 0 {
		r.RateLimitBurst = int32(n)
	}
	if n, err := strconv.ParseInt(d["corsMaxAge"], 10, 32); err == nil && n > 0 {
		r.CORSMaxAge = int32(n)
	}
	if t, err := time.Parse(time.RFC3339, d["updatedAt"]); err == nil {
		r.UpdatedAt = t
	}
	if r.Mode != "" {
		if _, err := ParseMode(string(r.Mode)); err != nil {
			return nil, fmt.Errorf("setup record %s: %w", k8sres.Ref(cm.Namespace, cm.Name), err)
		}
	}
	switch r.Target {
	case "", TargetRuntime, TargetAgentCoreGateway:
	default:
		return nil, fmt.Errorf("setup record %s has target %q: this plugin knows %s and %s. Rerun kubectl agentcore wizard", k8sres.Ref(cm.Namespace, cm.Name), r.Target, TargetRuntime, TargetAgentCoreGateway)
	}
	if (r.RuntimeARN == "" && !r.IsAgentCoreGateway()) || (r.IsAgentCoreGateway() && r.AgentCoreGateway == "") || r.GatewayName == "" {
		return nil, fmt.Errorf("setup record %s is incomplete (no runtimeArn or agentCoreGateway, or no gatewayName). Rerun kubectl agentcore wizard", k8sres.Ref(cm.Namespace, cm.Name))
	}
	return r, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Labels are the labels of the record objects.
func (r Record) Labels() map[string]string {
	return map[string]string{k8sres.LabelManagedBy: k8sres.ManagedByValue, LabelComponent: ComponentRecord, LabelSetup: r.SetupLabel()}
}

// ObjectLabels are the labels of every other object the wizard creates for this setup.
func (r Record) ObjectLabels() map[string]string {
	return map[string]string{k8sres.LabelManagedBy: k8sres.ManagedByValue, LabelSetup: r.SetupLabel()}
}

// ConfigMap is the record as an object ready to apply.
func (r Record) ConfigMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace, Labels: r.Labels()},
		Data:       r.Data(),
	}
}

// Secret is the credentials as an object ready to apply (empty values are left out).
func (r Record) Secret(c Credentials) *corev1.Secret {
	d := map[string]string{}
	if c.ClientSecret != "" {
		d[KeyClientSecret] = c.ClientSecret
	}
	if c.Password != "" {
		d[KeyPassword] = c.Password
	}
	if c.RefreshToken != "" {
		d[KeyRefreshToken] = c.RefreshToken
	}
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: r.CredentialsName(), Namespace: r.Namespace, Labels: r.Labels()},
		Type:       corev1.SecretTypeOpaque,
		StringData: d,
	}
}

// ErrNotFound is returned (wrapped) when no setup record exists.
var ErrNotFound = errors.New("no setup record found")

// Load reads the record named DefaultRecordName in namespace ("" = DefaultNamespace). Credentials are not read:
// use LoadCredentials (doctor may lack RBAC on Secrets).
func Load(ctx context.Context, kube kubernetes.Interface, namespace string) (*Record, error) {
	return LoadNamed(ctx, kube, namespace, DefaultRecordName)
}

// LoadNamed reads the record namespace/name.
func LoadNamed(ctx context.Context, kube kubernetes.Interface, namespace, name string) (*Record, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	cm, err := kube.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%w in namespace %s (ConfigMap %s). Run kubectl agentcore wizard first, or pass -n", ErrNotFound, namespace, name)
	}
	if err != nil {
		return nil, k8sres.Explain("reading the setup record ConfigMap "+k8sres.Ref(namespace, name), err)
	}
	return FromConfigMap(cm)
}

// RecordSelector is the label selector of every setup record ConfigMap.
func RecordSelector() string {
	return k8sres.LabelManagedBy + "=" + k8sres.ManagedByValue + "," + LabelComponent + "=" + ComponentRecord
}

// Find lists every setup record in the cluster (ConfigMaps labelled as records), sorted by namespace/name.
// When listing across namespaces is forbidden it falls back to DefaultNamespace.
func Find(ctx context.Context, kube kubernetes.Interface) ([]*Record, error) {
	recs, _, err := FindAll(ctx, kube)
	return recs, err
}

// FindAll is Find that also says whether it saw every namespace: false when listing across namespaces is
// forbidden, so that records elsewhere are not known (what asks whether other setups share something says so:
// Unseen).
func FindAll(ctx context.Context, kube kubernetes.Interface) (recs []*Record, everyNamespace bool, err error) {
	out, err := List(ctx, kube, metav1.NamespaceAll)
	if !apierrors.IsForbidden(err) {
		return out, err == nil, err
	}
	out, err = List(ctx, kube, DefaultNamespace)
	if apierrors.IsForbidden(err) {
		return nil, false, nil
	}
	return out, false, err
}

// Unseen starts the warning given when FindAll could not see every namespace; what follows says what a setup
// there would suffer.
const Unseen = "you may not list setup records in every namespace (ConfigMaps labelled " + LabelComponent + "=" + ComponentRecord + "), so setups elsewhere were not checked"

// List lists the setup records of namespace ("" = every namespace), sorted by namespace/name; ConfigMaps that
// are not readable records are left out. A forbidden list is returned as the API error (apierrors.IsForbidden).
func List(ctx context.Context, kube kubernetes.Interface, namespace string) ([]*Record, error) {
	list, err := kube.CoreV1().ConfigMaps(namespace).List(ctx, metav1.ListOptions{LabelSelector: RecordSelector()})
	if apierrors.IsForbidden(err) {
		return nil, err
	}
	if err != nil {
		return nil, k8sres.Explain("listing setup records (ConfigMaps labelled "+LabelComponent+"="+ComponentRecord+")", err)
	}
	var out []*Record
	for i := range list.Items {
		r, err := FromConfigMap(&list.Items[i])
		if err != nil {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref() < out[j].Ref() })
	return out, nil
}

// Resolve picks the record a command works on: namespace's record when namespace is given, else the only
// record in the cluster. No record, or several without a namespace, is an error that says what to do.
func Resolve(ctx context.Context, kube kubernetes.Interface, namespace string) (*Record, error) {
	if namespace != "" {
		return Load(ctx, kube, namespace)
	}
	recs, err := Find(ctx, kube)
	if err != nil {
		return nil, err
	}
	switch len(recs) {
	case 0:
		return nil, fmt.Errorf("%w in the cluster. Run kubectl agentcore wizard first, or pass -n with the setup's namespace", ErrNotFound)
	case 1:
		return recs[0], nil
	}
	var refs []string
	for _, r := range recs {
		refs = append(refs, r.Namespace)
	}
	return nil, fmt.Errorf("%d setup records found (namespaces %s). Pass -n to pick one", len(recs), strings.Join(refs, ", "))
}

// LoadCredentials reads the record's Secret. A missing Secret gives empty Credentials and no error.
func LoadCredentials(ctx context.Context, kube kubernetes.Interface, r *Record) (Credentials, error) {
	s, err := kube.CoreV1().Secrets(r.Namespace).Get(ctx, r.CredentialsName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Credentials{}, nil
	}
	if err != nil {
		return Credentials{}, k8sres.Explain("reading the setup credentials Secret "+k8sres.Ref(r.Namespace, r.CredentialsName()), err)
	}
	return Credentials{
		ClientSecret: string(s.Data[KeyClientSecret]),
		Password:     string(s.Data[KeyPassword]),
		RefreshToken: string(s.Data[KeyRefreshToken]),
	}, nil
}

// Save server-side applies the record ConfigMap and, unless c is nil, its credentials Secret (field manager
// k8sres.FieldManager). UpdatedAt is set to now when zero.
func Save(ctx context.Context, kube kubernetes.Interface, r *Record, c *Credentials) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = time.Now()
	}
	cm := r.ConfigMap()
	cmAC := corev1ac.ConfigMap(cm.Name, cm.Namespace).WithLabels(cm.Labels).WithData(cm.Data)
	opts := metav1.ApplyOptions{FieldManager: k8sres.FieldManager, Force: true}
	if _, err := kube.CoreV1().ConfigMaps(r.Namespace).Apply(ctx, cmAC, opts); err != nil {
		return k8sres.Explain("saving the setup record ConfigMap "+r.Ref(), err)
	}
	if c == nil {
		return nil
	}
	return SaveCredentials(ctx, kube, r, *c)
}

// SaveCredentials server-side applies the record's Secret (rotate uses it to store a new refresh token). c is
// the whole set: a key left empty is removed from the Secret, so load, change, save.
func SaveCredentials(ctx context.Context, kube kubernetes.Interface, r *Record, c Credentials) error {
	s := r.Secret(c)
	data := map[string][]byte{}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	ac := corev1ac.Secret(s.Name, s.Namespace).WithLabels(s.Labels).WithType(s.Type).WithData(data)
	opts := metav1.ApplyOptions{FieldManager: k8sres.FieldManager, Force: true}
	if _, err := kube.CoreV1().Secrets(r.Namespace).Apply(ctx, ac, opts); err != nil {
		return k8sres.Explain("saving the setup credentials Secret "+k8sres.Ref(r.Namespace, r.CredentialsName()), err)
	}
	return nil
}

// MarshalAuthorizer encodes an authorizer (any JSON-able value; nil = IAM-only) for PreviousAuthorizer.
func MarshalAuthorizer(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
