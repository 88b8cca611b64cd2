package tokencheck_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
)

func find(t *testing.T, fs []tokencheck.Finding, id string) tokencheck.Finding {
	t.Helper()
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %s in %+v", id, fs)
	return tokencheck.Finding{}
}

func mint(t *testing.T, claims map[string]any) *tokencheck.Token {
	t.Helper()
	tok, err := tokencheck.Parse(tokentest.EC(t, "k").Mint(t, claims))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCheckToken(t *testing.T) {
	cases := []struct {
		name                   string
		claims                 map[string]any
		expired, expiring, nbf tokencheck.Status
		detail                 string
	}{
		{"fresh", map[string]any{"exp": now.Add(41 * time.Minute).Unix()}, "pass", "pass", "pass", "expires in 41m"},
		{"9 minutes left", map[string]any{"exp": now.Add(9 * time.Minute).Unix()}, "pass", "warn", "pass", "expires in 9m"},
		{"59 s left", map[string]any{"exp": now.Add(59 * time.Second).Unix()}, "pass", "fail", "pass", "already refuses"},
		{"exactly now", map[string]any{"exp": now.Unix()}, "fail", "skip", "pass", "expired 0s ago"},
		{"expired 3h ago", map[string]any{"exp": now.Add(-3 * time.Hour).Unix()}, "fail", "skip", "pass", "expired 3h ago"},
		{"no exp", map[string]any{"sub": "x"}, "warn", "skip", "pass", "no exp"},
		{"nbf in future", map[string]any{"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(5 * time.Minute).Unix()}, "pass", "pass", "fail", "not valid before"},
		{"iat in future", map[string]any{"exp": now.Add(time.Hour).Unix(), "iat": now.Add(5 * time.Minute).Unix()}, "pass", "pass", "warn", "issued in the future"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := tokencheck.CheckToken(mint(t, c.claims), now)
			got := []tokencheck.Status{find(t, fs, "token.expired").Status, find(t, fs, "token.expiring").Status, find(t, fs, "token.not-yet-valid").Status}
			want := []tokencheck.Status{c.expired, c.expiring, c.nbf}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("statuses %v, want %v (%+v)", got, want, fs)
					break
				}
			}
			all := ""
			for _, f := range fs {
				all += f.Detail + "|"
				if f.Status == tokencheck.StatusFail && f.Hint == "" {
					t.Errorf("%s fails without a hint", f.ID)
				}
				if f.Category != "token" {
					t.Errorf("category %q", f.Category)
				}
			}
			if !strings.Contains(all, c.detail) {
				t.Errorf("details %q lack %q", all, c.detail)
			}
		})
	}
	if fs := tokencheck.CheckToken(nil, now); len(fs) != 3 || tokencheck.Worst(fs) != tokencheck.StatusSkip {
		t.Errorf("nil token: %+v", fs)
	}
	if f := find(t, tokencheck.CheckToken(mint(t, map[string]any{"exp": now.Add(-time.Hour).Unix()}), now), "token.expired"); f.Fix != "kubectl agentcore rotate" {
		t.Errorf("expired fix %q", f.Fix)
	}
}

const disc = cognitoIss + "/.well-known/openid-configuration"

