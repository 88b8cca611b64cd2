package k8sres

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Gateway modes (see plugin/setup for what each means).
const (
	ModeRewrite = "rewrite"
	ModeNative  = "native"
	ModeSigV4   = "sigv4"
	// ModePassthrough and ModeExchange carry the caller's own token: the rewrite shape (static backend + URL
	// rewrite) plus a traffic.jwtAuthentication policy on the route, and on the backend policy
	// backend.auth.passthrough or backend.auth.oauthTokenExchange instead of a bearer secretRef.
	ModePassthrough = "passthrough"
	ModeExchange    = "exchange"
)

// CallerJWT is the route's traffic.jwtAuthentication provider: the caller's identity provider, its issuer byte for
// byte, the audiences accepted ("" = any), and where its JWKS is (jwks.remote: a static backend for the jwks_uri's
// host and the rest of the URL as jwksPath).
type CallerJWT struct {
	PolicyName  string
	Issuer      string
	Audiences   []string
	BackendName string
	Host        string
	Port        int64
	PlainHTTP   bool   // an http:// jwks_uri: no backend TLS
	JWKSPath    string // relative to the root, without the leading "/"
}

// TokenExchange is the backend policy's backend.auth.oauthTokenExchange (RFC 8693, grant TokenExchange): the token
// service as a static backend and the token endpoint's path, the client (its secret in SecretName, key
// ExchangeSecretKey), the audience and scopes asked for.
type TokenExchange struct {
	BackendName string
	Host        string
	Port        int64
	PlainHTTP   bool
	Path        string
	ClientID    string
	AuthMethod  string // basic | post
	SecretName  string
	// ClientSecret goes into the Secret; empty → ExchangeSecretPlaceholder.
	ClientSecret string
	Audience     string
	Scopes       []string
}

// ExchangeSecretKey is the key of the token service client's secret (clientAuth.secretRef.key).
const ExchangeSecretKey = "client_secret"

// Placeholders of an offline render that does not know the exchange client.
const (
	ExchangeSecretPlaceholder   = "REPLACE-ME--the-token-service-client-secret"
	ExchangeClientIDPlaceholder = "REPLACE-ME--the-token-service-client-id"
)

// SubjectTokenExpression is where oauthTokenExchange reads the caller's token: traffic.jwtAuthentication removes
// the Authorization header once it has validated it, and the default subject token source (that header) does not
// fall back to the validated token, so the exchange names it (the validated JWT, as CEL).
const SubjectTokenExpression = "jwt.rawToken.unredacted()"

// CallerToken reports whether the mode validates the caller's token at the gateway.
func CallerToken(mode string) bool { return mode == ModePassthrough || mode == ModeExchange }

func rewriteShape(mode string) bool { return mode == ModeRewrite || CallerToken(mode) }

// RateLimit is requests per unit (Seconds, Minutes or Hours).
type RateLimit struct {
	Requests int32  `json:"requests"`
	Unit     string `json:"unit"`
	Burst    int32  `json:"burst,omitempty"`
}

var rateRe = regexp.MustCompile(`^\s*(\d+)\s*/\s*([a-zA-Z]+)\s*$`)

// ParseRateLimit reads "3/minute" (units: s, sec, second(s), m, min, minute(s), h, hour(s)). "" → nil.
func ParseRateLimit(s string) (*RateLimit, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := rateRe.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("invalid rate limit %q: want REQUESTS/UNIT, e.g. 3/minute, 10/second, 1000/hour", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 32)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("invalid rate limit %q: requests must be a whole number ≥ 1", s)
	}
	var unit string
	switch strings.ToLower(m[2]) {
	case "s", "sec", "second", "seconds":
		unit = "Seconds"
	case "m", "min", "minute", "minutes":
		unit = "Minutes"
	case "h", "hr", "hour", "hours":
		unit = "Hours"
	default:
		return nil, fmt.Errorf("invalid rate limit %q: unit must be second, minute or hour", s)
	}
	return &RateLimit{Requests: int32(n), Unit: unit}, nil
}

