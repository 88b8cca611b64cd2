package gatewaystandin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

// The caller's token at the gateway (docs/agentgateway-controller.md#the-callers-token): traffic.jwtAuthentication
// validates it, backend.auth.passthrough sends it on, backend.auth.oauthTokenExchange trades it at a token service.
// The answers and access-log fields are Agent Gateway's (crates/agentgateway/src/http/jwt.rs, proxy/mod.rs,
// telemetry/log.rs, http/auth/token_exchange.rs in github.com/agentgateway/agentgateway).

// jwtSpec is one policy's traffic.jwtAuthentication.
type jwtSpec struct {
	policy    string // ns/name
	mode      string // Strict | Optional (default) | Permissive
	header    string // where the token is read (default Authorization)
	prefix    string // its prefix (default "Bearer ")
	providers []jwtProvider
}

type jwtProvider struct {
	issuer    string
	audiences []string // nil: any audience
	inline    []byte
	jwksURL   string
	ttl       time.Duration
	err       string // the JWKS cannot be reached (a backend the stand-in cannot resolve)
}

// exchangeSpec is one policy's backend.auth.oauthTokenExchange.
type exchangeSpec struct {
	policy             string
	tokenURL           string
	err                string
	clientID, method   string
	secretNS, secret   string
	secretKey          string
	audiences          []string
	resources          []string
	scopes             []string
	requestedTokenType string
	subjectTokenType   string
	// subjectFromJWT: subjectToken.source is the CEL expression of the validated token (jwt.rawToken); otherwise
	// the subject is read from the request's Authorization header, which a jwtAuthentication policy has removed.
	subjectFromJWT bool
}

// Auth modes of a route entry's backend auth.
const (
	authSecret      = "secret"
	authPassthrough = "passthrough"
	authExchange    = "exchange"
)

// parseJWT reads spec.traffic.jwtAuthentication (nil when the policy has none).
func (s *StandIn) parseJWT(p *unstructured.Unstructured) *jwtSpec {
	ja, ok, _ := unstructured.NestedMap(p.Object, "spec", "traffic", "jwtAuthentication")
	if !ok {
		return nil
	}
	js := &jwtSpec{policy: p.GetNamespace() + "/" + p.GetName(), mode: "Optional", header: "Authorization", prefix: "Bearer "}
	if m, _, _ := unstructured.NestedString(ja, "mode"); m != "" {
		js.mode = m
	}
	if h, ok, _ := unstructured.NestedString(ja, "location", "header", "name"); ok && h != "" {
		js.header, js.prefix = h, ""
		js.prefix, _, _ = unstructured.NestedString(ja, "location", "header", "prefix")
	}
	provs, _, _ := unstructured.NestedSlice(ja, "providers")
	for _, pv := range provs {
		pm, _ := pv.(map[string]any)
		jp := jwtProvider{ttl: 5 * time.Minute}
		jp.issuer, _, _ = unstructured.NestedString(pm, "issuer")
		if auds, ok, _ := unstructured.NestedStringSlice(pm, "audiences"); ok {
			jp.audiences = auds
		}
		if in, ok, _ := unstructured.NestedString(pm, "jwks", "inline"); ok {
			jp.inline = []byte(in)
		} else if rm, ok, _ := unstructured.NestedMap(pm, "jwks", "remote"); ok {
			path, _, _ := unstructured.NestedString(rm, "jwksPath")
			ref, _, _ := unstructured.NestedMap(rm, "backendRef")
			base, err := s.backendURL(p.GetNamespace(), ref)
			if err != nil {
				jp.err = err.Error()
			} else {
				jp.jwksURL = base + "/" + strings.TrimLeft(path, "/")
			}
			if d, _, _ := unstructured.NestedString(rm, "cacheDuration"); d != "" {
				if v, err := time.ParseDuration(d); err == nil && v > 0 {
					jp.ttl = v
				}
			}
		}
		js.providers = append(js.providers, jp)
	}
	return js
}

