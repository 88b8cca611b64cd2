package doctor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// This file: what the gateway does with the caller's own token (passthrough and exchange modes), read from the
// policies — live, or from rendered manifests offline — never from the setup record alone.

// jwtProvider is one traffic.jwtAuthentication provider: the issuer (byte for byte), the audiences it accepts
// (nil = any) and where its keys come from.
type jwtProvider struct {
	Issuer    string
	Audiences []string
	// JWKSPath and JWKSBackend are jwks.remote's (the gateway fetches backend + path); InlineJWKS is jwks.inline.
	JWKSPath    string
	JWKSBackend string
	InlineJWKS  string
}

// exchangeSpec is a policy's backend.auth.oauthTokenExchange.
type exchangeSpec struct {
	Backend   string // backendRef, kind/name
	Path      string
	GrantType string
	ClientID  string
	Method    string // ClientSecretBasic | ClientSecretPost | PrivateKeyJwt
	SecretRef Ref
	SecretKey string
	Audiences []string
	Scopes    []string
}

// callerSetup is the gateway's side of a caller-token setup.
type callerSetup struct {
	// mode is what the policies do: tokencheck.SourcePassthrough, SourceExchange, or SourceSecret (neither).
	mode   string
	record *setup.Record
	// jwt is the policy with traffic.jwtAuthentication (nil = none targets the route or its Gateway).
	jwt       *unstructured.Unstructured
	jwtMode   string // Strict (default), Optional, Permissive
	providers []jwtProvider
	// auth is the policy with backend.auth.passthrough or oauthTokenExchange.
	auth     *unstructured.Unstructured
	exchange *exchangeSpec
	routeRef Ref
}

// readCallerSetup reads the caller-token parts of the target's policies.
func readCallerSetup(t *target) *callerSetup {
	c := &callerSetup{mode: t.tokenSource(), record: t.record, routeRef: t.routeRef}
	for _, p := range t.policies {
		if ja, ok, _ := unstructured.NestedMap(p.Object, "spec", "traffic", "jwtAuthentication"); ok && c.jwt == nil {
			c.jwt = p
			c.jwtMode, _ = ja["mode"].(string)
			if c.jwtMode == "" {
				c.jwtMode = "Strict"
			}
			provs, _ := ja["providers"].([]any)
			for _, pv := range provs {
				m, _ := pv.(map[string]any)
				jp := jwtProvider{}
				jp.Issuer, _ = m["issuer"].(string)
				jp.Audiences = stringList(m["audiences"])
				jp.JWKSPath, _, _ = unstructured.NestedString(m, "jwks", "remote", "jwksPath")
				if br, ok, _ := unstructured.NestedMap(m, "jwks", "remote", "backendRef"); ok {
					jp.JWKSBackend = refText(br)
				}
				jp.InlineJWKS, _, _ = unstructured.NestedString(m, "jwks", "inline")
				c.providers = append(c.providers, jp)
			}
		}
		if _, ok, _ := unstructured.NestedMap(p.Object, "spec", "backend", "auth", "passthrough"); ok && c.auth == nil {
			c.auth = p
		}
		if ex, ok, _ := unstructured.NestedMap(p.Object, "spec", "backend", "auth", "oauthTokenExchange"); ok && c.auth == nil {
			c.auth = p
			e := &exchangeSpec{}
			if br, ok, _ := unstructured.NestedMap(ex, "backendRef"); ok {
				e.Backend = refText(br)
			}
			e.Path, _ = ex["path"].(string)
			e.GrantType, _ = ex["grantType"].(string)
			e.ClientID, _, _ = unstructured.NestedString(ex, "clientAuth", "clientId")
			e.Method, _, _ = unstructured.NestedString(ex, "clientAuth", "method")
			if name, _, _ := unstructured.NestedString(ex, "clientAuth", "secretRef", "name"); name != "" {
				e.SecretRef = Ref{p.GetNamespace(), name}
				e.SecretKey, _, _ = unstructured.NestedString(ex, "clientAuth", "secretRef", "key")
			}
			if e.SecretKey == "" {
				e.SecretKey = exchangeSecretKey
			}
			e.Audiences = stringList(ex["audiences"])
			e.Scopes = stringList(ex["scopes"])
			c.exchange = e
		}
	}
	return c
}

// exchangeSecretKey is the key of the token service client's secret (the wizard's; clientAuth.secretRef.key
// overrides it).
const exchangeSecretKey = "client_secret"

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func refText(m map[string]any) string {
	kind, _ := m["kind"].(string)
	if kind == "" {
		kind = "Service"
	}
	name, _ := m["name"].(string)
	s := kind + " " + name
	if p, ok := m["port"]; ok {
		s += fmt.Sprintf(":%v", p)
	}
	return s
}

// issuers lists the providers' issuers.
func (c *callerSetup) issuers() []string {
	var out []string
	for _, p := range c.providers {
		out = append(out, p.Issuer)
	}
	return out
}

