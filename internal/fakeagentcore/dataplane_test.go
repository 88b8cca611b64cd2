package fakeagentcore_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/golang-jwt/jwt/v5"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
)

// idp is a tiny OpenID provider: discovery + JWKS, an RSA key (kid "k1") and an EC key (kid "e1").
type idp struct {
	srv    *httptest.Server
	issuer string
	rsaKey *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey
	// discoIssuer overrides the issuer the discovery document states.
	discoIssuer string
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func newIDP(t testing.TB) *idp {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := &idp{rsaKey: rk, ecKey: ek}
	mux := http.NewServeMux()
	mux.HandleFunc("/pool/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss := p.issuer
		if p.discoIssuer != "" {
			iss = p.discoIssuer
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": p.issuer + "/.well-known/jwks.json"})
	})
	mux.HandleFunc("/pool/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{
			{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
			{"kty": "EC", "kid": "e1", "crv": "P-256", "x": b64(ek.X.FillBytes(make([]byte, 32))), "y": b64(ek.Y.FillBytes(make([]byte, 32)))},
		}})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/pool"
	return p
}

func (p *idp) discovery() string { return p.issuer + "/.well-known/openid-configuration" }

func (p *idp) token(t testing.TB, claims jwt.MapClaims, kid string) string {
	t.Helper()
	if _, ok := claims["iss"]; !ok {
		claims["iss"] = p.issuer
	}
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = time.Now().Add(time.Hour).Unix()
	}
	var tok *jwt.Token
	var key any = p.rsaKey
	if kid == "e1" {
		tok, key = jwt.NewWithClaims(jwt.SigningMethodES256, claims), p.ecKey
	} else {
		tok = jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	}
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seed(t *testing.T, f *fakeagentcore.Server, name, authorizer string) fakeagentcore.Runtime {
	t.Helper()
	rt, err := f.AddRuntime(&bedrockagentcorecontrol.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String(name),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("img")}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
	})
	if err != nil {
		t.Fatal(err)
	}
	if authorizer != "" {
		if err := f.SetAuthorizerJSON(rt.ID, []byte(authorizer)); err != nil {
			t.Fatal(err)
		}
	}
	return rt
}

type reply struct {
	status int
	body   string
	header http.Header
}

func invoke(t *testing.T, u, auth string, hdr map[string]string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`{"role":"user","content":[{"text":"hello agent"}]}`))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b), resp.Header}
}