// Each rule of docs/facts.md#jwt-authorizer, one or more rows each.
func TestCheckAuthorizer(t *testing.T) {
	id := mint(t, tokentest.CognitoID(cognitoIss, "5pk1q2", now, time.Hour))
	access := mint(t, tokentest.CognitoAccess(cognitoIss, "5pk1q2", now, time.Hour))
	okta := mint(t, tokentest.Okta("https://dev.okta.com/oauth2/default", "api://default", "0oa1", now, time.Hour))
	auth0 := mint(t, tokentest.Auth0("https://t.auth0.com/", "https://api", "AzP", now, time.Hour))
	entra := mint(t, tokentest.Entra("https://login.microsoftonline.com/t/v2.0", "api://agent", "azp1", now, time.Hour))
	withClaims := func(extra map[string]any) *tokencheck.Token {
		c := tokentest.CognitoAccess(cognitoIss, "5pk1q2", now, time.Hour)
		for k, v := range extra {
			c[k] = v
		}
		return mint(t, c)
	}
	az := func(mod func(*tokencheck.Authorizer)) *tokencheck.Authorizer {
		a := &tokencheck.Authorizer{DiscoveryURL: disc}
		mod(a)
		return a
	}
	claim := func(name, vt, op string, v string, vs []string) func(*tokencheck.Authorizer) {
		return func(a *tokencheck.Authorizer) {
			a.CustomClaims = append(a.CustomClaims, tokencheck.CustomClaim{Name: name, ValueType: vt, Operator: op, MatchValue: v, MatchValues: vs})
		}
	}
	type want struct {
		id     string
		status tokencheck.Status
		text   string // in detail or hint
		fix    string // in fix
	}
	cases := []struct {
		name   string
		tok    *tokencheck.Token
		az     *tokencheck.Authorizer
		issuer string
		want   []want
	}{
		{"no authorizer = IAM only", id, nil, cognitoIss, []want{
			{"authorizer.mode", "fail", "IAM (SigV4) only", "kubectl agentcore wizard"},
			{"authorizer.audience", "skip", "no JWT authorizer", ""}, {"authorizer.issuer", "skip", "", ""}}},
		{"discovery URL is the bare issuer", id, &tokencheck.Authorizer{DiscoveryURL: cognitoIss, AllowedAudience: []string{"5pk1q2"}}, "", []want{
			{"authorizer.discovery-url", "fail", "does not end in /.well-known/openid-configuration", disc}}},
		{"discovery URL good", id, az(func(a *tokencheck.Authorizer) {}), "", []want{{"authorizer.discovery-url", "pass", disc, ""}}},
		{"issuer byte-equal", id, az(func(a *tokencheck.Authorizer) {}), cognitoIss, []want{{"authorizer.issuer", "pass", "equals", ""}}},
		{"issuer trailing slash", id, az(func(a *tokencheck.Authorizer) {}), cognitoIss + "/", []want{{"authorizer.issuer", "fail", "only by a trailing slash", ""}}},
		{"issuer other", id, az(func(a *tokencheck.Authorizer) { a.DiscoveryURL = "https://other/.well-known/openid-configuration" }), "https://other", []want{
			{"authorizer.issuer", "fail", `≠ discovery issuer "https://other"`, `"discoveryUrl":"` + disc + `"`}}},
		{"issuer not fetched", id, az(func(a *tokencheck.Authorizer) {}), "", []want{{"authorizer.issuer", "skip", "not fetched", ""}}},
		{"issuer not fetched, URL does not match iss", id, az(func(a *tokencheck.Authorizer) { a.DiscoveryURL = "https://x/.well-known/openid-configuration" }), "", []want{
			{"authorizer.issuer", "warn", "does not lead to", ""}}},
		{"audience holds (ID token)", id, az(func(a *tokencheck.Authorizer) { a.AllowedAudience = []string{"other", "5pk1q2"} }), cognitoIss, []want{
			{"authorizer.audience", "pass", "is in allowedAudience", ""}, {"authorizer.client", "skip", "not set", ""},
			{"authorizer.scope", "skip", "", ""}, {"authorizer.claims", "skip", "", ""}}},
		{"audience: Cognito access token", access, az(func(a *tokencheck.Authorizer) { a.AllowedAudience = []string{"5pk1q2"} }), cognitoIss, []want{
			{"authorizer.audience", "fail", "this is a Cognito access token (no aud); the runtime checks allowedAudience [5pk1q2]", "kubectl agentcore rotate --token-use id"},
			{"authorizer.audience", "fail", "Use the ID token, or set allowedClients=[5pk1q2]", ""}}},
		{"audience: other app client", id, az(func(a *tokencheck.Authorizer) { a.AllowedAudience = []string{"zzz"} }), cognitoIss, []want{
			{"authorizer.audience", "fail", "for app client [5pk1q2], not in allowedAudience [zzz]", `"allowedAudience":["zzz","5pk1q2"]`}}},
		{"audience: Auth0 array aud, one matches", auth0, &tokencheck.Authorizer{DiscoveryURL: "https://t.auth0.com/.well-known/openid-configuration", AllowedAudience: []string{"https://api"}}, "https://t.auth0.com/", []want{
			{"authorizer.audience", "pass", "", ""}}},
		{"audience: Auth0 token for another API says --audience", auth0, &tokencheck.Authorizer{DiscoveryURL: "https://t.auth0.com/.well-known/openid-configuration", AllowedAudience: []string{"https://agents"}}, "https://t.auth0.com/", []want{
			{"authorizer.audience", "fail", "--audience https://agents", `"allowedAudience":["https://agents","https://api"]`}}},
		{"client holds (access token)", access, az(func(a *tokencheck.Authorizer) { a.AllowedClients = []string{"5pk1q2"} }), cognitoIss, []want{
			{"authorizer.client", "pass", `client_id "5pk1q2"`, ""}, {"authorizer.audience", "skip", "", ""}}},
		{"client: Cognito ID token", id, az(func(a *tokencheck.Authorizer) { a.AllowedClients = []string{"5pk1q2"} }), cognitoIss, []want{
			{"authorizer.client", "fail", "this is a Cognito ID token (no client_id, aud=[5pk1q2]); the runtime checks allowedClients [5pk1q2]", "kubectl agentcore rotate --token-use access"},
			{"authorizer.client", "fail", "Use the access token, or set allowedAudience=[5pk1q2]", ""}}},
		{"client: other client id", access, az(func(a *tokencheck.Authorizer) { a.AllowedClients = []string{"zzz"} }), cognitoIss, []want{
			{"authorizer.client", "fail", `client_id "5pk1q2" is not in allowedClients [zzz]`, `"allowedClients":["zzz","5pk1q2"]`}}},
		{"client: Okta has cid not client_id", okta, &tokencheck.Authorizer{DiscoveryURL: "https://dev.okta.com/oauth2/default/.well-known/openid-configuration", AllowedClients: []string{"0oa1"}}, "", []want{
			{"authorizer.client", "fail", `its client is in cid="0oa1"`, `"allowedAudience":["api://default"]`}}},
		{"client: Entra has azp", entra, &tokencheck.Authorizer{DiscoveryURL: "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration", AllowedClients: []string{"azp1"}}, "", []want{
			{"authorizer.client", "fail", `azp="azp1"`, ""}}},
		{"both set, Cognito ID token: audience holds, client fails", id, az(func(a *tokencheck.Authorizer) {
			a.AllowedAudience, a.AllowedClients = []string{"5pk1q2"}, []string{"5pk1q2"}
		}), cognitoIss, []want{
			{"authorizer.audience", "pass", "allowedClients must hold too", ""},
			{"authorizer.client", "fail", "both must hold", ""},
			{"authorizer.client", "fail", "Never set both for Cognito", ""}}},
		{"both set, Cognito access token: client holds, audience fails", access, az(func(a *tokencheck.Authorizer) {
			a.AllowedAudience, a.AllowedClients = []string{"5pk1q2"}, []string{"5pk1q2"}
		}), cognitoIss, []want{
			{"authorizer.client", "pass", "allowedAudience must hold too", ""},
			{"authorizer.audience", "fail", "this is a Cognito access token", "rotate --token-use id"}}},
		{"both set, both hold", withClaims(map[string]any{"aud": "5pk1q2"}), az(func(a *tokencheck.Authorizer) {
			a.AllowedAudience, a.AllowedClients = []string{"5pk1q2"}, []string{"5pk1q2"}
		}), cognitoIss, []want{{"authorizer.audience", "pass", "", ""}, {"authorizer.client", "pass", "", ""}}},
		{"scope holds", access, az(func(a *tokencheck.Authorizer) { a.AllowedScopes = []string{"openid"} }), cognitoIss, []want{{"authorizer.scope", "pass", "", ""}}},
		{"scope: none matches", access, az(func(a *tokencheck.Authorizer) { a.AllowedScopes = []string{"agent/invoke"} }), cognitoIss, []want{
			{"authorizer.scope", "fail", "has none of allowedScopes [agent/invoke]", `"allowedScopes":["agent/invoke","aws.cognito.signin.user.admin"]`}}},
		{"scope: ID token has none", id, az(func(a *tokencheck.Authorizer) { a.AllowedScopes = []string{"openid"} }), cognitoIss, []want{
			{"authorizer.scope", "fail", "ID tokens carry no scope", "rotate --token-use access"}}},
		{"scope: Okta scp", okta, &tokencheck.Authorizer{DiscoveryURL: "https://dev.okta.com/oauth2/default/.well-known/openid-configuration", AllowedScopes: []string{"agent.invoke"}}, "", []want{
			{"authorizer.scope", "warn", "in scp", ""}}},
		{"claims: STRING EQUALS holds", withClaims(map[string]any{"dept": "eng"}), az(claim("dept", "STRING", "EQUALS", "eng", nil)), cognitoIss, []want{{"authorizer.claims", "pass", "all 1", ""}}},
		{"claims: STRING EQUALS fails", withClaims(map[string]any{"dept": "ops"}), az(claim("dept", "STRING", "EQUALS", "eng", nil)), cognitoIss, []want{{"authorizer.claims", "fail", `dept="ops" fails rule dept EQUALS "eng"`, ""}}},
		{"claims: missing claim", access, az(claim("dept", "STRING", "EQUALS", "eng", nil)), cognitoIss, []want{{"authorizer.claims", "fail", "no dept claim", ""}}},
		{"claims: type mismatch", withClaims(map[string]any{"dept": []any{"eng"}}), az(claim("dept", "STRING", "EQUALS", "eng", nil)), cognitoIss, []want{{"authorizer.claims", "fail", "is an array, the rule expects a STRING", ""}}},
		{"claims: STRING_ARRAY CONTAINS holds", withClaims(map[string]any{"groups": []any{"a", "admins"}}), az(claim("groups", "STRING_ARRAY", "CONTAINS", "admins", nil)), cognitoIss, []want{{"authorizer.claims", "pass", "", ""}}},
		{"claims: STRING_ARRAY CONTAINS fails", withClaims(map[string]any{"groups": []any{"a"}}), az(claim("groups", "STRING_ARRAY", "CONTAINS", "admins", nil)), cognitoIss, []want{{"authorizer.claims", "fail", "groups=[a] fails", ""}}},
		{"claims: STRING_ARRAY given a string", withClaims(map[string]any{"groups": "admins"}), az(claim("groups", "STRING_ARRAY", "CONTAINS", "admins", nil)), cognitoIss, []want{{"authorizer.claims", "fail", "expects a STRING_ARRAY", ""}}},
		{"claims: CONTAINS_ANY holds", withClaims(map[string]any{"groups": []any{"x", "b"}}), az(claim("groups", "STRING_ARRAY", "CONTAINS_ANY", "", []string{"a", "b"})), cognitoIss, []want{{"authorizer.claims", "pass", "", ""}}},
		{"claims: CONTAINS_ANY fails", withClaims(map[string]any{"groups": []any{"x"}}), az(claim("groups", "STRING_ARRAY", "CONTAINS_ANY", "", []string{"a", "b"})), cognitoIss, []want{{"authorizer.claims", "fail", "", ""}}},
		{"claims: every rule must hold", withClaims(map[string]any{"dept": "eng", "groups": []any{"x"}}), az(func(a *tokencheck.Authorizer) {
			claim("dept", "STRING", "EQUALS", "eng", nil)(a)
			claim("groups", "STRING_ARRAY", "CONTAINS_ANY", "", []string{"a"})(a)
		}), cognitoIss, []want{{"authorizer.claims", "fail", "groups=[x] fails", ""}}},
		{"no token: token checks skip", nil, az(func(a *tokencheck.Authorizer) { a.AllowedAudience = []string{"x"} }), cognitoIss, []want{
			{"authorizer.mode", "pass", "", ""}, {"authorizer.audience", "skip", "no token", ""}, {"authorizer.issuer", "skip", "no token", ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := tokencheck.CheckAuthorizer(c.tok, c.az, c.issuer)
			if len(fs) != 7 {
				t.Fatalf("%d findings, want 7", len(fs))
			}
			for _, f := range fs {
				if f.Category != "authorizer" || !strings.HasPrefix(f.ID, "authorizer.") {
					t.Errorf("bad id/category %+v", f)
				}
				if f.Status == tokencheck.StatusFail && (f.Hint == "" || f.Detail == "") {
					t.Errorf("%s fails without detail and hint: %+v", f.ID, f)
				}
				if strings.Contains(f.Detail, "\n") {
					t.Errorf("%s detail is not one line", f.ID)
				}
			}
			for _, w := range c.want {
				f := find(t, fs, w.id)
				if f.Status != w.status {
					t.Errorf("%s = %s (%s), want %s", w.id, f.Status, f.Detail, w.status)
				}
				if !strings.Contains(f.Detail+" "+f.Hint, w.text) {
					t.Errorf("%s: %q / %q lacks %q", w.id, f.Detail, f.Hint, w.text)
				}
				if !strings.Contains(f.Fix, w.fix) {
					t.Errorf("%s fix %q lacks %q", w.id, f.Fix, w.fix)
				}
			}
		})
	}
}

func TestCheckAuthorizerFetchError(t *testing.T) {
	tok := mint(t, tokentest.CognitoID(cognitoIss, "c", now, time.Hour))
	fs := tokencheck.CheckAuthorizerDiscovery(tok, &tokencheck.Authorizer{DiscoveryURL: disc}, nil, &tokencheck.FetchError{What: "discovery document", URL: disc, Reason: "HTTP 404 Not Found"})
	if f := find(t, fs, "authorizer.discovery-url"); f.Status != "fail" || !strings.Contains(f.Detail, "404") {
		t.Errorf("%+v", f)
	}
	if f := find(t, fs, "authorizer.issuer"); f.Status != "skip" {
		t.Errorf("%+v", f)
	}
}

func TestUpdateCommandUsesRuntimeID(t *testing.T) {
	az := &tokencheck.Authorizer{DiscoveryURL: disc, AllowedAudience: []string{"x"}, RuntimeID: "agent-Ab12Cd34Ef"}
	fs := tokencheck.CheckAuthorizer(mint(t, tokentest.CognitoID(cognitoIss, "5pk1q2", now, time.Hour)), az, cognitoIss)
	f := find(t, fs, "authorizer.audience")
	if !strings.HasPrefix(f.Fix, "aws bedrock-agentcore-control update-agent-runtime --agent-runtime-id agent-Ab12Cd34Ef --authorizer-configuration '{\"customJWTAuthorizer\":") {
		t.Errorf("fix %q", f.Fix)
	}
	if len(az.AllowedAudience) != 1 {
		t.Error("the fix changed the caller's authorizer")
	}
}

func TestExplain(t *testing.T) {
	cases := []struct {
		tok  *tokencheck.Token
		want []string
		sugg string
	}{
		{mint(t, tokentest.CognitoID(cognitoIss, "5pk1q2", now, time.Hour)), []string{"aud=5pk1q2 → allowedAudience containing 5pk1q2", "no client_id → allowedClients will reject it", "no scope → allowedScopes will reject it", "configure allowedAudience=[5pk1q2] only"},
			`{"customJWTAuthorizer":{"discoveryUrl":"` + disc + `","allowedAudience":["5pk1q2"]}}`},
		{mint(t, tokentest.CognitoAccess(cognitoIss, "5pk1q2", now, time.Hour)), []string{"no aud → allowedAudience will reject it", "client_id=5pk1q2 → allowedClients containing 5pk1q2", "scope=aws.cognito.signin.user.admin openid → allowedScopes containing one of"},
			`{"customJWTAuthorizer":{"discoveryUrl":"` + disc + `","allowedClients":["5pk1q2"]}}`},
		{mint(t, tokentest.Okta("https://o/oauth2/default", "api://default", "0oa1", now, time.Hour)), []string{"no client_id → allowedClients will reject it (its client is in cid=0oa1", "scopes in scp", "Okta token → configure allowedAudience=[api://default]"},
			`{"customJWTAuthorizer":{"discoveryUrl":"https://o/oauth2/default/.well-known/openid-configuration","allowedAudience":["api://default"]}}`},
	}
	for _, c := range cases {
		got := strings.Join(tokencheck.Explain(c.tok), "\n")
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: Explain\n%s\nlacks %q", c.tok.Kind, got, w)
			}
		}
		if s := tokencheck.SuggestAuthorizer(c.tok).ConfigJSON(); s != c.sugg {
			t.Errorf("%s: suggested %s, want %s", c.tok.Kind, s, c.sugg)
		}
		// The suggestion must pass CheckAuthorizer for the same token.
		if w := tokencheck.Worst(tokencheck.CheckAuthorizer(c.tok, tokencheck.SuggestAuthorizer(c.tok), c.tok.Issuer)); w == tokencheck.StatusFail {
			t.Errorf("%s: the suggested authorizer rejects the token", c.tok.Kind)
		}
	}
}