// audiences is the union of the providers' audiences; any is true when a provider accepts every audience.
func (c *callerSetup) audiences() (auds []string, any bool) {
	for _, p := range c.providers {
		if len(p.Audiences) == 0 {
			any = true
		}
		for _, a := range p.Audiences {
			addOnce(&auds, a)
		}
	}
	return auds, any
}

// discoveryURL is the caller identity provider's discovery document: the record's, else the first provider's
// issuer + /.well-known/openid-configuration.
func (c *callerSetup) discoveryURL() string {
	if c.record != nil && c.record.CallerDiscoveryURL != "" {
		return c.record.CallerDiscoveryURL
	}
	if len(c.providers) > 0 && c.providers[0].Issuer != "" {
		return tokencheck.DiscoveryURLFor(c.providers[0].Issuer)
	}
	return ""
}

// exchangeDiscoveryURL is the token service's discovery document (the record's; by default the caller's).
func (c *callerSetup) exchangeDiscoveryURL() string {
	if c.record != nil && c.record.ExchangeDiscoveryURL != "" {
		return c.record.ExchangeDiscoveryURL
	}
	return c.discoveryURL()
}

// exchangeAudience is what the gateway asks the token service for: the policy's audiences, else the record's.
func (c *callerSetup) exchangeAudiences() []string {
	if c.exchange != nil && len(c.exchange.Audiences) > 0 {
		return c.exchange.Audiences
	}
	if c.record != nil && c.record.ExchangeAudience != "" {
		return []string{c.record.ExchangeAudience}
	}
	return nil
}

func addOnce(s *[]string, v string) {
	for _, x := range *s {
		if x == v {
			return
		}
	}
	*s = append(*s, v)
}

// Rendered is a setup read from manifests (the wizard's `--dry-run -o yaml`) for offline checks: the route, the
// backends, the policies and, when the file has it, the setup record ConfigMap.
type Rendered struct {
	Objects []*unstructured.Unstructured
	Record  *setup.Record
}

// ParseManifests reads a multi-document YAML (or JSON) stream of manifests.
func ParseManifests(b []byte) (*Rendered, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 64<<10)
	r := &Rendered{}
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("not a YAML or JSON manifest stream: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" {
			return nil, fmt.Errorf("a document without kind (%d documents read)", len(r.Objects))
		}
		if u.GetKind() == "List" {
			items, _, _ := unstructured.NestedSlice(m, "items")
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					r.Objects = append(r.Objects, &unstructured.Unstructured{Object: im})
				}
			}
			continue
		}
		r.Objects = append(r.Objects, u)
	}
	for _, o := range r.Objects {
		if o.GetKind() != "ConfigMap" || o.GetLabels()[setup.LabelComponent] != setup.ComponentRecord {
			continue
		}
		var cm corev1.ConfigMap
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cm); err != nil {
			return nil, fmt.Errorf("setup record ConfigMap %s: %w", o.GetName(), err)
		}
		rec, err := setup.FromConfigMap(&cm)
		if err != nil {
			return nil, err
		}
		rec2 := rec.WithDefaults()
		r.Record = &rec2
	}
	if len(r.Objects) == 0 {
		return nil, errors.New("no manifests in it")
	}
	return r, nil
}

// target is the rendered setup as doctor's target: the record's route (else the only HTTPRoute), its backends
// and the policies that target it, its backends or its Gateway.
func (r *Rendered) target() (*target, error) {
	t := &target{source: "rendered manifests", record: r.Record}
	var routes []*unstructured.Unstructured
	for _, o := range r.Objects {
		if o.GetKind() == "HTTPRoute" && (r.Record == nil || o.GetName() == r.Record.RouteName) {
			routes = append(routes, o)
		}
	}
	switch {
	case len(routes) == 0:
		return nil, errors.New("the manifests have no HTTPRoute: give the wizard's whole --dry-run -o yaml output")
	case len(routes) > 1:
		return nil, fmt.Errorf("the manifests have %d HTTPRoutes and no setup record naming one: give one setup's manifests", len(routes))
	}
	t.route = routes[0]
	t.routeRef = Ref{t.route.GetNamespace(), t.route.GetName()}
	if p := routeParents(t.route); len(p) > 0 {
		t.gatewayRef = p[0]
	}
	t.backendRefs = routeBackends(t.route)
	for _, o := range r.Objects {
		switch {
		case strings.HasSuffix(o.GetKind(), "AgentgatewayPolicy"):
			t.policies = append(t.policies, o)
		case strings.HasSuffix(o.GetKind(), "AgentgatewayBackend"):
			for _, br := range t.backendRefs {
				if br == (Ref{o.GetNamespace(), o.GetName()}) {
					t.backends = append(t.backends, o)
				}
			}
		}
	}
	t.nsPolicies = t.policies
	t.policies = relevantPolicies(t)
	if r.Record != nil {
		t.mode = string(r.Record.Mode)
		t.arn = r.Record.RuntimeARN
	}
	return t, nil
}
