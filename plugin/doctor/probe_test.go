package doctor

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
)

// Every answer class of the one classifier, with and without doctor's verdicts.
func TestExplain(t *testing.T) {
	noTok := http.Header{"Www-Authenticate": {`Bearer resource_metadata="https://x/.well-known/oauth-protected-resource"`}}
	badTok := http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
	failed := func(ids ...string) Verdicts {
		v := Verdicts{}
		for _, id := range []string{IDResourcesPolicy, IDResourcesRewrite, IDSecretPresent, IDSecretKey, IDSecretBearer, IDSecretJWT, IDTokenMalformed, IDRuntimeARN, IDRuntimeReady} {
			v[id] = Result{ID: id, Status: Pass}
		}
		for _, id := range ids {
			v[id] = Result{ID: id, Status: Fail, Detail: "doctor says " + id, Fix: "fix " + id}
		}
		return v
	}
	for _, tc := range []struct {
		name   string
		a      Answer
		v      Verdicts
		status Status
		check  string
		sum    string // substring of Summary
		cause  string // substring of Cause
	}{
		{"ok", Answer{Code: 200, Body: []byte(`{"ok":true}`)}, nil, Pass, "", "200 OK", ""},
		{"gateway JWT", Answer{Code: 401, Body: []byte(`authentication failure: no bearer token found`)}, nil, Fail, IDResourcesPolicy, "client leg", "gateway's own JWT"},
		{"aud", Answer{Code: 401, Body: []byte(`{"message":"Claim 'aud' value mismatch with configuration."}`)}, nil, Fail, IDAuthorizerAudience, "Claim 'aud'", "access token"},
		{"client_id", Answer{Code: 401, Body: []byte(`{"message":"Claim 'client_id' value mismatch with configuration."}`)}, nil, Fail, IDAuthorizerClient, "client_id", "client_id"},
		{"scope", Answer{Code: 401, Body: []byte(`{"message":"Claim 'scope' value mismatch with configuration."}`)}, nil, Fail, IDAuthorizerScope, "scope", "allowedScopes"},
		{"expired, unknown", Answer{Code: 401, Body: []byte(`{"message":"Token has expired."}`)}, nil, Fail, "", "expired", "expired"},
		{"expired, doctor knows", Answer{Code: 401, Body: []byte(`{"message":"Token has expired."}`)}, Verdicts{IDTokenExpired: {Status: Fail, Detail: "expired 3m ago"}}, Fail, IDTokenExpired, "expired", "expired 3m ago"},
		{"issuer", Answer{Code: 401, Body: []byte(`{"message":"Claim 'iss' value mismatch with configuration."}`)}, nil, Fail, IDAuthorizerIssuer, "iss", "discovery issuer"},
		{"signature", Answer{Code: 401, Body: []byte(`{"message":"Token signature is invalid."}`)}, nil, Fail, IDTokenSignature, "signature", "JWKS"},
		{"no token, direct", Answer{Code: 401, Header: noTok, Direct: true}, nil, Fail, "", "no bearer token", "none was sent"},
		{"no token, unknown", Answer{Code: 401, Header: noTok}, nil, Fail, "", "no bearer token reached AgentCore", "without a bearer token"},
		{"no token, lower-case key", Answer{Code: 401, Header: noTok}, failed(IDSecretKey, IDResourcesPolicy), Fail, IDSecretKey, "no bearer token", "doctor says secret.authorization-key"},
		{"no token, no Secret", Answer{Code: 401, Header: noTok}, failed(IDSecretPresent, IDResourcesPolicy), Fail, IDSecretPresent, "no bearer token", "does not exist"},
		{"no token, no policy", Answer{Code: 401, Header: noTok}, failed(IDResourcesPolicy), Fail, IDResourcesPolicy, "no bearer token", "no accepted, attached policy"},
		{"Bearer twice, unknown", Answer{Code: 401, Header: badTok, Body: []byte(`{"message":"Invalid Bearer token."}`)}, nil, Fail, "", "Invalid Bearer token", "could not read"},
		{"Bearer twice, doctor knows", Answer{Code: 401, Header: badTok, Body: []byte(`{"message":"Invalid Bearer token."}`)}, failed(IDSecretBearer), Fail, IDSecretBearer, "Invalid Bearer token", "doctor says secret.bearer-form"},
		{"not a JWT, doctor knows", Answer{Code: 401, Header: badTok, Body: []byte(`{"message":"Invalid Bearer token."}`)}, failed(IDSecretJWT), Fail, IDSecretJWT, "Invalid Bearer token", "does not hold a JWT"},
		{"other 401", Answer{Code: 401}, nil, Fail, "", "401 Unauthorized", "refused the token"},
		{"method mismatch", Answer{Code: 403, Body: []byte(`{"message":"Authorization method mismatch. The agent is configured for a different authorization token type."}`)}, nil, Fail, IDAuthorizerMode, "method mismatch", "IAM"},
		{"old method mismatch", Answer{Code: 403, Body: []byte(`{"Message":"Agent is configured for a different authorization token type"}`)}, nil, Fail, IDAuthorizerMode, "method mismatch", "IAM"},
		{"missing auth token", Answer{Code: 403, Body: []byte(`{"message":"Missing Authentication Token"}`)}, nil, Fail, IDResourcesRewrite, "Missing Authentication Token", "rewrite"},
		{"missing auth token, direct", Answer{Code: 403, Body: []byte(`{"message":"Missing Authentication Token"}`), Direct: true}, nil, Fail, IDAuthorizerMode, "Missing Authentication Token", "no JWT authorizer"},
		{"other 403", Answer{Code: 403}, nil, Fail, IDAuthorizerMode, "403", "denied"},
		{"no route", Answer{Code: 404, Body: []byte(`route not found`)}, nil, Fail, IDResourcesRoute, "404", "no route matched"},
		{"runtime 404, unknown", Answer{Code: 404, Body: []byte(`{"message":"No endpoint or agent found with qualifier 'DEFAULT' for agent 'arn:…'"}`)}, nil, Fail, "", "404", "another ARN or region"},
		{"runtime 404, rewrite in another region", Answer{Code: 404, Body: []byte(`{"message":"No endpoint or agent found with qualifier 'DEFAULT' for agent 'arn:…'"}`)}, failed(IDResourcesRewrite), Fail, IDResourcesRewrite, "404", "doctor says resources.rewrite"},
		{"runtime 404, runtime deleted", Answer{Code: 404, Body: []byte(`ResourceNotFoundException: runtime not found`)}, failed(IDRuntimeReady), Fail, IDRuntimeReady, "404", "deleted"},
		{"agent failed", Answer{Code: 424, Body: []byte(`RuntimeClientError: container exited`)}, nil, Fail, IDRuntimeReady, "agent failed", "agent container"},
		{"rate limited", Answer{Code: 429, Body: []byte(`rate limit exceeded`)}, nil, Warn, IDResourcesPolicy, "429", "rate-limit policy"},
		{"throttled", Answer{Code: 429, Body: []byte(`ThrottlingException`)}, nil, Warn, IDRuntimeReady, "429", "throttled"},
		{"no healthy upstream", Answer{Code: 503, Body: []byte(`no healthy upstream`)}, nil, Fail, IDResourcesBackend, "503", "could not reach"},
		{"500", Answer{Code: 500}, nil, Fail, "", "500", "server error"},
		{"400", Answer{Code: 400, Body: []byte(`{"message":"bad session"}`)}, nil, Fail, "", "400 bad session", "malformed"},
		{"418", Answer{Code: 418}, nil, Fail, "", "418", "unexpected HTTP 418"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Explain(tc.a, tc.v)
			if e.Status != tc.status || e.Check != tc.check || !strings.Contains(e.Summary, tc.sum) || !strings.Contains(e.Cause, tc.cause) {
				t.Fatalf("Explain = %+v\nwant status %s check %q summary ~%q cause ~%q", e, tc.status, tc.check, tc.sum, tc.cause)
			}
			if e.Status != Pass && e.Next == "" {
				t.Fatalf("no next step: %+v", e)
			}
			if e.Check == "" && e.Status != Pass && len(Candidates(tc.a)) > 1 && !strings.Contains(e.Next, Candidates(tc.a)[0]) {
				t.Fatalf("an undecided cause must name the checks that decide it: %q", e.Next)
			}
			if r, ok := tc.v[e.Check]; ok && r.Status == Fail && r.Fix != "" && e.Next != r.Fix {
				t.Fatalf("next must be doctor's fix %q, got %q", r.Fix, e.Next)
			}
		})
	}
	if e := Explain(Answer{Code: 401, Body: []byte("bad token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")}, nil); strings.Contains(e.Summary+e.Message, "eyJzdWIi") {
		t.Fatalf("a token in a body must be masked: %+v", e)
	}
}

func TestClassifyErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = http.Post("http://"+addr+"/", "application/json", nil)
	if c := explainError(Answer{Err: err}); c.Summary != "connection refused" || c.Check != IDResourcesGateway {
		t.Fatalf("refused: %+v (%v)", c, err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("want ECONNREFUSED, got %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	_, err = http.Get("https://" + strings.TrimPrefix(srv.URL, "http://"))
	if c := explainError(Answer{Err: err}); !strings.HasPrefix(c.Summary, "TLS error") {
		t.Fatalf("TLS: %+v (%v)", c, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err = http.DefaultClient.Do(req)
	if c := explainError(Answer{Err: err}); c.Summary != "timed out" {
		t.Fatalf("timeout: %+v (%v)", c, err)
	}
}

// Every check id doctor can plan is documented in docs/checks.md.
func TestEveryCheckIsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "checks.md"))
	if err != nil {
		t.Fatal(err)
	}
	d := New(Options{Probe: true}, Deps{})
	cs := d.Checks()
	if err := Validate(cs); err != nil {
		t.Fatal(err)
	}
	gw := New(Options{AgentCoreGateway: "tools-gw-abcdef0123"}, Deps{}).Checks()
	if err := Validate(gw); err != nil {
		t.Fatal(err)
	}
	cs = append(cs, gw...)
	if len(cs) < 30 {
		t.Fatalf("only %d checks planned", len(cs))
	}
	for _, c := range cs {
		if !strings.Contains(string(b), "`"+c.ID+"`") {
			t.Errorf("%s is not in docs/checks.md", c.ID)
		}
	}
}

// MCP failures go through the one classifier: HTTP answers by status (a 401 names its resource_metadata),
// JSON-RPC errors by code, with the stage.
func TestExplainMCP(t *testing.T) {
	h := http.Header{}
	h.Set("WWW-Authenticate", `Bearer resource_metadata="https://gw.example/mcp/.well-known/oauth-protected-resource"`)
	e := ExplainMCP(&agentproto.StageError{Stage: "initialize", Err: &agentproto.HTTPError{Status: 401, Header: h, Body: []byte(`{"message":"Missing or malformed Authorization header"}`)}}, false, nil)
	if e.Status != Fail || !strings.HasPrefix(e.Summary, "initialize: 401") || !strings.Contains(e.Next, "https://gw.example/mcp/.well-known/oauth-protected-resource") {
		t.Errorf("401 = %+v", e)
	}
	e = ExplainMCP(&agentproto.StageError{Stage: "tools/list", Err: &agentproto.HTTPError{Status: 401, Header: http.Header{}, Body: []byte(`{"message":"Claim 'aud' value mismatch with configuration."}`)}}, false, nil)
	if e.Check != IDAuthorizerAudience {
		t.Errorf("aud = %+v", e)
	}
	e = ExplainMCP(&agentproto.StageError{Stage: "initialize", Err: &agentproto.RPCError{Code: -32601, Message: "Method not found"}}, false, nil)
	if e.Check != IDResourcesRewrite || !strings.Contains(e.Summary, "initialize: JSON-RPC error -32601") {
		t.Errorf("rpc = %+v", e)
	}
}
