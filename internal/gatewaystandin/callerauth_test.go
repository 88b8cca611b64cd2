package gatewaystandin

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/clientcreds"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
)

const (
	appAPI     = "https://app.example.test/"
	runtimeAPI = "https://runtime.example.test/"
)

// idp is the real oidc-provider as the caller's IdP and the token service.
type idp struct {
	srv                    *oidcserver.Server
	callerSecret, exSecret string
	host, port             string
}

func startIdP(t *testing.T) *idp {
	t.Helper()
	p := &idp{callerSecret: oidcserver.NewSecret(), exSecret: oidcserver.NewSecret()}
	p.srv = oidcservertest.Start(t, oidcserver.Options{TrailingSlash: true,
		Resources: map[string]string{appAPI: "app.use", runtimeAPI: "agents.invoke"}, DefaultResource: appAPI,
		Clients: []oidcserver.Client{
			{ID: "caller-app", Secret: p.callerSecret},
			{ID: "gateway-exchanger", Secret: p.exSecret, AuthMethod: oidcserver.Post, GrantTypes: []string{oidcserver.TokenExchange}},
		}})
	u, _ := url.Parse(p.srv.Issuer)
	p.host, p.port = u.Hostname(), u.Port()
	return p
}

// token mints a caller token for aud by client credentials (its sub is caller-app).
func (p *idp) token(t *testing.T, aud string) string {
	t.Helper()
	res, err := clientcreds.Mint(context.Background(), clientcreds.Request{DiscoveryURL: p.srv.DiscoveryURL(), ClientID: "caller-app",
		ClientSecret: p.callerSecret, Audience: aud})
	if err != nil {
		t.Fatal(err)
	}
	return res.Token
}