// String is "3/minute" (the burst is not part of it: see Burst).
func (r RateLimit) String() string {
	return fmt.Sprintf("%d/%s", r.Requests, strings.ToLower(strings.TrimSuffix(r.Unit, "s")))
}

// CORS is the traffic.cors policy (Gateway API CORS filter shape).
type CORS struct {
	Origins []string `json:"origins"`
	Methods []string `json:"methods,omitempty"`
	Headers []string `json:"headers,omitempty"`
	MaxAge  int32    `json:"maxAge,omitempty"`
}

// ManifestSpec is everything the gateway manifests depend on. Names are final (defaults applied by the caller).
type ManifestSpec struct {
	Mode      string
	Namespace string
	// CreateNamespace adds a Namespace object.
	CreateNamespace bool

	RuntimeARN     string
	DataPlaneHost  string // bedrock-agentcore.<region>.amazonaws.com
	InvocationPath string // /runtimes/<encoded ARN>/invocations
	// DataPlanePort is the upstream port in rewrite mode (0 = 443); PlainHTTP leaves out the backend TLS (an
	// http:// upstream, e.g. a local AgentCore). An AgentCore Gateway target sets DataPlaneHost, DataPlanePort and
	// InvocationPath from its MCP URL and leaves RuntimeARN empty (rewrite mode only).
	DataPlanePort int64
	PlainHTTP     bool

	GatewayNamespace, GatewayName string
	PathPrefix                    string

	SecretName, BackendName, PolicyName, TrafficPolicyName, RouteName, RateLimitConfigName string

	BackendGVK, PolicyGVK schema.GroupVersionKind
	// GlobalRateLimit uses Enterprise RateLimitConfig + entRateLimit instead of traffic.rateLimit.local.
	GlobalRateLimit bool
	RateLimit       *RateLimit
	CORS            *CORS

	// Token is the bearer token for the Secret; empty → TokenPlaceholder.
	Token  string
	Labels map[string]string

	// Caller is the route's jwtAuthentication (passthrough, exchange); Exchange the token exchange (exchange).
	Caller   *CallerJWT
	Exchange *TokenExchange
}

// TokenPlaceholder marks a token the render does not have (offline render, or redacted output).
const TokenPlaceholder = "REPLACE-ME--an-ID-token-from-your-identity-provider--kubectl-agentcore-rotate-fills-it"

// Validate checks the spec is complete and consistent.
func (s ManifestSpec) Validate() error {
	switch s.Mode {
	case ModeRewrite, ModeNative, ModeSigV4, ModePassthrough, ModeExchange:
	default:
		return fmt.Errorf("unknown mode %q: use rewrite, native, sigv4, passthrough or exchange", s.Mode)
	}
	var missing []string
	for _, f := range []struct{ v, n string }{
		{s.Namespace, "namespace"}, {s.GatewayNamespace, "gateway namespace"},
		{s.GatewayName, "gateway name"}, {s.BackendName, "backend name"}, {s.RouteName, "route name"},
		{s.BackendGVK.Kind, "backend kind"},
	} {
		if f.v == "" {
			missing = append(missing, f.n)
		}
	}
	if !rewriteShape(s.Mode) && s.RuntimeARN == "" {
		missing = append(missing, "runtime ARN")
	}
	if rewriteShape(s.Mode) && (s.DataPlaneHost == "" || s.InvocationPath == "") {
		missing = append(missing, "data-plane host and invocation path")
	}
	if (s.Mode == ModeRewrite || s.Mode == ModeNative) && s.SecretName == "" {
		missing = append(missing, "secret name")
	}
	if (rewriteShape(s.Mode) || s.RateLimit != nil || s.CORS != nil) && s.PolicyGVK.Kind == "" {
		missing = append(missing, "policy kind")
	}
	if rewriteShape(s.Mode) && s.PolicyName == "" {
		missing = append(missing, "policy name")
	}
	if CallerToken(s.Mode) {
		if c := s.Caller; c == nil || c.PolicyName == "" || c.Issuer == "" || c.BackendName == "" || c.Host == "" || c.Port == 0 || c.JWKSPath == "" {
			missing = append(missing, "the caller's identity provider (jwt policy name, issuer, JWKS backend, host, port and path)")
		}
	}
	if s.Mode == ModeExchange {
		if x := s.Exchange; x == nil || x.BackendName == "" || x.Host == "" || x.Port == 0 || x.Path == "" || x.ClientID == "" || x.SecretName == "" {
			missing = append(missing, "the token service (backend, host, port, token path, client id and secret name)")
		}
	}
	if (s.RateLimit != nil || s.CORS != nil) && s.TrafficPolicyName == "" {
		missing = append(missing, "traffic policy name")
	}
	if s.GlobalRateLimit && s.RateLimit != nil && (s.RateLimitConfigName == "" || s.PolicyGVK != GVKEnterprisePolicy) {
		missing = append(missing, "RateLimitConfig name and the Enterprise policy kind (global rate limit)")
	}
	if s.RateLimit != nil && s.RateLimit.Burst < 0 {
		return fmt.Errorf("rate limit burst %d is negative", s.RateLimit.Burst)
	}
	if s.GlobalRateLimit && s.RateLimit != nil && s.RateLimit.Burst > 0 {
		return fmt.Errorf("a global rate limit (RateLimitConfig) has no burst: use the local limiter for a burst")
	}
	if len(missing) > 0 {
		return fmt.Errorf("manifests need %s", strings.Join(missing, ", "))
	}
	return nil
}

