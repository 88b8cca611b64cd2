package doctor

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

const offlineARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"

// rendered is a caller-token setup as the wizard renders it (`--dry-run -o yaml`): route, backend, the auth policy
// (backend.auth.passthrough or oauthTokenExchange), the jwtAuthentication policy and the setup record.
type rendered struct {
	mode      setup.Mode
	issuer    string
	audiences []string
	jwksPath  string
	jwtMode   string
	noJWT     bool
	// exchange
	exAudiences []string
	exPath      string
	exMethod    string
	rec         setup.Record
}

func (r rendered) yaml(t *testing.T) []byte {
	t.Helper()
	const ns = "agentcore"
	route := map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "agentcore", "namespace": ns},
		"spec": map[string]any{"parentRefs": []any{map[string]any{"name": "agentgateway-proxy", "namespace": "agentgateway-system"}},
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "agentcore"}}}}}}
	backend := map[string]any{"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayBackend",
		"metadata": map[string]any{"name": "agentcore", "namespace": ns},
		"spec":     map[string]any{"static": map[string]any{"host": "bedrock-agentcore.us-east-1.amazonaws.com", "port": int64(443)}}}
	targetRoute := []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "agentcore"}}
	auth := map[string]any{"passthrough": map[string]any{}}
	if r.mode == setup.ModeExchange {
		ex := map[string]any{"backendRef": map[string]any{"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "agentcore-token-service"},
			"path": r.exPath, "clientAuth": map[string]any{"clientId": "gateway-client", "method": r.exMethod, "secretRef": map[string]any{"name": "agentcore-token-service", "key": "client_secret"}}}
		if len(r.exAudiences) > 0 {
			ex["audiences"] = toAny(r.exAudiences)
		}
		auth = map[string]any{"oauthTokenExchange": ex}
	}
	authPolicy := map[string]any{"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayPolicy",
		"metadata": map[string]any{"name": "agentcore", "namespace": ns},
		"spec":     map[string]any{"targetRefs": targetRoute, "backend": map[string]any{"tls": map[string]any{}, "auth": auth}}}
	prov := map[string]any{"issuer": r.issuer, "jwks": map[string]any{"remote": map[string]any{
		"backendRef": map[string]any{"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "agentcore-idp"}, "jwksPath": r.jwksPath}}}
	if len(r.audiences) > 0 {
		prov["audiences"] = toAny(r.audiences)
	}
	ja := map[string]any{"providers": []any{prov}}
	if r.jwtMode != "" {
		ja["mode"] = r.jwtMode
	}
	jwtPolicy := map[string]any{"apiVersion": "agentgateway.dev/v1alpha1", "kind": "AgentgatewayPolicy",
		"metadata": map[string]any{"name": "agentcore-jwt-auth", "namespace": ns},
		"spec":     map[string]any{"targetRefs": targetRoute, "traffic": map[string]any{"jwtAuthentication": ja}}}
	rec := r.rec
	rec.Namespace, rec.Mode, rec.RuntimeARN, rec.GatewayName = ns, r.mode, offlineARN, "agentgateway-proxy"
	cm, err := runtime.DefaultUnstructuredConverter.ToUnstructured(rec.WithDefaults().ConfigMap())
	if err != nil {
		t.Fatal(err)
	}
	docs := []map[string]any{route, backend, authPolicy, cm}
	if !r.noJWT {
		docs = append(docs, jwtPolicy)
	}
	var b strings.Builder
	for _, d := range docs {
		y, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return []byte(b.String())
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// runRendered runs offline doctor on rendered manifests (and a token, when given) like
// `doctor --manifests-file M --authorizer-file A [--token-file T]`.
func runRendered(t *testing.T, manifests []byte, az *tokencheck.Authorizer, token string) map[string]Result {
	t.Helper()
	r, err := ParseManifests(manifests)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Offline: true, AuthorizerSet: true, Authorizer: az, Token: token, Rendered: r}
	d := New(o, Deps{Now: func() time.Time { return testNow }, HTTP: &http.Client{Timeout: 3 * time.Second}})
	cs := d.Checks()
	if err := Validate(cs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep := Collect(cs, Run(ctx, cs), nil)
	out := map[string]Result{}
	for _, x := range rep.Checks {
		out[x.ID] = x
	}
	return out
}

func TestOfflinePassthrough(t *testing.T) {
	key := tokentest.RSA(t, "k1")
	idp := tokentest.NewIssuer(t, key)
	const aud = "https://agents.example.com"
	az := &tokencheck.Authorizer{DiscoveryURL: idp.DiscoveryURL(), AllowedAudience: []string{aud}}
	good := rendered{mode: setup.ModePassthrough, issuer: idp.Issuer, audiences: []string{aud}, jwksPath: "/.well-known/jwks.json",
		rec: setup.Record{CallerDiscoveryURL: idp.DiscoveryURL(), CallerIssuer: idp.Issuer, CallerAudiences: []string{aud}}}
	callerTok := key.Mint(t, tokentest.Auth0(idp.Issuer, aud, "web-app", testNow, time.Hour))

	t.Run("healthy, with a caller token", func(t *testing.T) {
		got := runRendered(t, good.yaml(t), az, callerTok)
		expect(t, got, map[string]want{
			IDCallerJWTPolicy:    {Pass, "AgentgatewayPolicy agentcore/agentcore-jwt-auth (Strict) validates the caller", ""},
			IDCallerIssuer:       {Pass, "the gateway and the runtime both trust", ""},
			IDCallerAudience:     {Pass, "are all in the runtime's allowedAudience", ""},
			IDCallerToken:        {Pass, "the gateway accepts it", ""},
			IDTokenMalformed:     {Pass, "", ""},
			IDAuthorizerAudience: {Pass, aud, ""},
		})
		if _, ok := got[IDExchangeDiscovery]; ok {
			t.Error("passthrough plans no exchange checks")
		}
	})
	t.Run("no caller token: the token checks skip, the policies are still checked", func(t *testing.T) {
		got := runRendered(t, good.yaml(t), az, "")
		expect(t, got, map[string]want{
			IDTokenMalformed:  {Skip, "no caller token given", ""},
			IDCallerToken:     {Skip, "token.malformed was skipped", ""},
			IDCallerIssuer:    {Pass, "", ""},
			IDCallerJWTPolicy: {Pass, "", ""},
		})
	})
	t.Run("passthrough without a jwtAuthentication policy", func(t *testing.T) {
		r := good
		r.noJWT = true
		got := runRendered(t, r.yaml(t), az, callerTok)
		expect(t, got, map[string]want{
			IDCallerJWTPolicy: {Fail, "backend.auth.passthrough has no effect without one", "wizard --mode passthrough"},
			IDCallerIssuer:    {Skip, "caller.jwt-policy failed", ""},
		})
	})
	t.Run("mode Optional warns", func(t *testing.T) {
		r := good
		r.jwtMode = "Optional"
		got := runRendered(t, r.yaml(t), az, "")
		expect(t, got, map[string]want{IDCallerJWTPolicy: {Warn, "(Optional)", `"mode":"Strict"`}})
	})
	t.Run("JWKS path is not the provider's jwks_uri", func(t *testing.T) {
		r := good
		r.jwksPath = "/keys"
		got := runRendered(t, r.yaml(t), az, "")
		expect(t, got, map[string]want{IDCallerJWTPolicy: {Fail, "path /keys, but the identity provider's jwks_uri is " + idp.URL + "/.well-known/jwks.json", ""}})
	})
	t.Run("gateway issuer differs from the runtime's by a trailing slash", func(t *testing.T) {
		r := good
		r.issuer = idp.Issuer + "/"
		r.rec.CallerDiscoveryURL = ""
		got := runRendered(t, r.yaml(t), az, "")
		expect(t, got, map[string]want{IDCallerIssuer: {Fail, `the gateway accepts issuer "` + idp.Issuer + `/", but the runtime's authorizer trusts "` + idp.Issuer + `"`, `providers/0/issuer","value":"` + idp.Issuer + `"`}})
		if !strings.Contains(got[IDCallerIssuer].Detail, "trailing slash") {
			t.Errorf("the slash must be named: %q", got[IDCallerIssuer].Detail)
		}
	})
	t.Run("runtime trusts another identity provider", func(t *testing.T) {
		other := tokentest.NewIssuer(t, tokentest.NewRSA(t, "x"))
		az2 := &tokencheck.Authorizer{DiscoveryURL: other.DiscoveryURL(), AllowedAudience: []string{aud}}
		got := runRendered(t, good.yaml(t), az2, callerTok)
		expect(t, got, map[string]want{
			IDCallerIssuer: {Fail, "every token the gateway lets through AgentCore refuses", ""},
			IDCallerToken:  {Fail, "the gateway accepts it", ""},
		})
		if d := got[IDCallerToken].Detail; !strings.Contains(d, "but AgentCore refuses it") || !strings.Contains(d, "authorizer.issuer") {
			t.Errorf("caller.token must say AgentCore refuses it and why: %q", d)
		}
	})
	t.Run("gateway accepts an audience AgentCore refuses", func(t *testing.T) {
		r := good
		r.audiences = []string{aud, "https://other.example.com"}
		got := runRendered(t, r.yaml(t), az, "")
		expect(t, got, map[string]want{IDCallerAudience: {Fail, "a token for [https://other.example.com] passes the gateway and AgentCore refuses it", `"value":["` + aud + `"]`}})
	})
	t.Run("gateway and runtime share no audience", func(t *testing.T) {
		r := good
		r.audiences = []string{"https://other.example.com"}
		got := runRendered(t, r.yaml(t), az, "")
		expect(t, got, map[string]want{IDCallerAudience: {Fail, "no token passes both", ""}})
	})
	t.Run("gateway accepts any audience", func(t *testing.T) {
		r := good
		r.audiences = nil
		got := runRendered(t, r.yaml(t), az, "")
		expect(t, got, map[string]want{IDCallerAudience: {Fail, "the gateway accepts tokens for any audience", ""}})
	})
	t.Run("caller token the gateway refuses: wrong audience", func(t *testing.T) {
		tok := key.Mint(t, tokentest.Auth0(idp.Issuer, "https://other.example.com", "web-app", testNow, time.Hour))
		got := runRendered(t, good.yaml(t), az, tok)
		expect(t, got, map[string]want{IDCallerToken: {Fail, "the gateway refuses this token (401 JwtAuth): aud [https://other.example.com, " + idp.Issuer + "userinfo] is not in the gateway's audiences [" + aud + "]", ""}})
	})
	t.Run("caller token signed by another key", func(t *testing.T) {
		tok := tokentest.NewRSA(t, "k1").Mint(t, tokentest.Auth0(idp.Issuer, aud, "web-app", testNow, time.Hour))
		got := runRendered(t, good.yaml(t), az, tok)
		expect(t, got, map[string]want{IDCallerToken: {Fail, "signature not verified with " + idp.URL + "/.well-known/jwks.json", ""}})
	})
	t.Run("caller token expired", func(t *testing.T) {
		tok := key.Mint(t, tokentest.Auth0(idp.Issuer, aud, "web-app", testNow.Add(-3*time.Hour), time.Hour))
		got := runRendered(t, good.yaml(t), az, tok)
		expect(t, got, map[string]want{IDCallerToken: {Fail, "the gateway refuses this token (401 JwtAuth): it expired", ""}})
	})
	t.Run("the record says passthrough, the policy sends a Secret", func(t *testing.T) {
		y := strings.Replace(string(good.yaml(t)), "passthrough: {}", "secretRef:\n          name: agentcore-jwt", 1)
		got := runRendered(t, []byte(y), az, "")
		expect(t, got, map[string]want{IDCallerJWTPolicy: {Fail, "the setup is passthrough, but no policy targeting HTTPRoute agentcore/agentcore has backend.auth.passthrough", "wizard --mode passthrough"}})
	})
}

func TestParseManifestsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "no manifests"},
		{"kind: [", "not a YAML or JSON manifest stream"},
		{"apiVersion: v1\nmetadata: {name: x}\n", "a document without kind"},
	} {
		_, err := ParseManifests([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want ~%q", tc.in, err, tc.want)
		}
	}
}

func TestOfflineExchange(t *testing.T) {
	key := tokentest.RSA(t, "k1")
	idp := tokentest.NewIssuer(t, key) // the caller's identity provider
	sts := tokentest.NewIssuer(t, key) // the token service
	serve := func(is *tokentest.Issuer, grants []string) {
		is.Handle("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			doc := map[string]any{"issuer": is.Issuer, "jwks_uri": is.URL + "/.well-known/jwks.json", "token_endpoint": is.URL + "/oauth2/token",
				"token_endpoint_auth_methods_supported": []string{"client_secret_basic"}}
			if grants != nil {
				doc["grant_types_supported"] = grants
			}
			_ = json.NewEncoder(w).Encode(doc)
		})
	}
	const te = "urn:ietf:params:oauth:grant-type:token-exchange"
	serve(sts, []string{"client_credentials", te})
	const callerAud, agentcoreAud = "web-app", "https://agentcore.example.com"
	az := &tokencheck.Authorizer{DiscoveryURL: sts.DiscoveryURL(), AllowedAudience: []string{agentcoreAud}}
	good := rendered{mode: setup.ModeExchange, issuer: idp.Issuer, audiences: []string{callerAud}, jwksPath: ".well-known/jwks.json",
		exAudiences: []string{agentcoreAud}, exPath: "/oauth2/token", exMethod: "ClientSecretBasic",
		rec: setup.Record{CallerDiscoveryURL: idp.DiscoveryURL(), CallerIssuer: idp.Issuer, CallerAudiences: []string{callerAud},
			ExchangeDiscoveryURL: sts.DiscoveryURL(), ExchangeClientID: "gateway-client", ExchangeAudience: agentcoreAud}}
	callerTok := key.Mint(t, tokentest.Auth0(idp.Issuer, callerAud, "web", testNow, time.Hour))

	t.Run("healthy", func(t *testing.T) {
		got := runRendered(t, good.yaml(t), az, callerTok)
		expect(t, got, map[string]want{
			IDCallerJWTPolicy:    {Pass, "has backend.auth.oauthTokenExchange", ""},
			IDCallerIssuer:       {Pass, "the runtime trusts the token service's issuer \"" + sts.Issuer + "\"", ""},
			IDCallerAudience:     {Pass, "the gateway asks for audience [" + agentcoreAud + "]", ""},
			IDCallerToken:        {Pass, "AgentCore sees the token exchanged for it (exchange.token)", ""},
			IDTokenSignature:     {Pass, "verified with kid k1 (RS256) from " + idp.URL, ""},
			IDAuthorizerAudience: {Skip, "exchange: AgentCore sees the token exchanged", ""},
			IDExchangeDiscovery:  {Pass, "offers token exchange at " + sts.URL + "/oauth2/token; the gateway posts to /oauth2/token", ""},
			IDExchangeClientAuth: {Skip, "offline: the client secret is in the cluster", ""},
			IDExchangeToken:      {Skip, "exchange.client-auth was skipped", ""},
		})
	})
	t.Run("token service without the token-exchange grant", func(t *testing.T) {
		bare := tokentest.NewIssuer(t, key)
		serve(bare, []string{"client_credentials"})
		r := good
		r.rec.ExchangeDiscoveryURL = bare.DiscoveryURL()
		got := runRendered(t, r.yaml(t), &tokencheck.Authorizer{DiscoveryURL: bare.DiscoveryURL(), AllowedAudience: []string{agentcoreAud}}, "")
		expect(t, got, map[string]want{IDExchangeDiscovery: {Fail, "does not offer token exchange: grant_types_supported is [client_credentials], without " + te, "--exchange-discovery-url"}})
	})
	t.Run("discovery without grant_types_supported warns", func(t *testing.T) {
		quiet := tokentest.NewIssuer(t, key)
		serve(quiet, nil)
		r := good
		r.rec.ExchangeDiscoveryURL = quiet.DiscoveryURL()
		got := runRendered(t, r.yaml(t), &tokencheck.Authorizer{DiscoveryURL: quiet.DiscoveryURL(), AllowedAudience: []string{agentcoreAud}}, "")
		expect(t, got, map[string]want{IDExchangeDiscovery: {Warn, "has no grant_types_supported", ""}})
	})
	t.Run("the gateway posts to another path than the token endpoint", func(t *testing.T) {
		r := good
		r.exPath = "/token"
		got := runRendered(t, r.yaml(t), az, "")
		expect(t, got, map[string]want{IDExchangeDiscovery: {Fail, "posts token exchanges to path /token of AgentgatewayBackend agentcore-token-service, but the token endpoint is " + sts.URL + "/oauth2/token", ""}})
	})
	t.Run("runtime trusts another issuer than the token service's", func(t *testing.T) {
		got := runRendered(t, good.yaml(t), &tokencheck.Authorizer{DiscoveryURL: idp.DiscoveryURL(), AllowedAudience: []string{agentcoreAud}}, "")
		expect(t, got, map[string]want{IDCallerIssuer: {Fail, "the token service (" + sts.DiscoveryURL() + ") issues tokens as \"" + sts.Issuer + "\", but the runtime's authorizer trusts \"" + idp.Issuer + "\"", "update-agent-runtime"}})
	})
	t.Run("the gateway asks for an audience the runtime refuses", func(t *testing.T) {
		r := good
		r.exAudiences = []string{"https://elsewhere.example.com"}
		got := runRendered(t, r.yaml(t), az, "")
		expect(t, got, map[string]want{IDCallerAudience: {Fail, "asks the token service for audience [https://elsewhere.example.com], but the runtime's allowedAudience is [" + agentcoreAud + "]", "--exchange-audience " + agentcoreAud}})
	})
	t.Run("caller token from another identity provider", func(t *testing.T) {
		tok := key.Mint(t, tokentest.Auth0(sts.Issuer, callerAud, "web", testNow, time.Hour))
		got := runRendered(t, good.yaml(t), az, tok)
		expect(t, got, map[string]want{IDCallerToken: {Fail, "the gateway refuses this token (401 JwtAuth): iss \"" + sts.Issuer + "\" is not the gateway's issuer", ""}})
	})
}
