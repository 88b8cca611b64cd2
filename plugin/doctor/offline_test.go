package doctor

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
)

var testNow = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

func runOffline(t *testing.T, o Options) map[string]Result {
	t.Helper()
	o.Offline = true
	o.AuthorizerSet = true
	d := New(o, Deps{Now: func() time.Time { return testNow }, HTTP: &http.Client{Timeout: 3 * time.Second}})
	cs := d.Checks()
	if err := Validate(cs); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Category != CatToken && c.Category != CatAuthorizer {
			t.Fatalf("offline mode planned %s", c.ID)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep := Collect(cs, Run(ctx, cs), nil)
	out := map[string]Result{}
	for _, r := range rep.Checks {
		out[r.ID] = r
	}
	if len(out) != 15 {
		t.Fatalf("want 15 token+authorizer checks, got %d", len(out))
	}
	return out
}

type want struct {
	status Status
	detail string // substring
	fix    string // substring
}

func expect(t *testing.T, got map[string]Result, w map[string]want) {
	t.Helper()
	for id, x := range w {
		r, ok := got[id]
		if !ok {
			t.Errorf("%s missing", id)
			continue
		}
		if r.Status != x.status || !strings.Contains(r.Detail, x.detail) || !strings.Contains(r.Fix, x.fix) {
			t.Errorf("%s = %s %q (fix %q), want %s ~%q (fix ~%q)", id, r.Status, r.Detail, r.Fix, x.status, x.detail, x.fix)
		}
	}
}

func TestOfflineChecks(t *testing.T) {
	key := tokentest.RSA(t, "k1")
	other := tokentest.NewRSA(t, "k2")
	iss := tokentest.NewIssuer(t, key)
	const client = "5pk1q2abcdefghijklmnop"
	az := func(mod func(*tokencheck.Authorizer)) *tokencheck.Authorizer {
		a := &tokencheck.Authorizer{DiscoveryURL: iss.DiscoveryURL(), AllowedAudience: []string{client}}
		if mod != nil {
			mod(a)
		}
		return a
	}
	idTok := key.Mint(t, tokentest.CognitoID(iss.Issuer, client, testNow, time.Hour))

	t.Run("cognito ID token, all good", func(t *testing.T) {
		got := runOffline(t, Options{Token: idTok, Authorizer: az(nil)})
		expect(t, got, map[string]want{
			IDTokenMalformed: {Pass, "Cognito ID token", ""}, IDTokenExpired: {Pass, "not expired", ""},
			IDTokenExpiring: {Pass, "expires in", ""}, IDTokenNotYetValid: {Pass, "valid", ""},
			IDTokenSignature: {Pass, "verified with kid k1", ""}, IDAuthorizerMode: {Pass, "customJWTAuthorizer", ""},
			IDAuthorizerDiscoveryURL: {Pass, "reachable", ""}, IDAuthorizerIssuer: {Pass, "iss equals", ""},
			IDAuthorizerAudience: {Pass, client, ""}, IDAuthorizerClient: {Skip, "allowedClients not set", ""},
			IDAuthorizerScope: {Skip, "", ""}, IDAuthorizerClaims: {Skip, "", ""},
		})
	})
	t.Run("cognito access token against allowedAudience", func(t *testing.T) {
		tok := key.Mint(t, tokentest.CognitoAccess(iss.Issuer, client, testNow, time.Hour))
		got := runOffline(t, Options{Token: tok, Authorizer: az(nil)})
		expect(t, got, map[string]want{IDAuthorizerAudience: {Fail, "this is a Cognito access token", "rotate --token-use id"}})
		if h := got[IDAuthorizerAudience].Hint; !strings.Contains(h, "Use the ID token, or set allowedClients=["+client+"]") {
			t.Errorf("the Cognito case must be said in words, hint = %q", h)
		}
	})
	t.Run("cognito ID token against allowedClients", func(t *testing.T) {
		got := runOffline(t, Options{Token: idTok, Authorizer: az(func(a *tokencheck.Authorizer) { a.AllowedAudience, a.AllowedClients = nil, []string{client} })})
		expect(t, got, map[string]want{IDAuthorizerClient: {Fail, "Cognito ID token", ""}, IDAuthorizerAudience: {Skip, "", ""}})
	})
	t.Run("both lists set: both must hold", func(t *testing.T) {
		got := runOffline(t, Options{Token: idTok, Authorizer: az(func(a *tokencheck.Authorizer) { a.AllowedClients = []string{client} })})
		expect(t, got, map[string]want{IDAuthorizerAudience: {Pass, "", ""}, IDAuthorizerClient: {Fail, "no client_id", ""}})
	})
	t.Run("okta token against allowedClients", func(t *testing.T) {
		tok := key.Mint(t, tokentest.Okta(iss.Issuer, "api://agents", "0oa1client", testNow, time.Hour))
		got := runOffline(t, Options{Token: tok, Authorizer: az(func(a *tokencheck.Authorizer) { a.AllowedAudience, a.AllowedClients = nil, []string{"0oa1client"} })})
		expect(t, got, map[string]want{IDTokenMalformed: {Pass, "Okta", ""}, IDAuthorizerClient: {Fail, "no client_id", ""}})
	})
	t.Run("auth0 and entra audiences", func(t *testing.T) {
		for _, claims := range []map[string]any{
			tokentest.Auth0(iss.Issuer, "https://agents.example.com", "abc", testNow, time.Hour),
			tokentest.Entra(iss.Issuer, "https://agents.example.com", "abc", testNow, time.Hour),
		} {
			got := runOffline(t, Options{Token: key.Mint(t, claims), Authorizer: az(func(a *tokencheck.Authorizer) { a.AllowedAudience = []string{"https://agents.example.com"} })})
			expect(t, got, map[string]want{IDAuthorizerAudience: {Pass, "agents.example.com", ""}, IDTokenSignature: {Pass, "", ""}})
		}
	})
	t.Run("scope and custom claims", func(t *testing.T) {
		tok := key.Mint(t, tokentest.CognitoAccess(iss.Issuer, client, testNow, time.Hour))
		got := runOffline(t, Options{Token: tok, Authorizer: az(func(a *tokencheck.Authorizer) {
			a.AllowedAudience, a.AllowedClients, a.AllowedScopes = nil, []string{client}, []string{"agent/invoke"}
			a.CustomClaims = []tokencheck.CustomClaim{{Name: "department", ValueType: tokencheck.ClaimString, MatchValue: "eng", Operator: tokencheck.OpEquals}}
		})})
		expect(t, got, map[string]want{IDAuthorizerClient: {Pass, "", ""}, IDAuthorizerScope: {Fail, "agent/invoke", ""}, IDAuthorizerClaims: {Fail, "department", ""}})
	})
	t.Run("expired", func(t *testing.T) {
		tok := key.Mint(t, tokentest.CognitoID(iss.Issuer, client, testNow.Add(-2*time.Hour), time.Hour))
		got := runOffline(t, Options{Token: tok, Authorizer: az(nil)})
		expect(t, got, map[string]want{IDTokenExpired: {Fail, "expired 1h", "rotate"}, IDTokenExpiring: {Skip, "", ""}})
	})
	t.Run("expiring", func(t *testing.T) {
		got := runOffline(t, Options{Token: key.Mint(t, tokentest.CognitoID(iss.Issuer, client, testNow, 6*time.Minute)), Authorizer: az(nil)})
		expect(t, got, map[string]want{IDTokenExpiring: {Warn, "expires in 6m", ""}})
		got = runOffline(t, Options{Token: key.Mint(t, tokentest.CognitoID(iss.Issuer, client, testNow, 30*time.Second)), Authorizer: az(nil)})
		expect(t, got, map[string]want{IDTokenExpiring: {Fail, "30s", "rotate"}})
	})
	t.Run("not yet valid", func(t *testing.T) {
		c := tokentest.CognitoID(iss.Issuer, client, testNow, time.Hour)
		c["nbf"] = testNow.Add(10 * time.Minute).Unix()
		got := runOffline(t, Options{Token: key.Mint(t, c), Authorizer: az(nil)})
		expect(t, got, map[string]want{IDTokenNotYetValid: {Fail, "not valid before", ""}})
	})
	t.Run("signed by another key", func(t *testing.T) {
		got := runOffline(t, Options{Token: other.Mint(t, tokentest.CognitoID(iss.Issuer, client, testNow, time.Hour)), Authorizer: az(nil)})
		expect(t, got, map[string]want{IDTokenSignature: {Fail, `unknown kid "k2"`, ""}})
	})
	t.Run("issuer differs by a trailing slash", func(t *testing.T) {
		iss2 := tokentest.NewIssuer(t, key)
		iss2.SetDiscoveryIssuer(iss2.Issuer + "/")
		tok := key.Mint(t, tokentest.CognitoID(iss2.Issuer, client, testNow, time.Hour))
		got := runOffline(t, Options{Token: tok, Authorizer: &tokencheck.Authorizer{DiscoveryURL: iss2.DiscoveryURL(), AllowedAudience: []string{client}}})
		expect(t, got, map[string]want{IDAuthorizerIssuer: {Fail, "trailing slash", ""}})
	})
	t.Run("no JWT authorizer", func(t *testing.T) {
		got := runOffline(t, Options{Token: idTok, Authorizer: nil})
		expect(t, got, map[string]want{IDAuthorizerMode: {Fail, "IAM (SigV4) only", "wizard"},
			IDAuthorizerAudience: {Skip, "authorizer.mode failed", ""}, IDAuthorizerIssuer: {Skip, "authorizer.discovery-url was skipped", ""},
			IDTokenSignature: {Pass, "", ""}})
	})
	t.Run("discovery answers HTML", func(t *testing.T) {
		iss3 := tokentest.NewIssuer(t, key)
		iss3.Handle("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>login</html>"))
		})
		tok := key.Mint(t, tokentest.CognitoID(iss3.Issuer, client, testNow, time.Hour))
		got := runOffline(t, Options{Token: tok, Authorizer: &tokencheck.Authorizer{DiscoveryURL: iss3.DiscoveryURL(), AllowedAudience: []string{client}}})
		expect(t, got, map[string]want{IDAuthorizerDiscoveryURL: {Fail, "unreachable", ""}, IDTokenSignature: {Fail, "discovery document", ""},
			IDAuthorizerIssuer: {Skip, "", ""}})
	})
	t.Run("offline documents from files", func(t *testing.T) {
		disc := []byte(`{"issuer":"` + iss.Issuer + `","jwks_uri":"file"}`)
		got := runOffline(t, Options{Token: idTok, Authorizer: &tokencheck.Authorizer{DiscoveryURL: "https://unreachable.invalid/.well-known/openid-configuration", AllowedAudience: []string{client}},
			DiscoveryDoc: disc, JWKS: tokentest.JWKS(t, key)})
		expect(t, got, map[string]want{IDTokenSignature: {Pass, "--jwks-file", ""}, IDAuthorizerIssuer: {Pass, "", ""}})
	})
}