// BuildManifests returns, in apply order: Namespace (when asked), token Secret (rewrite, native) or the token
// service client's Secret (exchange), the JWKS and token-service backends (passthrough, exchange), backend,
// backend policy (rewrite, passthrough, exchange), HTTPRoute, jwtAuthentication policy (passthrough, exchange),
// RateLimitConfig (global rate limit), traffic policy (rate limit / CORS).
func BuildManifests(s ManifestSpec) ([]*unstructured.Unstructured, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	if s.CreateNamespace {
		out = append(out, obj("v1", "Namespace", "", s.Namespace, s.Labels, nil))
	}
	if s.Mode == ModeRewrite || s.Mode == ModeNative {
		out = append(out, TokenSecret(s.Namespace, s.SecretName, s.Token, s.Labels))
	}
	if s.Mode == ModeExchange {
		out = append(out, ExchangeSecret(s.Namespace, s.Exchange.SecretName, s.Exchange.ClientSecret, s.Labels))
	}
	if CallerToken(s.Mode) {
		c := s.Caller
		out = append(out, obj(s.BackendGVK.GroupVersion().String(), s.BackendGVK.Kind, s.Namespace, c.BackendName, s.Labels, staticBackend(c.Host, c.Port, c.PlainHTTP)))
	}
	if s.Mode == ModeExchange {
		x := s.Exchange
		out = append(out, obj(s.BackendGVK.GroupVersion().String(), s.BackendGVK.Kind, s.Namespace, x.BackendName, s.Labels, staticBackend(x.Host, x.Port, x.PlainHTTP)))
	}
	bspec := map[string]any{}
	switch s.Mode {
	case ModeRewrite, ModePassthrough, ModeExchange:
		port := s.DataPlanePort
		if port == 0 {
			port = 443
		}
		bspec["static"] = map[string]any{"host": s.DataPlaneHost, "port": port}
	case ModeNative:
		bspec["aws"] = map[string]any{"agentCore": map[string]any{"agentRuntimeArn": s.RuntimeARN}}
		bspec["policies"] = map[string]any{"auth": map[string]any{"secretRef": map[string]any{"name": s.SecretName}}}
	case ModeSigV4:
		bspec["aws"] = map[string]any{"agentCore": map[string]any{"agentRuntimeArn": s.RuntimeARN}}
	}
	out = append(out, obj(s.BackendGVK.GroupVersion().String(), s.BackendGVK.Kind, s.Namespace, s.BackendName, s.Labels, bspec))

	if rewriteShape(s.Mode) {
		backend := map[string]any{"auth": map[string]any{"secretRef": map[string]any{"name": s.SecretName}}}
		switch s.Mode {
		case ModePassthrough:
			backend["auth"] = map[string]any{"passthrough": map[string]any{}}
		case ModeExchange:
			backend["auth"] = map[string]any{"oauthTokenExchange": s.tokenExchange()}
		}
		if !s.PlainHTTP {
			backend["tls"] = map[string]any{}
		}
		pspec := map[string]any{
			"targetRefs": []any{map[string]any{"group": s.BackendGVK.Group, "kind": s.BackendGVK.Kind, "name": s.BackendName}},
			"backend":    backend,
		}
		out = append(out, obj(s.PolicyGVK.GroupVersion().String(), s.PolicyGVK.Kind, s.Namespace, s.PolicyName, s.Labels, pspec))
	}

	rule := map[string]any{
		"matches":     []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": pathPrefix(s.PathPrefix)}}},
		"backendRefs": []any{map[string]any{"group": s.BackendGVK.Group, "kind": s.BackendGVK.Kind, "name": s.BackendName}},
	}
	if rewriteShape(s.Mode) {
		rule["filters"] = []any{map[string]any{
			"type": "URLRewrite",
			"urlRewrite": map[string]any{
				"hostname": s.DataPlaneHost,
				"path":     map[string]any{"type": "ReplaceFullPath", "replaceFullPath": s.InvocationPath},
			},
		}}
	}
	out = append(out, obj(GVKHTTPRoute.GroupVersion().String(), GVKHTTPRoute.Kind, s.Namespace, s.RouteName, s.Labels, map[string]any{
		"parentRefs": []any{map[string]any{"group": GroupGatewayAPI, "kind": "Gateway", "name": s.GatewayName, "namespace": s.GatewayNamespace}},
		"rules":      []any{rule},
	}))

	if CallerToken(s.Mode) {
		c := s.Caller
		provider := map[string]any{
			"issuer": c.Issuer,
			"jwks": map[string]any{"remote": map[string]any{
				"backendRef": map[string]any{"group": s.BackendGVK.Group, "kind": s.BackendGVK.Kind, "name": c.BackendName},
				"jwksPath":   c.JWKSPath,
			}},
		}
		if len(c.Audiences) > 0 {
			provider["audiences"] = strs(c.Audiences)
		}
		out = append(out, obj(s.PolicyGVK.GroupVersion().String(), s.PolicyGVK.Kind, s.Namespace, c.PolicyName, s.Labels, map[string]any{
			"targetRefs": []any{map[string]any{"group": GroupGatewayAPI, "kind": "HTTPRoute", "name": s.RouteName}},
			"traffic":    map[string]any{"jwtAuthentication": map[string]any{"mode": "Strict", "providers": []any{provider}}},
		}))
	}

	if s.GlobalRateLimit && s.RateLimit != nil {
		out = append(out, obj(GVKRateLimitConfig.GroupVersion().String(), GVKRateLimitConfig.Kind, s.Namespace, s.RateLimitConfigName, s.Labels, map[string]any{
			"raw": map[string]any{
				"descriptors": []any{map[string]any{
					"key": "generic_key", "value": s.RateLimitConfigName,
					"rateLimit": map[string]any{"requestsPerUnit": int64(s.RateLimit.Requests), "unit": strings.ToUpper(strings.TrimSuffix(s.RateLimit.Unit, "s"))},
				}},
				"rateLimits": []any{map[string]any{
					"actions": []any{map[string]any{"genericKey": map[string]any{"descriptorValue": s.RateLimitConfigName}}},
				}},
			},
		}))
	}

	if s.RateLimit != nil || s.CORS != nil {
		traffic := map[string]any{}
		if s.RateLimit != nil {
			if s.GlobalRateLimit {
				traffic["entRateLimit"] = map[string]any{"global": map[string]any{
					"rateLimitConfigRefs": []any{map[string]any{"name": s.RateLimitConfigName, "namespace": s.Namespace}},
				}}
			} else {
				l := map[string]any{"requests": int64(s.RateLimit.Requests), "unit": s.RateLimit.Unit}
				if s.RateLimit.Burst > 0 {
					l["burst"] = int64(s.RateLimit.Burst)
				}
				traffic["rateLimit"] = map[string]any{"local": []any{l}}
			}
		}
		if c := s.CORS; c != nil {
			cors := map[string]any{"allowOrigins": strs(c.Origins)}
			if len(c.Methods) > 0 {
				cors["allowMethods"] = strs(c.Methods)
			}
			if len(c.Headers) > 0 {
				cors["allowHeaders"] = strs(c.Headers)
			}
			if c.MaxAge > 0 {
				cors["maxAge"] = int64(c.MaxAge)
			}
			traffic["cors"] = cors
		}
		out = append(out, obj(s.PolicyGVK.GroupVersion().String(), s.PolicyGVK.Kind, s.Namespace, s.TrafficPolicyName, s.Labels, map[string]any{
			"targetRefs": []any{map[string]any{"group": GroupGatewayAPI, "kind": "HTTPRoute", "name": s.RouteName}},
			"traffic":    traffic,
		}))
	}
	return out, nil
}