func TestDataPlaneAuthorizerTable(t *testing.T) {
	p := newIDP(t)
	f := agentcoretest.Start(t, fakeagentcore.Options{})
	audRT := seed(t, f, "aud_agent", `{"customJWTAuthorizer":{"discoveryUrl":"`+p.discovery()+`","allowedAudience":["client-1"]}}`)
	cliRT := seed(t, f, "client_agent", `{"customJWTAuthorizer":{"discoveryUrl":"`+p.discovery()+`","allowedClients":["client-1"]}}`)
	bothRT := seed(t, f, "both_agent", `{"customJWTAuthorizer":{"discoveryUrl":"`+p.discovery()+`","allowedAudience":["api"],"allowedClients":["client-1"]}}`)
	scopeRT := seed(t, f, "scope_agent", `{"customJWTAuthorizer":{"discoveryUrl":"`+p.discovery()+`","allowedClients":["client-1"],"allowedScopes":["agent/invoke"]}}`)
	claimRT := seed(t, f, "claim_agent", `{"customJWTAuthorizer":{"discoveryUrl":"`+p.discovery()+`","allowedAudience":["client-1"],"customClaims":[
		{"inboundTokenClaimName":"dept","inboundTokenClaimValueType":"STRING","authorizingClaimMatchValue":{"claimMatchValue":{"matchValueString":"eng"},"claimMatchOperator":"EQUALS"}},
		{"inboundTokenClaimName":"groups","inboundTokenClaimValueType":"STRING_ARRAY","authorizingClaimMatchValue":{"claimMatchValue":{"matchValueStringList":["a","b"]},"claimMatchOperator":"CONTAINS_ANY"}}]}}`)
	iamRT := seed(t, f, "iam_agent", "")

	now := time.Now()
	idTok := p.token(t, jwt.MapClaims{"sub": "u", "aud": "client-1", "token_use": "id"}, "k1")
	accessTok := p.token(t, jwt.MapClaims{"sub": "u", "client_id": "client-1", "scope": "aws.cognito.signin.user.admin", "token_use": "access"}, "k1")
	u := func(rt fakeagentcore.Runtime) string { return fakeagentcore.InvocationURL(f.URL, rt.ARN) }
	bearer := func(s string) string { return "Bearer " + s }

	cases := []struct {
		name   string
		url    string
		auth   string
		status int
		want   string
	}{
		{"id token, allowedAudience", u(audRT), bearer(idTok), 200, "echo: hello agent"},
		{"ES256 id token", u(audRT), bearer(p.token(t, jwt.MapClaims{"aud": []string{"x", "client-1"}}, "e1")), 200, "echo: hello agent"},
		{"access token, allowedClients", u(cliRT), bearer(accessTok), 200, "echo:"},
		{"no token", u(audRT), "", 401, "Bearer token is required"},
		{"access token vs allowedAudience (no aud)", u(audRT), bearer(accessTok), 401, fakeagentcore.MsgAudMismatch},
		{"id token vs allowedClients (no client_id)", u(cliRT), bearer(idTok), 401, fakeagentcore.MsgClientMismatch},
		{"other audience", u(audRT), bearer(p.token(t, jwt.MapClaims{"aud": "client-2"}, "k1")), 401, fakeagentcore.MsgAudMismatch},
		{"both lists: only aud holds", u(bothRT), bearer(p.token(t, jwt.MapClaims{"aud": "api"}, "k1")), 401, fakeagentcore.MsgClientMismatch},
		{"both lists: only client holds", u(bothRT), bearer(p.token(t, jwt.MapClaims{"client_id": "client-1"}, "k1")), 401, fakeagentcore.MsgAudMismatch},
		{"both lists: both hold", u(bothRT), bearer(p.token(t, jwt.MapClaims{"aud": "api", "client_id": "client-1"}, "k1")), 200, "echo:"},
		{"scope missing", u(scopeRT), bearer(accessTok), 401, fakeagentcore.MsgScopeMismatch},
		{"scope present", u(scopeRT), bearer(p.token(t, jwt.MapClaims{"client_id": "client-1", "scope": "openid agent/invoke"}, "k1")), 200, "echo:"},
		{"custom claims hold", u(claimRT), bearer(p.token(t, jwt.MapClaims{"aud": "client-1", "dept": "eng", "groups": []string{"z", "b"}}, "k1")), 200, "echo:"},
		{"custom claim STRING mismatch", u(claimRT), bearer(p.token(t, jwt.MapClaims{"aud": "client-1", "dept": "ops", "groups": []string{"a"}}, "k1")), 401, "Claim 'dept' value mismatch"},
		{"custom claim array mismatch", u(claimRT), bearer(p.token(t, jwt.MapClaims{"aud": "client-1", "dept": "eng", "groups": []string{"c"}}, "k1")), 401, "Claim 'groups' value mismatch"},
		{"expired", u(audRT), bearer(p.token(t, jwt.MapClaims{"aud": "client-1", "exp": now.Add(-time.Minute).Unix()}, "k1")), 401, fakeagentcore.MsgExpired},
		{"expires within the minute", u(audRT), bearer(p.token(t, jwt.MapClaims{"aud": "client-1", "exp": now.Add(30 * time.Second).Unix()}, "k1")), 401, fakeagentcore.MsgExpired},
		{"iss with trailing slash", u(audRT), bearer(p.token(t, jwt.MapClaims{"aud": "client-1", "iss": p.issuer + "/"}, "k1")), 401, fakeagentcore.MsgIssuerMismatch},
		{"unknown kid", u(audRT), bearer(p.token(t, jwt.MapClaims{"aud": "client-1"}, "k9")), 401, fakeagentcore.MsgSignature},
		{"tampered payload", u(audRT), bearer(tamper(idTok)), 401, fakeagentcore.MsgSignature},
		{"alg none", u(audRT), bearer("eyJhbGciOiJub25lIiwia2lkIjoiazEifQ.eyJhdWQiOiJjbGllbnQtMSJ9."), 401, ""},
		{"garbage token", u(audRT), bearer("not-a-jwt"), 401, fakeagentcore.MsgInvalidToken},
		{"IAM runtime + bearer", u(iamRT), bearer(idTok), 403, "Authorization method mismatch"},
		{"JWT runtime + SigV4", u(audRT), "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=00", 403, "Authorization method mismatch"},
		{"IAM runtime, no auth", u(iamRT), "", 403, fakeagentcore.MsgMissingAuthToken},
		{"path without /invocations", strings.TrimSuffix(u(audRT), "/invocations"), bearer(idTok), 403, fakeagentcore.MsgMissingAuthToken},
		{"path with /invocation typo", strings.TrimSuffix(u(audRT), "s"), bearer(idTok), 403, fakeagentcore.MsgMissingAuthToken},
		{"unknown runtime", fakeagentcore.InvocationURL(f.URL, "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/nope-abcdefghij"), bearer(idTok), 404, "No endpoint or agent found"},
		{"ARN not encoded", f.URL + "/runtimes/" + audRT.ARN + "/invocations", bearer(idTok), 403, fakeagentcore.MsgMissingAuthToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := invoke(t, c.url, c.auth, nil)
			if r.status != c.status || !strings.Contains(r.body, c.want) {
				t.Fatalf("got %d %s; want %d containing %q", r.status, r.body, c.status, c.want)
			}
			if c.name == "no token" {
				wa := r.header.Get("WWW-Authenticate")
				if !strings.HasPrefix(wa, `Bearer resource_metadata="`) || !strings.Contains(wa, "/.well-known/oauth-protected-resource") {
					t.Errorf("WWW-Authenticate = %q", wa)
				}
			}
		})
	}
	if f.Calls("InvokeAgentRuntime") == 0 {
		t.Error("invocations not counted")
	}
}