// The runtime authorizer's newest settings, each offline: allowedWorkloadConfiguration, requestHeaderConfiguration,
// privateEndpoint(/Overrides) and advertisedScopeMapping.
func TestOfflineNewestAuthorizerSettings(t *testing.T) {
	key := tokentest.RSA(t, "k1")
	iss := tokentest.NewIssuer(t, key)
	const client = "5pk1q2abcdefghijklmnop"
	idTok := key.Mint(t, tokentest.CognitoID(iss.Issuer, client, testNow, time.Hour))
	const gwARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/payments-gw-abc123"

	t.Run("allowedWorkloadConfiguration refuses Agent Gateway", func(t *testing.T) {
		az := &tokencheck.Authorizer{DiscoveryURL: iss.DiscoveryURL(), AllowedAudience: []string{client}, RuntimeID: "payments-AbCdEf0123",
			AllowedWorkload: &tokencheck.AllowedWorkload{HostingEnvironments: []tokencheck.HostingEnvironment{{Arn: gwARN}}}}
		got := runOffline(t, Options{Token: idTok, Authorizer: az})
		expect(t, got, map[string]want{IDAuthorizerWorkload: {Fail, gwARN, "update-agent-runtime --agent-runtime-id payments-AbCdEf0123"},
			IDAuthorizerAudience: {Pass, "", ""}})
		r := got[IDAuthorizerWorkload]
		if !strings.Contains(r.Detail, "Agent Gateway") || !strings.Contains(r.Hint, "Remove allowedWorkloadConfiguration") || strings.Contains(r.Fix, "allowedWorkloadConfiguration") {
			t.Errorf("workload = %+v: want Agent Gateway named, the removal as hint, and a fix without the setting", r)
		}
		if r := runOffline(t, Options{Token: idTok, Authorizer: &tokencheck.Authorizer{DiscoveryURL: iss.DiscoveryURL(), AllowedAudience: []string{client}}})[IDAuthorizerWorkload]; r.Status != Pass {
			t.Errorf("no workload restriction must pass, got %+v", r)
		}
	})
	t.Run("requestHeaderConfiguration without Authorization", func(t *testing.T) {
		mk := func(allow ...string) *tokencheck.Authorizer {
			return &tokencheck.Authorizer{DiscoveryURL: iss.DiscoveryURL(), AllowedAudience: []string{client}, RuntimeID: "rt-0123456789",
				Runtime: &tokencheck.RuntimeSettings{HeaderAllowlist: allow}}
		}
		for _, src := range []string{tokencheck.SourcePassthrough, tokencheck.SourceExchange} {
			got := runOffline(t, Options{Token: idTok, Authorizer: mk("X-Trace"), TokenSource: src})
			expect(t, got, map[string]want{IDAuthorizerRequestHeaders: {Warn, "lacks Authorization", `"requestHeaderAllowlist":["X-Trace","Authorization"]`}})
		}
		got := runOffline(t, Options{Token: idTok, Authorizer: mk(), TokenSource: tokencheck.SourcePassthrough})
		expect(t, got, map[string]want{IDAuthorizerRequestHeaders: {Warn, "no requestHeaderConfiguration", `["Authorization"]`}})
		got = runOffline(t, Options{Token: idTok, Authorizer: mk("authorization"), TokenSource: tokencheck.SourcePassthrough})
		expect(t, got, map[string]want{IDAuthorizerRequestHeaders: {Pass, "includes Authorization", ""}})
		got = runOffline(t, Options{Token: idTok, Authorizer: mk("X-Trace")})
		expect(t, got, map[string]want{IDAuthorizerRequestHeaders: {Pass, "service token", ""}})
		got = runOffline(t, Options{Token: idTok, Authorizer: &tokencheck.Authorizer{DiscoveryURL: iss.DiscoveryURL(), AllowedAudience: []string{client}}, TokenSource: tokencheck.SourcePassthrough})
		expect(t, got, map[string]want{IDAuthorizerRequestHeaders: {Skip, "not known", ""}})
	})
	t.Run("privateEndpoint: an unreachable discovery URL is expected", func(t *testing.T) {
		az := &tokencheck.Authorizer{DiscoveryURL: "http://127.0.0.1:1/idp/.well-known/openid-configuration", AllowedAudience: []string{client},
			PrivateEndpoint: []byte(`{"selfManagedLatticeResource":{"resourceConfigurationIdentifier":"rcfg-0abc"}}`)}
		got := runOffline(t, Options{Token: idTok, Authorizer: az})
		expect(t, got, map[string]want{
			IDAuthorizerDiscoveryURL:    {Warn, "expected, AgentCore reaches it through the VPC Lattice resource configuration rcfg-0abc", ""},
			IDTokenSignature:            {Warn, "identity provider is private", ""},
			IDAuthorizerPrivateEndpoint: {Pass, "unreachable from this machine is expected", ""},
			IDAuthorizerAudience:        {Pass, "", ""},
		})
		// With the documents saved inside the VPC: the JWKS host must be covered too.
		disc := []byte(`{"issuer":"` + iss.Issuer + `","jwks_uri":"https://keys.idp.internal/jwks"}`)
		got = runOffline(t, Options{Token: idTok, Authorizer: az, DiscoveryDoc: disc, JWKS: tokentest.JWKS(t, key)})
		expect(t, got, map[string]want{IDAuthorizerPrivateEndpoint: {Warn, "jwks_uri is on keys.idp.internal", ""}, IDTokenSignature: {Pass, "", ""}})
		az2 := az.Clone()
		az2.PrivateEndpointOverrides = []tokencheck.PrivateEndpointOverride{{Domain: "keys.idp.internal", PrivateEndpoint: az.PrivateEndpoint}}
		got = runOffline(t, Options{Token: idTok, Authorizer: az2, DiscoveryDoc: disc, JWKS: tokentest.JWKS(t, key)})
		expect(t, got, map[string]want{IDAuthorizerPrivateEndpoint: {Pass, "overrides for [keys.idp.internal]", ""}})
		az2.PrivateEndpointOverrides[0].Domain = "https://keys.idp.internal/"
		got = runOffline(t, Options{Token: idTok, Authorizer: az2, DiscoveryDoc: disc, JWKS: tokentest.JWKS(t, key)})
		expect(t, got, map[string]want{IDAuthorizerPrivateEndpoint: {Fail, "not a host name", ""}})
		// Without a private endpoint the same unreachable URL is a failure, and AWS's AgentCore could not reach a
		// loopback host either.
		got = runOffline(t, Options{Token: idTok, Authorizer: &tokencheck.Authorizer{DiscoveryURL: az.DiscoveryURL, AllowedAudience: []string{client}}})
		expect(t, got, map[string]want{IDAuthorizerDiscoveryURL: {Fail, "unreachable", ""}, IDAuthorizerPrivateEndpoint: {Warn, "127.0.0.1:1 is a loopback address", ""}})
		got = runOffline(t, Options{Token: idTok, Authorizer: &tokencheck.Authorizer{DiscoveryURL: "https://idp.example.com/.well-known/openid-configuration", AllowedAudience: []string{client}}})
		expect(t, got, map[string]want{IDAuthorizerPrivateEndpoint: {Pass, "reaches idp.example.com over the internet", ""}})
	})
	t.Run("advertisedScopeMapping shown and used for scopes", func(t *testing.T) {
		az := &tokencheck.Authorizer{DiscoveryURL: iss.DiscoveryURL(), AllowedScopes: []string{"agent/invoke"},
			AdvertisedScopeMapping: map[string]string{"agent/invoke": "api://agents/invoke"}}
		claims := tokentest.Auth0(iss.Issuer, "https://agents.example.com", "abc", testNow, time.Hour)
		claims["scope"] = "agent/invoke"
		got := runOffline(t, Options{Token: key.Mint(t, claims), Authorizer: az})
		expect(t, got, map[string]want{IDAuthorizerScope: {Pass, `advertised to clients as "api://agents/invoke"`, ""},
			IDAuthorizerMode: {Pass, "advertisedScopeMapping [agent/invoke→api://agents/invoke]", ""}})
		claims["scope"] = "api://agents/invoke"
		got = runOffline(t, Options{Token: key.Mint(t, claims), Authorizer: az})
		expect(t, got, map[string]want{IDAuthorizerScope: {Fail, `advertised scope "api://agents/invoke", not the allowed scope "agent/invoke"`, "allowedScopes"}})
		claims["scope"] = "other"
		got = runOffline(t, Options{Token: key.Mint(t, claims), Authorizer: az})
		if r := got[IDAuthorizerScope]; r.Status != Fail || !strings.Contains(r.Hint, "Clients are told to request [api://agents/invoke]") {
			t.Errorf("scope = %+v", r)
		}
	})
}