// tokenExchange is backend.auth.oauthTokenExchange for s.Exchange.
func (s ManifestSpec) tokenExchange() map[string]any {
	x := s.Exchange
	method := "ClientSecretBasic"
	if x.AuthMethod == "post" {
		method = "ClientSecretPost"
	}
	te := map[string]any{
		"grantType":  "TokenExchange",
		"backendRef": map[string]any{"group": s.BackendGVK.Group, "kind": s.BackendGVK.Kind, "name": x.BackendName},
		"path":       x.Path,
		"clientAuth": map[string]any{"clientId": x.ClientID, "method": method,
			"secretRef": map[string]any{"name": x.SecretName, "key": ExchangeSecretKey}},
		"subjectToken": map[string]any{"source": map[string]any{"expression": SubjectTokenExpression}},
	}
	if x.Audience != "" {
		te["audiences"] = []any{x.Audience}
	}
	if len(x.Scopes) > 0 {
		te["scopes"] = strs(x.Scopes)
	}
	return te
}

// staticBackend is the spec of a static backend for host:port, with TLS (system roots) unless plain HTTP.
func staticBackend(host string, port int64, plain bool) map[string]any {
	b := map[string]any{"static": map[string]any{"host": host, "port": port}}
	if !plain {
		b["policies"] = map[string]any{"tls": map[string]any{}}
	}
	return b
}