func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"sub":"u"`, `"sub":"v"`, 1))
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

func TestDataPlaneIssuerMismatchInDiscovery(t *testing.T) {
	p := newIDP(t)
	p.discoIssuer = "http://localhost:9229/pool" // what cognito-local's own document says
	f := agentcoretest.Start(t, fakeagentcore.Options{KeyCacheTTL: -1})
	rt := seed(t, f, "disc_agent", `{"customJWTAuthorizer":{"discoveryUrl":"`+p.discovery()+`","allowedAudience":["c"]}}`)
	r := invoke(t, fakeagentcore.InvocationURL(f.URL, rt.ARN), "Bearer "+p.token(t, jwt.MapClaims{"aud": "c"}, "k1"), nil)
	if r.status != 401 || !strings.Contains(r.body, fakeagentcore.MsgIssuerMismatch) {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	// Unreachable discovery URL.
	rt2 := seed(t, f, "gone_agent", `{"customJWTAuthorizer":{"discoveryUrl":"http://127.0.0.1:1/x/.well-known/openid-configuration","allowedAudience":["c"]}}`)
	r = invoke(t, fakeagentcore.InvocationURL(f.URL, rt2.ARN), "Bearer "+p.token(t, jwt.MapClaims{"aud": "c"}, "k1"), nil)
	if r.status != 401 || !strings.Contains(r.body, "discovery URL") {
		t.Fatalf("got %d %s", r.status, r.body)
	}
}

func TestDataPlaneEchoSessionSSEAndFailures(t *testing.T) {
	p := newIDP(t)
	f := agentcoretest.Start(t, fakeagentcore.Options{})
	rt := seed(t, f, "echo_agent", `{"customJWTAuthorizer":{"discoveryUrl":"`+p.discovery()+`","allowedAudience":["c"]}}`)
	tok := "Bearer " + p.token(t, jwt.MapClaims{"aud": "c", "sub": "svc"}, "k1")
	sid := strings.Repeat("s", 40)
	r := invoke(t, fakeagentcore.InvocationURL(f.URL, rt.ARN)+"?qualifier=DEFAULT", tok, map[string]string{"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": sid, "Accept": "application/json, text/event-stream"})
	var out struct {
		Content []struct{ Text string } `json:"content"`
		Session string                  `json:"sessionId"`
		Caller  map[string]any          `json:"caller"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &out) != nil || out.Content[0].Text != "echo: hello agent" || out.Session != sid || out.Caller["sub"] != "svc" {
		t.Fatalf("echo: %d %s", r.status, r.body)
	}
	if r.header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id") != sid {
		t.Error("session id not echoed")
	}
	if r := invoke(t, fakeagentcore.InvocationURL(f.URL, rt.ARN), tok, map[string]string{"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": "short"}); r.status != 400 {
		t.Errorf("short session id: %d", r.status)
	}
	if r := invoke(t, fakeagentcore.InvocationURL(f.URL, rt.ARN)+"?qualifier=PROD", tok, nil); r.status != 404 {
		t.Errorf("unknown qualifier: %d", r.status)
	}

	// SSE when only the event stream is accepted.
	req, _ := http.NewRequest(http.MethodPost, fakeagentcore.InvocationURL(f.URL, rt.ARN), strings.NewReader(`{"prompt":"one two three"}`))
	req.Header.Set("Authorization", tok)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	var chunks []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			chunks = append(chunks, d)
		}
	}
	resp.Body.Close()
	if len(chunks) < 4 || chunks[len(chunks)-1] != "[DONE]" || !strings.Contains(strings.Join(chunks, ""), "three") {
		t.Errorf("SSE chunks: %v", chunks)
	}

	// Injected agent failures after authorization.
	if err := f.FailInvocations(rt.ID, 1, 424, "RuntimeClientError", "The agent container exited"); err != nil {
		t.Fatal(err)
	}
	if r := invoke(t, fakeagentcore.InvocationURL(f.URL, rt.ARN), tok, nil); r.status != 424 || !strings.Contains(r.body, "container exited") || r.header.Get("X-Amzn-ErrorType") != "RuntimeClientError" {
		t.Errorf("424: %d %s", r.status, r.body)
	}
	if r := invoke(t, fakeagentcore.InvocationURL(f.URL, rt.ARN), tok, nil); r.status != 200 {
		t.Errorf("after the injected failure: %d", r.status)
	}
	// An unauthorised caller never reaches the injected failure.
	_ = f.FailInvocations(rt.ID, 1, 429, "ThrottlingException", "Rate exceeded")
	if r := invoke(t, fakeagentcore.InvocationURL(f.URL, rt.ARN), "", nil); r.status != 401 {
		t.Errorf("no token with a pending failure: %d", r.status)
	}
}