// parseExchange reads spec.backend.auth.oauthTokenExchange (nil when the policy has none).
func (s *StandIn) parseExchange(p *unstructured.Unstructured) *exchangeSpec {
	ox, ok, _ := unstructured.NestedMap(p.Object, "spec", "backend", "auth", "oauthTokenExchange")
	if !ok {
		return nil
	}
	ns := p.GetNamespace()
	ex := &exchangeSpec{policy: ns + "/" + p.GetName(), method: "ClientSecretBasic", secretNS: ns, secretKey: "clientSecret",
		subjectTokenType: clientcreds.TokenTypeAccess}
	if g, _, _ := unstructured.NestedString(ox, "grantType"); g != "" && g != "TokenExchange" {
		ex.err = "grantType " + g + " is not served by the demo stand-in (TokenExchange only)"
	}
	ref, _, _ := unstructured.NestedMap(ox, "backendRef")
	base, err := s.backendURL(ns, ref)
	path, _, _ := unstructured.NestedString(ox, "path")
	if path == "" {
		path = "/"
	}
	if err != nil {
		ex.err = err.Error()
	} else {
		ex.tokenURL = base + path
	}
	ex.clientID, _, _ = unstructured.NestedString(ox, "clientAuth", "clientId")
	if m, _, _ := unstructured.NestedString(ox, "clientAuth", "method"); m != "" {
		ex.method = m
	}
	ex.secret, _, _ = unstructured.NestedString(ox, "clientAuth", "secretRef", "name")
	if k, _, _ := unstructured.NestedString(ox, "clientAuth", "secretRef", "key"); k != "" {
		ex.secretKey = k
	}
	ex.audiences, _, _ = unstructured.NestedStringSlice(ox, "audiences")
	ex.resources, _, _ = unstructured.NestedStringSlice(ox, "resources")
	ex.scopes, _, _ = unstructured.NestedStringSlice(ox, "scopes")
	if t, _, _ := unstructured.NestedString(ox, "requestedTokenType"); t != "" {
		ex.requestedTokenType = map[string]string{"AccessToken": clientcreds.TokenTypeAccess, "Jwt": clientcreds.TokenTypeJWT, "IdToken": clientcreds.TokenTypeID}[t]
	}
	if x, _, _ := unstructured.NestedString(ox, "subjectToken", "source", "expression"); strings.Contains(x, "jwt.rawToken") {
		ex.subjectFromJWT = true
	}
	if t, _, _ := unstructured.NestedString(ox, "subjectToken", "tokenType"); t != "" {
		ex.subjectTokenType = map[string]string{"AccessToken": clientcreds.TokenTypeAccess, "Jwt": clientcreds.TokenTypeJWT, "IdToken": clientcreds.TokenTypeID}[t]
		if ex.subjectTokenType == "" {
			ex.subjectTokenType = t // a custom absolute URI
		}
	}
	return ex
}

// backendURL resolves a backendRef to a base URL the stand-in can reach: a static AgentgatewayBackend (http, or
// https on port 443). A Service has no address outside a cluster network: the stand-in says so.
func (s *StandIn) backendURL(ns string, ref map[string]any) (string, error) {
	name, _ := ref["name"].(string)
	kind, _ := ref["kind"].(string)
	if rns, _ := ref["namespace"].(string); rns != "" {
		ns = rns
	}
	if kind == "" || kind == "Service" {
		return "", fmt.Errorf("backendRef Service %s/%s: the demo stand-in reaches only static AgentgatewayBackends", ns, name)
	}
	gvr, ok := backendKinds[kind]
	if !ok {
		return "", fmt.Errorf("backendRef %s %s/%s: the demo stand-in reaches only static AgentgatewayBackends", kind, ns, name)
	}
	b := s.get(gvr, ns, name)
	if b == nil {
		return "", fmt.Errorf("backend %s %s/%s not found", kind, ns, name)
	}
	host, ok, _ := unstructured.NestedString(b.Object, "spec", "static", "host")
	if !ok || host == "" {
		return "", fmt.Errorf("backend %s %s/%s is not a static backend", kind, ns, name)
	}
	port, _, _ := unstructured.NestedFieldNoCopy(b.Object, "spec", "static", "port")
	p := toInt64(port)
	if p == 0 {
		p = 80
	}
	if _, tls, _ := unstructured.NestedMap(b.Object, "spec", "policies", "tls"); tls || p == 443 {
		return "https://" + host + ":" + strconv.FormatInt(p, 10), nil
	}
	return "http://" + host + ":" + strconv.FormatInt(p, 10), nil
}

// jwksCache holds fetched JWKS documents by URL until their cacheDuration passes.
type jwksCache struct {
	mu      sync.Mutex
	entries map[string]jwksEntry
}

type jwksEntry struct {
	body    []byte
	fetched time.Time
}

func (s *StandIn) jwks(ctx context.Context, p jwtProvider) []byte {
	if p.inline != nil {
		return p.inline
	}
	if p.jwksURL == "" {
		return nil
	}
	now := s.o.Now()
	s.jwksC.mu.Lock()
	e, ok := s.jwksC.entries[p.jwksURL]
	s.jwksC.mu.Unlock()
	if ok && now.Sub(e.fetched) < p.ttl {
		return e.body
	}
	body, err := tokencheck.FetchJWKS(ctx, s.client, p.jwksURL)
	if err != nil {
		s.o.Logger.Warn("fetching the JWKS", "url", p.jwksURL, "err", err)
		return nil
	}
	s.jwksC.mu.Lock()
	if s.jwksC.entries == nil {
		s.jwksC.entries = map[string]jwksEntry{}
	}
	s.jwksC.entries[p.jwksURL] = jwksEntry{body: body, fetched: now}
	s.jwksC.mu.Unlock()
	return body
}

