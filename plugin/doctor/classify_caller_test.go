package doctor

import (
	"net/http"
	"strings"
	"testing"
)

// The caller-token modes: an answer refused at the gateway (its jwtAuthentication, its token exchange) is told
// apart from one refused by AgentCore, each naming the check. The bodies are the real shapes: Agent Gateway's
// 401/500 texts (crates/agentgateway/src/proxy/mod.rs, http/jwt.rs, http/auth/token_exchange.rs, as the sandbox's
// stand-in writes them) and AgentCore's JSON messages (as the fake AgentCore answers).
func TestExplainCallerToken(t *testing.T) {
	plain := http.Header{"Content-Type": {"text/plain"}}
	agentcore := func(msg string) []byte { return []byte(`{"message":"` + msg + `"}`) }
	for _, tc := range []struct {
		name   string
		a      Answer
		check  string
		where  string // substring of Summary: at the gateway / by AgentCore
		cause  string
		notSay string
		v      Verdicts // doctor's verdicts (nil: the answer alone)
	}{
		// An audience or issuer refusal is the gateway's settings or this token: doctor's verdicts decide.
		{"gateway: wrong audience, audiences right", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte("authentication failure: the token is invalid or malformed: Error(InvalidAudience)")},
			IDCallerToken, "refused at the gateway (JwtAuth)", "before AgentCore saw it", "", Verdicts{IDCallerAudience: {Status: Pass}}},
		{"gateway: wrong audience, audiences wrong", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte("authentication failure: the token is invalid or malformed: Error(InvalidAudience)")},
			IDCallerAudience, "refused at the gateway (JwtAuth)", "provider's audiences", "", Verdicts{IDCallerAudience: {Status: Fail}}},
		{"gateway: wrong audience, nothing known", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte("authentication failure: the token is invalid or malformed: Error(InvalidAudience)")},
			"", "refused at the gateway (JwtAuth)", "none of its aud values", "", nil},
		{"gateway: no aud at all", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte(`authentication failure: the token is invalid or malformed: Error(MissingRequiredClaim("aud"))`)},
			IDCallerToken, "refused at the gateway", "aud", "", Verdicts{IDCallerAudience: {Status: Pass}}},
		{"gateway: another issuer", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte("authentication failure: the token is invalid or malformed: Error(InvalidIssuer)")},
			IDCallerToken, "refused at the gateway", "iss is not the provider's issuer", "", Verdicts{IDCallerIssuer: {Status: Pass}}},
		{"gateway: issuer wrong", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte("authentication failure: the token is invalid or malformed: Error(InvalidIssuer)")},
			IDCallerIssuer, "refused at the gateway", "provider's issuer is not", "", Verdicts{IDCallerIssuer: {Status: Fail}}},
		{"gateway: expired", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte("authentication failure: the token is invalid or malformed: Error(ExpiredSignature)")},
			IDCallerToken, "refused at the gateway", "expired", "", nil},
		{"gateway: unknown key", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte(`authentication failure: token uses the unknown key "k2"`)},
			IDCallerToken, "refused at the gateway", "signed", "", nil},
		{"gateway: not a JWT", Answer{Code: 401, Header: plain, CallerToken: true,
			Body: []byte("authentication failure: the token header is malformed: Error(InvalidToken)")},
			IDCallerToken, "refused at the gateway", "not a JWT", "", nil},
		{"gateway: no token sent", Answer{Code: 401, Header: plain, Body: []byte("authentication failure: no bearer token found")},
			IDResourcesPolicy, "client leg", "requires the caller's token", "", nil},

		{"exchange: wrong client secret", Answer{Code: 500, Header: plain, CallerToken: true,
			Body: []byte(`backend authentication failed: token exchange returned status 401 Unauthorized: {"error":"invalid_client","error_description":"client authentication failed"}`)},
			IDExchangeClientAuth, "refused at the gateway's token exchange", "client secret", "", nil},
		{"exchange: subject refused", Answer{Code: 500, Header: plain, CallerToken: true,
			Body: []byte(`backend authentication failed: token exchange returned status 400 Bad Request: {"error":"invalid_grant","error_description":"subject_token is invalid"}`)},
			IDExchangeToken, "token exchange", "subject", "", nil},
		{"exchange: token service down", Answer{Code: 500, Header: plain, CallerToken: true,
			Body: []byte(`backend authentication failed: token exchange request failed: dial tcp 127.0.0.1:1: connect: connection refused`)},
			IDExchangeDiscovery, "token exchange", "unreachable", "", nil},
		{"AgentCore: audience", Answer{Code: 401, CallerToken: true, Body: agentcore("Claim 'aud' value mismatch with configuration.")},
			IDCallerAudience, "refused by AgentCore", "gateway accepted the caller's token", "before AgentCore", nil},
		{"AgentCore: issuer", Answer{Code: 401, CallerToken: true, Body: agentcore("Claim 'iss' value mismatch with configuration.")},
			IDCallerIssuer, "refused by AgentCore", "different issuers", "before AgentCore", nil},
		{"AgentCore: signature", Answer{Code: 401, CallerToken: true, Body: agentcore("Token signature is invalid.")},
			IDCallerIssuer, "refused by AgentCore", "different issuers", "", nil},
		{"AgentCore: no token arrived", Answer{Code: 401, CallerToken: true, Header: http.Header{"Www-Authenticate": {`Bearer resource_metadata="https://x"`}},
			Body: agentcore("Missing or malformed Authorization header; a Bearer token is required.")},
			IDCallerJWTPolicy, "refused by AgentCore", "sent none on", "", nil},
		{"AgentCore: other", Answer{Code: 401, CallerToken: true, Body: agentcore("Token has expired.")},
			IDCallerToken, "refused by AgentCore", "gateway accepted", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Explain(tc.a, tc.v)
			where := "refused by AgentCore"
			if strings.Contains(tc.where, "gateway") || tc.where == "client leg" || strings.Contains(tc.where, "token exchange") {
				where = "refused at the gateway"
			}
			if tc.check == IDResourcesPolicy {
				where = ""
			}
			if e.Status != Fail || e.Check != tc.check || !strings.Contains(e.Summary, tc.where) || !strings.Contains(e.Cause, tc.cause) || !strings.HasPrefix(e.Cause, where) {
				t.Fatalf("got %+v; want check %s, summary with %q, cause with %q", e, tc.check, tc.where, tc.cause)
			}
			if tc.notSay != "" && strings.Contains(e.Cause+e.Summary, tc.notSay) {
				t.Fatalf("%+v says %q", e, tc.notSay)
			}
			if multi := strings.Contains(tc.name, "audience") && strings.HasPrefix(tc.name, "gateway") || strings.HasPrefix(tc.name, "gateway: no aud") ||
				strings.Contains(tc.name, "issuer") && strings.HasPrefix(tc.name, "gateway"); multi != (Candidates(tc.a) != nil) {
				t.Fatalf("Candidates = %v (want several only for the gateway's audience and issuer refusals)", Candidates(tc.a))
			}
		})
	}
	// In a caller-token setup a call without a token refused at the gateway is the policy working (a warning, no
	// check to blame): the call is what lacks the token.
	noToken := Answer{Code: 401, Header: plain, CallerMode: true, Body: []byte("authentication failure: no bearer token found")}
	if e := Explain(noToken, nil); e.Status != Warn || e.Check != "" || !strings.Contains(e.Summary, "the call carried no token") ||
		!strings.Contains(e.Cause, "passes (or exchanges) its callers' tokens") || !strings.Contains(e.Next, "--bearer-from") || Candidates(noToken) != nil {
		t.Fatalf("caller-token setup, no token sent: %+v", e)
	}
	// Without the caller's token, an AgentCore audience refusal stays the authorizer's (the Secret's token).
	if e := Explain(Answer{Code: 401, Body: agentcore("Claim 'aud' value mismatch with configuration.")}, nil); e.Check != IDAuthorizerAudience {
		t.Fatalf("service token aud: %+v", e)
	}
}