// ExchangeSecret is the token service client's Secret: key ExchangeSecretKey (data, base64). An empty secret gets
// ExchangeSecretPlaceholder.
func ExchangeSecret(namespace, name, secret string, labels map[string]string) *unstructured.Unstructured {
	if secret == "" {
		secret = ExchangeSecretPlaceholder
	}
	o := obj("v1", "Secret", namespace, name, labels, nil)
	o.Object["type"] = "Opaque"
	o.Object["data"] = map[string]any{ExchangeSecretKey: base64.StdEncoding.EncodeToString([]byte(secret))}
	return o
}

// TokenSecret is the gateway's Secret: key Authorization = "Bearer <token>" (data, base64). An empty token gets
// TokenPlaceholder.
func TokenSecret(namespace, name, token string, labels map[string]string) *unstructured.Unstructured {
	if token == "" {
		token = TokenPlaceholder
	}
	o := obj("v1", "Secret", namespace, name, labels, nil)
	o.Object["type"] = "Opaque"
	o.Object["data"] = map[string]any{"Authorization": base64.StdEncoding.EncodeToString([]byte(bearer.Value(token)))}
	return o
}

func pathPrefix(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.HasPrefix(p, "/") {
		return "/" + p
	}
	return p
}

func strs(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func obj(apiVersion, kind, namespace, name string, labels map[string]string, spec map[string]any) *unstructured.Unstructured {
	md := map[string]any{"name": name}
	if namespace != "" {
		md["namespace"] = namespace
	}
	if len(labels) > 0 {
		l := map[string]any{}
		for k, v := range labels {
			l[k] = v
		}
		md["labels"] = l
	}
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}}
	if spec != nil {
		o.Object["spec"] = spec
	}
	return o
}