func TestLatencyInjection(t *testing.T) {
	f := agentcoretest.Start(t, fakeagentcore.Options{})
	rt := seed(t, f, "slow_agent", "")
	f.SetLatency(150 * time.Millisecond)
	start := time.Now()
	r := invoke(t, fakeagentcore.InvocationURL(f.URL, rt.ARN), "", nil)
	if d := time.Since(start); d < 150*time.Millisecond || r.status != 403 {
		t.Errorf("took %s (status %d), want ≥150ms", d, r.status)
	}
}

// BenchmarkInvokeValidated is one authorised invocation: HTTP round trip, JWT checks (keys cached), echo reply.
func BenchmarkInvokeValidated(b *testing.B) {
	p := newIDP(b)
	f := fakeagentcore.New(fakeagentcore.Options{})
	srv := httptest.NewServer(f.Handler())
	defer srv.Close()
	rt, err := f.AddRuntime(&bedrockagentcorecontrol.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String("bench_agent"),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("img")}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
	})
	if err != nil {
		b.Fatal(err)
	}
	_ = f.SetAuthorizerJSON(rt.ID, []byte(`{"customJWTAuthorizer":{"discoveryUrl":"`+p.discovery()+`","allowedAudience":["c"]}}`))
	tok := "Bearer " + p.token(b, jwt.MapClaims{"aud": "c"}, "k1")
	u := fakeagentcore.InvocationURL(srv.URL, rt.ARN)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`{"prompt":"hi"}`))
		req.Header.Set("Authorization", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