// callerToken is the request's token as the policy reads it ("" when absent).
func (js *jwtSpec) callerToken(r *http.Request) string {
	v := r.Header.Get(js.header)
	if js.prefix == "" {
		return strings.TrimSpace(v)
	}
	if len(v) < len(js.prefix) || !strings.EqualFold(v[:len(js.prefix)], js.prefix) {
		return ""
	}
	return strings.TrimSpace(v[len(js.prefix):])
}

// validate checks the caller's token as Agent Gateway's jwtAuthentication does: the key is looked up by kid among
// every provider's keys, then the token is verified (signature, exp, nbf, iss, aud) with that provider's settings.
// It returns the claims, or the TokenError text the gateway puts after "authentication failure: ".
func (s *StandIn) validate(ctx context.Context, js *jwtSpec, raw string) (map[string]any, string) {
	tok, err := tokencheck.Parse(raw)
	if err != nil {
		return nil, "the token header is malformed: Error(InvalidToken)"
	}
	if tok.KeyID == "" {
		return nil, "the token header does not specify a `kid`"
	}
	var prov *jwtProvider
	var jwks []byte
	for i := range js.providers {
		b := s.jwks(ctx, js.providers[i])
		if hasKID(b, tok.KeyID) {
			prov, jwks = &js.providers[i], b
			break
		}
	}
	if prov == nil {
		return nil, fmt.Sprintf("token uses the unknown key %q", tok.KeyID)
	}
	if err := tokencheck.VerifySignature(ctx, tok, jwks); err != nil {
		return nil, "the token is invalid or malformed: Error(InvalidSignature)"
	}
	now := s.o.Now()
	switch {
	case tok.ExpiresAt == nil:
		return nil, `the token is invalid or malformed: Error(MissingRequiredClaim("exp"))`
	case !now.Before(tok.ExpiresAt.Add(60 * time.Second)): // jsonwebtoken's default leeway is 60 s
		return nil, "the token is invalid or malformed: Error(ExpiredSignature)"
	case tok.NotBefore != nil && now.Add(60*time.Second).Before(*tok.NotBefore):
		return nil, "the token is invalid or malformed: Error(ImmatureSignature)"
	case tok.Issuer != prov.issuer:
		return nil, "the token is invalid or malformed: Error(InvalidIssuer)"
	case prov.audiences != nil && len(tok.Audience) == 0:
		return nil, `the token is invalid or malformed: Error(MissingRequiredClaim("aud"))`
	case prov.audiences != nil && !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(prov.audiences, a) }):
		return nil, "the token is invalid or malformed: Error(InvalidAudience)"
	}
	return tok.Claims, ""
}

// exchange trades the caller's token at the token service with the policy's client (clientcreds.Exchange, the
// plugin's own RFC 8693 client). A failure is worded as Agent Gateway words it after "backend authentication
// failed: ".
func (s *StandIn) exchange(ctx context.Context, ex *exchangeSpec, subject string) (string, string) {
	if ex.err != "" {
		return "", "token exchange: " + ex.err
	}
	secret := ""
	if ex.secret != "" {
		v, err := s.secretValue(ex.secretNS, ex.secret, ex.secretKey)
		if err != nil {
			return "", "token exchange: " + err.Error()
		}
		secret = v
	}
	method := clientcreds.AuthBasic
	if ex.method == "ClientSecretPost" {
		method = clientcreds.AuthPost
	}
	req := clientcreds.ExchangeRequest{Request: clientcreds.Request{TokenURL: ex.tokenURL, ClientID: ex.clientID, ClientSecret: secret,
		Scopes: ex.scopes, AuthMethod: method, HTTP: s.client}, SubjectToken: subject, SubjectTokenType: ex.subjectTokenType,
		RequestedTokenType: ex.requestedTokenType}
	if len(ex.audiences) > 0 {
		req.Audience = ex.audiences[0]
	}
	if len(ex.resources) > 0 {
		req.Resource = ex.resources[0]
	}
	res, err := clientcreds.Exchange(ctx, req)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			body := []rune(string(re.Body))
			if len(body) > 256 {
				body = body[:256]
			}
			return "", fmt.Sprintf("token exchange returned status %s: %s", re.Response.Status, string(body))
		}
		return "", "token exchange request failed: " + err.Error()
	}
	return res.Token, ""
}

// hasKID reports whether the JWKS has a key with this kid.
func hasKID(jwks []byte, kid string) bool {
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if json.Unmarshal(jwks, &set) != nil {
		return false
	}
	for _, k := range set.Keys {
		if k.KID == kid {
			return true
		}
	}
	return false
}
