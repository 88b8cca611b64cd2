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
)

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
}

// TokenPlaceholder marks a token the render does not have (offline render, or redacted output).
const TokenPlaceholder = "REPLACE-ME--an-ID-token-from-your-identity-provider--kubectl-agentcore-rotate-fills-it"

// Validate checks the spec is complete and consistent.
func (s ManifestSpec) Validate() error {
	switch s.Mode {
	case ModeRewrite, ModeNative, ModeSigV4:
	default:
		return fmt.Errorf("unknown mode %q: use rewrite, native or sigv4", s.Mode)
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
	if s.Mode != ModeRewrite && s.RuntimeARN == "" {
		missing = append(missing, "runtime ARN")
	}
	if s.Mode == ModeRewrite && (s.DataPlaneHost == "" || s.InvocationPath == "") {
		missing = append(missing, "data-plane host and invocation path")
	}
	if s.Mode != ModeSigV4 && s.SecretName == "" {
		missing = append(missing, "secret name")
	}
	if (s.Mode == ModeRewrite || s.RateLimit != nil || s.CORS != nil) && s.PolicyGVK.Kind == "" {
		missing = append(missing, "policy kind")
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

// BuildManifests returns, in apply order: Namespace (when asked), token Secret (not for sigv4), backend,
// backend policy (rewrite), HTTPRoute, RateLimitConfig (global rate limit), traffic policy (rate limit / CORS).
func BuildManifests(s ManifestSpec) ([]*unstructured.Unstructured, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	if s.CreateNamespace {
		out = append(out, obj("v1", "Namespace", "", s.Namespace, s.Labels, nil))
	}
	if s.Mode != ModeSigV4 {
		out = append(out, TokenSecret(s.Namespace, s.SecretName, s.Token, s.Labels))
	}
	bspec := map[string]any{}
	switch s.Mode {
	case ModeRewrite:
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

	if s.Mode == ModeRewrite {
		backend := map[string]any{"auth": map[string]any{"secretRef": map[string]any{"name": s.SecretName}}}
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
	if s.Mode == ModeRewrite {
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