func TestOfflineBadTokens(t *testing.T) {
	az := &tokencheck.Authorizer{DiscoveryURL: "https://x.example/.well-known/openid-configuration", AllowedAudience: []string{"a"}}
	for name, tok := range map[string]string{
		"one segment": "abc",
		"bad base64":  "eyJ!!!.eyJ.sig",
		"not object":  "WzFd.WzFd.c2ln",
		"alg none":    "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.",
		"huge":        "eyJ" + strings.Repeat("A", 1<<20+10) + ".e.s",
	} {
		t.Run(name, func(t *testing.T) {
			got := runOffline(t, Options{Token: tok, Authorizer: az})
			if r := got[IDTokenMalformed]; r.Status != Fail || r.Detail == "" {
				t.Fatalf("token.malformed = %+v", r)
			}
			if r := got[IDTokenExpired]; r.Status != Skip || !strings.Contains(r.Detail, "token.malformed failed") {
				t.Fatalf("token.expired must be skipped with the reason, got %+v", r)
			}
			if r := got[IDAuthorizerAudience]; r.Status != Skip {
				t.Fatalf("authorizer.audience must be skipped, got %+v", r)
			}
		})
	}
}

// A --token-file value with the slips doctor names in the Secret gets the same wording (internal/bearer).
func TestOfflineTokenFileSlips(t *testing.T) {
	key := tokentest.RSA(t, "k1")
	iss := tokentest.NewIssuer(t, key)
	az := &tokencheck.Authorizer{DiscoveryURL: iss.DiscoveryURL(), AllowedAudience: []string{"c"}}
	jwt := key.Mint(t, tokentest.CognitoID(iss.Issuer, "c", testNow, time.Hour))
	for _, c := range []struct {
		name, value string
		status      Status
		detail      string
	}{
		{"Bearer twice", "Bearer Bearer " + jwt, Fail, "the value says Bearer twice (`Bearer Bearer <jwt>`)"},
		{"quoted", `"` + jwt + `"`, Fail, "the value is wrapped in \" quotes (pasted with them?)"},
		{"trailing newline", "Bearer " + jwt + "\n", Warn, "the value ends with a newline (written with echo?); it decodes: Cognito ID token"},
		{"lower-case scheme", "bearer " + jwt, Warn, `the scheme is written "bearer", not "Bearer"`},
		{"bare token", jwt, Pass, "Cognito ID token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := runOffline(t, Options{Token: c.value, Authorizer: az})
			if r := got[IDTokenMalformed]; r.Status != c.status || !strings.Contains(r.Detail, c.detail) || (c.status != Pass && r.Hint == "") {
				t.Fatalf("token.malformed = %s %q (hint %q), want %s ~%q", r.Status, r.Detail, r.Hint, c.status, c.detail)
			}
		})
	}
}