// callWith posts with an Authorization header until ok holds.
func (e *env) callWith(path, auth string, ok func(int) bool) (int, string) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := e.post(path, auth)
		if ok(code) || time.Now().After(deadline) {
			return code, body
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// callerSetup applies an IdP backend, a route to AgentCore and a policy on the route with the caller's JWT check
// and the given backend auth.
func (e *env) callerSetup(p *idp, jwks, backendAuth string) {
	e.apply(fmt.Sprintf(`
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayBackend
metadata: {name: idp, namespace: %s}
spec: {static: {host: %q, port: %s}}
`, e.ns, p.host, p.port))
	e.staticBackend()
	e.rewriteRoute()
	e.apply(fmt.Sprintf(`
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: caller, namespace: %s}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: agentcore}]
  traffic:
    jwtAuthentication:
      mode: Strict
      providers:
      - issuer: %q
        audiences: [%q]
        jwks: %s
  backend:
    auth: %s
`, e.ns, p.srv.Issuer, appAPI, jwks, backendAuth))
}

func (e *env) accessLines() []string {
	b, _ := os.ReadFile(e.logA)
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestPassthroughValidatesTheCallerAndSendsItOn(t *testing.T) {
	p := startIdP(t)
	e := start(t)
	e.callerSetup(p, fmt.Sprintf(`{remote: {backendRef: {group: agentgateway.dev, kind: AgentgatewayBackend, name: idp}, jwksPath: /jwks}}`), `{passthrough: {}}`)
	e.waitTable("the caller policy", func(tb *table) bool {
		return len(tb.routes) == 1 && tb.routes[0].jwt != nil && tb.routes[0].authMode == authPassthrough
	})
	caller := p.token(t, appAPI)

	code, body := e.callWith("/agentcore", "Bearer "+caller, func(c int) bool { return c == 200 })
	if code != 200 {
		t.Fatalf("valid caller token: %d %s", code, body)
	}
	if got := e.up.last().Header.Get("Authorization"); got != "Bearer "+caller {
		t.Fatalf("the upstream did not get the caller's token (got %d bytes)", len(got))
	}
	lines := e.accessLines()
	if last := lines[len(lines)-1]; !strings.Contains(last, "http.status=200") || !strings.Contains(last, "jwt.sub=caller-app") {
		t.Fatalf("access line: %s", last)
	}

	sent := e.up.count()
	for _, c := range []struct {
		name, auth, want string
	}{
		{"no token", "", "authentication failure: no bearer token found"},
		{"wrong audience", "Bearer " + p.token(t, runtimeAPI), "authentication failure: the token is invalid or malformed: Error(InvalidAudience)"},
		{"forged signature", "Bearer " + caller[:len(caller)-4] + "AAAA", "authentication failure: the token is invalid or malformed: Error(InvalidSignature)"},
		{"not a JWT", "Bearer opaque-token", "authentication failure: the token header is malformed: Error(InvalidToken)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := e.post("/agentcore", c.auth)
			if code != 401 || body != c.want {
				t.Fatalf("got %d %q, want 401 %q", code, body, c.want)
			}
			lines := e.accessLines()
			last := lines[len(lines)-1]
			if !strings.Contains(last, "http.status=401") || !strings.Contains(last, "reason=JwtAuth") || strings.Contains(last, "jwt.sub=") {
				t.Fatalf("access line: %s", last)
			}
		})
	}
	if e.up.count() != sent {
		t.Fatalf("a refused request reached the upstream (%d → %d)", sent, e.up.count())
	}
}

func TestExchangeTradesTheCallerTokenAtTheTokenService(t *testing.T) {
	p := startIdP(t)
	e := start(t)
	jwks, err := tokencheck.FetchJWKS(context.Background(), nil, strings.TrimSuffix(p.srv.Issuer, "/")+"/jwks")
	if err != nil {
		t.Fatal(err)
	}
	e.exchangeSecret("token-service", p.exSecret)
	e.callerSetup(p, fmt.Sprintf("{inline: %q}", jwks), `
      oauthTokenExchange:
        backendRef: {group: agentgateway.dev, kind: AgentgatewayBackend, name: idp}
        path: /token
        clientAuth: {clientId: gateway-exchanger, method: ClientSecretPost, secretRef: {name: token-service, key: client_secret}}
        audiences: [`+runtimeAPI+`]
        subjectToken: {source: {expression: jwt.rawToken.unredacted()}}`)
	e.waitTable("the exchange policy", func(tb *table) bool {
		return len(tb.routes) == 1 && tb.routes[0].jwt != nil && tb.routes[0].authMode == authExchange
	})
	caller := p.token(t, appAPI)
	code, body := e.callWith("/agentcore", "Bearer "+caller, func(c int) bool { return c == 200 })
	if code != 200 {
		t.Fatalf("exchange: %d %s", code, body)
	}
	got := strings.TrimPrefix(e.up.last().Header.Get("Authorization"), "Bearer ")
	tok, err := tokencheck.Parse(got)
	if err != nil || got == caller {
		t.Fatalf("the upstream got no exchanged token: %v", err)
	}
	act, _ := tok.Claims["act"].(map[string]any)
	if tok.Subject != "caller-app" || len(tok.Audience) != 1 || tok.Audience[0] != runtimeAPI || act["sub"] != "gateway-exchanger" {
		t.Fatalf("exchanged token claims %v", tok.Claims)
	}
	ev := p.srv.WaitEvents(oidcserver.Exchanged("caller-app"))
	if last := ev[len(ev)-1]; last.Kind != oidcserver.EventExchange || last.AuthMethod != oidcserver.Post || last.Subject != "caller-app" {
		t.Fatalf("the token service saw %+v", last)
	}

	// A wrong client secret in the Secret: Agent Gateway's 500 with the token service's answer, reason
	// UpstreamFailure; the secrets are in neither the answer nor the access log.
	wrong := oidcserver.NewSecret()
	e.exchangeSecret("token-service", wrong)
	code, body = e.callWith("/agentcore", "Bearer "+caller, func(c int) bool { return c == 500 })
	if code != 500 || !strings.HasPrefix(body, "backend authentication failed: token exchange returned status 401 Unauthorized: ") || !strings.Contains(body, "invalid_client") {
		t.Fatalf("wrong client secret: %d %q", code, body)
	}
	log, _ := os.ReadFile(e.logA)
	for _, s := range []string{wrong, p.exSecret, caller} {
		if strings.Contains(body+string(log), s) {
			t.Fatal("a secret or the caller's token leaked into the answer or the access log")
		}
	}
	lines := e.accessLines()
	if last := lines[len(lines)-1]; !strings.Contains(last, "reason=UpstreamFailure") || !strings.Contains(last, "jwt.sub=caller-app") {
		t.Fatalf("access line: %s", last)
	}
}

func (e *env) exchangeSecret(name, value string) {
	e.t.Helper()
	kc := e.c.Kube().CoreV1().Secrets(e.ns)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns}, Data: map[string][]byte{"client_secret": []byte(value)}}
	if _, err := kc.Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		if _, err := kc.Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}
