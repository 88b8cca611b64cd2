package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
)

// Answer is one answer of a call on the path Client → Agent Gateway → AgentCore, or the error of a call that got
// none.
type Answer struct {
	Code   int
	Header http.Header
	Body   []byte
	// Err is set when no HTTP answer came (connection refused, TLS, DNS, timeout).
	Err error
	// Direct is true for a call sent straight to AgentCore without a token (invoke --direct, doctor's
	// probe.direct): a 401 is then expected, not a broken gateway.
	Direct bool
	// CallerToken is true when the request carried the caller's own token (invoke --bearer-from): an AgentCore
	// refusal then concerns the caller's token the gateway let through (passthrough) or the one it exchanged it for.
	CallerToken bool
	// CallerMode is true when the setup passes or exchanges its callers' tokens (mode passthrough or exchange):
	// the gateway's jwtAuthentication then refuses, as it should, a call that carries none.
	CallerMode bool
}

// Explanation is the one explanation of an answer that doctor's probe, invoke and the wizard's test call render:
// what came back, why, the doctor check that examines that cause, and what to do. Check and Cause always agree:
// when the answer alone cannot tell which of several checks names the cause, Check is the one doctor's own
// verdicts (Verdicts) fail, or "" with the candidates named in Next.
type Explanation struct {
	Status Status `json:"status"`
	// Summary is the answer in a few words ("401 Invalid Bearer token.").
	Summary string `json:"summary"`
	// Message is the service's own words, shortened, tokens masked.
	Message string `json:"message,omitempty"`
	Cause   string `json:"cause"`
	Check   string `json:"check,omitempty"`
	Next    string `json:"next"`
}

// Verdicts are doctor's results by check id: what doctor knows that an answer cannot say (the Secret's shape,
// the route's rewrite). nil = nothing known.
type Verdicts map[string]Result

// candidate is one check that can name the cause of an answer, with the cause in words.
type candidate struct {
	check, cause, next string
}

// answerClass is one kind of answer. The first matching class explains the answer.
type answerClass struct {
	name    string
	match   func(a Answer, low string) bool
	status  Status
	summary string // "" = the status code and the service's message
	// cands are the checks that can name the cause, most specific first. With one candidate the answer alone
	// decides; with several, doctor's verdicts decide, and without them cause/next are the class's own.
	cands       []candidate
	cause, next string
}

const runDoctor = "run kubectl agentcore doctor"

func is401(a Answer) bool { return a.Code == http.StatusUnauthorized }

func has(low string, subs ...string) bool {
	for _, s := range subs {
		if strings.Contains(low, s) {
			return true
		}
	}
	return false
}

var noTokenCands = []candidate{
	{IDSecretKey, "the request reached AgentCore without a bearer token: the Secret has no key the gateway reads (keys are case-sensitive), so the policy is PartiallyValid and sends none", "rename or add the key; run " + runDoctor},
	{IDSecretPresent, "the request reached AgentCore without a bearer token: the Secret the gateway reads does not exist, so the policy is PartiallyValid and sends none", "create it: kubectl agentcore rotate"},
	{IDResourcesPolicy, "the request reached AgentCore without a bearer token: no accepted, attached policy with backend.auth.secretRef covers this route", "fix the policy (kubectl agentcore wizard); run " + runDoctor},
}

var badTokenCands = []candidate{
	{IDSecretBearer, "AgentCore could not read the bearer token the gateway sent: the Secret's value is not `Bearer <jwt>` as the gateway needs it (Bearer twice, quotes, a lower-case scheme)", "store `Bearer <jwt>` once: kubectl agentcore rotate"},
	{IDSecretJWT, "AgentCore could not read the bearer token the gateway sent: the Secret does not hold a JWT", "put a JWT from the identity provider the runtime trusts in it: kubectl agentcore rotate"},
	{IDTokenMalformed, "AgentCore could not read the bearer token the gateway sent: the token does not decode", "kubectl agentcore rotate"},
}

var authorizerCands = []candidate{
	{IDTokenExpired, "the token has expired", "kubectl agentcore rotate"},
	{IDTokenExpiring, "the token expires within about a minute, which AgentCore already refuses", "kubectl agentcore rotate"},
	{IDTokenSignature, "the token's signature does not verify against the authorizer's JWKS", "mint the token from the pool the runtime trusts; " + runDoctor},
	{IDAuthorizerIssuer, "the token's iss is not the authorizer's discovery issuer", "mint the token from the pool the runtime trusts; " + runDoctor},
	{IDAuthorizerAudience, "no aud of the token is in the runtime's allowedAudience", "kubectl agentcore rotate --token-use id, or allow clients instead"},
	{IDAuthorizerClient, "the token's client_id is not in the runtime's allowedClients", "use a token with an allowed client_id"},
	{IDAuthorizerScope, "the token has none of the runtime's allowedScopes", "request a token with an allowed scope"},
	{IDAuthorizerClaims, "a custom claim rule of the runtime's authorizer does not hold", "mint a token with the claims the rules ask for"},
}

var notFoundCands = []candidate{
	{IDResourcesRewrite, "AgentCore has no runtime at the path the gateway sent: the route or backend names another ARN or region than the setup's runtime", "fix the route's rewrite (the fix doctor prints for resources.rewrite)"},
	{IDRuntimeARN, "AgentCore has no runtime with this ARN for these credentials: another account or region", "check the ARN; " + runDoctor},
	{IDRuntimeReady, "AgentCore has no runtime with this ARN: it was deleted or is not READY", "check the runtime (aws bedrock-agentcore-control get-agent-runtime); " + runDoctor},
}

// classes, in the order they are tried. Messages are matched as substrings (bodies vary; docs/checks.md).
var classes = []answerClass{
	{name: "ok", match: func(a Answer, _ string) bool { return a.Code >= 200 && a.Code < 300 }, status: Pass},
	// Refused at the gateway: its jwtAuthentication answers 401 "authentication failure: <TokenError>" (access-log
	// reason JwtAuth; docs/agentgateway-controller.md#the-callers-token). The kind of TokenError names the check.
	{name: "gateway-jwt-audience", match: func(a Answer, l string) bool {
		return gatewayJWT(a, l) && has(l, "invalidaudience", `missingrequiredclaim("aud")`)
	}, status: Fail, summary: "401 refused at the gateway (JwtAuth): the caller's token has no audience the gateway accepts",
		// The gateway's audiences (caller.audience) or this token (caller.token): when doctor finds the audiences
		// right, the token is what is wrong.
		cands: []candidate{
			{IDCallerAudience, "refused at the gateway (JwtAuth), before AgentCore saw it: the gateway's traffic.jwtAuthentication refused the caller's token: its provider's audiences are not the ones the callers' tokens carry", "fix the provider's audiences (the fix doctor prints for caller.audience)"},
			{IDCallerToken, "refused at the gateway (JwtAuth), before AgentCore saw it: the gateway's traffic.jwtAuthentication refused the caller's token: none of its aud values is among the provider's audiences", "send a token for an audience the gateway accepts (kubectl agentcore token inspect shows its aud); " + runDoctor + " --token-file F names it"}},
		cause: "refused at the gateway (JwtAuth), before AgentCore saw it: the gateway's traffic.jwtAuthentication refused the caller's token: none of its aud values is among the provider's audiences",
		next:  "send a token for an audience the gateway accepts (kubectl agentcore token inspect shows its aud), or fix the provider's audiences; " + runDoctor + " --token-file F tells which"},
	{name: "gateway-jwt-issuer", match: func(a Answer, l string) bool { return gatewayJWT(a, l) && has(l, "invalidissuer") },
		status: Fail, summary: "401 refused at the gateway (JwtAuth): the caller's token is from another issuer",
		cands: []candidate{
			{IDCallerIssuer, "refused at the gateway (JwtAuth), before AgentCore saw it: the gateway's traffic.jwtAuthentication refused the caller's token: the provider's issuer is not the identity provider's (byte for byte, a trailing / counts)", "fix the provider's issuer (the fix doctor prints for caller.issuer)"},
			{IDCallerToken, "refused at the gateway (JwtAuth), before AgentCore saw it: the gateway's traffic.jwtAuthentication refused the caller's token: its iss is not the provider's issuer (byte for byte, a trailing / counts)", "send a token of the identity provider the gateway trusts; " + runDoctor + " --token-file F names it"}},
		cause: "refused at the gateway (JwtAuth), before AgentCore saw it: the gateway's traffic.jwtAuthentication refused the caller's token: its iss is not the provider's issuer (byte for byte, a trailing / counts)",
		next:  "send a token of the identity provider the gateway trusts, or fix the provider's issuer; " + runDoctor + " --token-file F tells which"},
	{name: "gateway-jwt-token", match: func(a Answer, l string) bool {
		return gatewayJWT(a, l) && has(l, "expiredsignature", "immaturesignature", "invalidsignature", "unknown key", "does not specify a `kid`", "malformed", "missingrequiredclaim")
	}, status: Fail, summary: "401 refused at the gateway (JwtAuth): the caller's token does not verify",
		cands: []candidate{{IDCallerToken, "refused at the gateway (JwtAuth), before AgentCore saw it: the gateway's traffic.jwtAuthentication refused the caller's token: it is expired or not yet valid, not a JWT, or not signed by a key of the provider's JWKS", "inspect it (kubectl agentcore token inspect --verify) and send a fresh token of the identity provider the gateway trusts; " + runDoctor + " --token-file F"}}},
	{name: "gateway-no-caller-token", match: func(a Answer, l string) bool {
		return a.CallerMode && !a.CallerToken && is401(a) && has(l, "no bearer token found")
	}, status: Warn, summary: "401 refused at the gateway (JwtAuth): the call carried no token",
		cause: "refused at the gateway (JwtAuth), before AgentCore saw it: this setup passes (or exchanges) its callers' tokens, and the gateway's traffic.jwtAuthentication refuses a call that carries none, as it should",
		next:  "send the caller's token: kubectl agentcore invoke --bearer-from env:VAR|file:F|prompt"},
	{name: "gateway-jwt", match: func(a Answer, l string) bool {
		return is401(a) && has(l, "authentication failure", "no bearer token found", "jwtauth")
	}, status: Fail, summary: "401 from the gateway's own JWT check (client leg)",
		cands: []candidate{{IDResourcesPolicy, "the gateway's own JWT check refused the request: a policy's traffic.jwtAuthentication requires the caller's token", "send the caller's token (kubectl agentcore invoke --bearer-from file:F|env:VAR|prompt) when the setup passes or exchanges callers' tokens, else remove that policy"}}},
	// Refused at the gateway's token exchange (backend.auth.oauthTokenExchange): Agent Gateway answers 500
	// "backend authentication failed: token exchange returned status <s>: <the token service's body>".
	{name: "exchange-client", match: func(a Answer, l string) bool { return exchangeFailed(a, l) && has(l, "invalid_client") },
		status: Fail, summary: "500 refused at the gateway's token exchange: the token service refused the gateway's client (invalid_client)",
		cands: []candidate{{IDExchangeClientAuth, "refused at the gateway's token exchange: the token service refused the client the gateway exchanges with: the client secret in the policy's Secret is wrong, or the client id or authentication method", "put the right secret in the token-service Secret (kubectl agentcore wizard --mode exchange --exchange-client-secret-from …); check it with kubectl agentcore token exchange"}}},
	{name: "exchange-subject", match: func(a Answer, l string) bool { return exchangeFailed(a, l) && has(l, "invalid_grant") },
		status: Fail, summary: "500 refused at the gateway's token exchange: the token service refused the caller's token (invalid_grant)",
		cands: []candidate{{IDExchangeToken, "refused at the gateway's token exchange: the token service does not accept the caller's token as the subject of an exchange (another issuer, expired)", "check with kubectl agentcore token exchange --subject-token-from file:F; " + runDoctor + " --token-file F"}}},
	{name: "exchange-failed", match: exchangeFailed, status: Fail, summary: "500 refused at the gateway's token exchange",
		cands: []candidate{{IDExchangeDiscovery, "refused at the gateway's token exchange: the token service is unreachable, does not serve the token-exchange grant for this client, or does not know the audience", "check the token service with kubectl agentcore token exchange and " + runDoctor}}},
	// The gateway let the caller's token through (or the token it exchanged it for) and AgentCore refused it.
	{name: "caller-no-token", match: func(a Answer, l string) bool { return a.CallerToken && is401(a) && noToken(a, l) }, status: Fail,
		summary: "401 refused by AgentCore: no token reached it",
		cands:   []candidate{{IDCallerJWTPolicy, "refused by AgentCore, which got no token: the gateway took the caller's token and sent none on: backend.auth.passthrough (or oauthTokenExchange) is missing, or has no validating jwtAuthentication policy beside it", "fix the route's policies (kubectl agentcore wizard --mode passthrough|exchange)"}}},
	{name: "caller-audience", match: func(a Answer, l string) bool {
		return a.CallerToken && is401(a) && has(l, "claim 'aud'", "claim 'client_id'")
	},
		status: Fail, summary: "401 refused by AgentCore: the gateway let the token through, the runtime's authorizer refused its audience",
		cands: []candidate{{IDCallerAudience, "refused by AgentCore: the gateway accepted the caller's token (or exchanged it) but AgentCore's authorizer refused its aud/client_id: the gateway accepts audiences the runtime's allowedAudience (or allowedClients) does not", "make them agree (the fix doctor prints for caller.audience)"}}},
	{name: "caller-issuer", match: func(a Answer, l string) bool {
		return a.CallerToken && is401(a) && has(l, "claim 'iss'", "issuer", "signature", "signing keys", "openid configuration")
	}, status: Fail, summary: "401 refused by AgentCore: the gateway let the token through, the runtime trusts another issuer",
		cands: []candidate{{IDCallerIssuer, "refused by AgentCore: the gateway accepted the caller's token (or exchanged it) but AgentCore's authorizer refused it: its iss is not the issuer of the runtime's discoveryUrl, or its signature does not verify with that issuer's keys — the gateway and the runtime trust different issuers", "make the runtime's discoveryUrl and the gateway's provider name the same issuer (the fix doctor prints for caller.issuer)"}}},
	{name: "caller-401", match: func(a Answer, _ string) bool { return a.CallerToken && is401(a) }, status: Fail,
		summary: "401 refused by AgentCore: the gateway let the token through",
		cands:   []candidate{{IDCallerToken, "refused by AgentCore: the gateway accepted the caller's token (or exchanged it) but AgentCore's authorizer refused it", runDoctor + " --token-file F with the caller's token to see which rule fails"}}},
	{name: "aud", match: func(a Answer, l string) bool { return is401(a) && has(l, "claim 'aud'") }, status: Fail,
		cands: []candidate{{IDAuthorizerAudience, "AgentCore's JWT authorizer found no allowed audience in the token: typically a Cognito access token (no aud) where the runtime checks allowedAudience", "put the ID token in the Secret (kubectl agentcore rotate --token-use id) or allow clients instead"}}},
	{name: "client", match: func(a Answer, l string) bool { return is401(a) && has(l, "claim 'client_id'") }, status: Fail,
		cands: []candidate{{IDAuthorizerClient, "AgentCore's JWT authorizer checks allowedClients but the token has no matching client_id: typically a Cognito ID token or a non-Cognito token", "use a token with an allowed client_id, or configure allowedAudience instead"}}},
	{name: "scope", match: func(a Answer, l string) bool { return is401(a) && has(l, "scope") }, status: Fail,
		cands: []candidate{{IDAuthorizerScope, "the token has none of the runtime's allowedScopes", "request a token with an allowed scope"}}},
	{name: "expired", match: func(a Answer, l string) bool { return is401(a) && has(l, "expired", "'exp'") }, status: Fail,
		cands: authorizerCands[:2], cause: "the token has expired or expires within about a minute (AgentCore refuses both)", next: "refresh it: kubectl agentcore rotate (or keep it fresh with rotate --watch)"},
	{name: "issuer", match: func(a Answer, l string) bool { return is401(a) && has(l, "issuer", "claim 'iss'") }, status: Fail,
		cands: []candidate{{IDAuthorizerIssuer, "the token's iss is not the authorizer's discovery issuer (another pool, or a trailing slash)", "mint the token from the pool the runtime trusts"}}},
	{name: "signature", match: func(a Answer, l string) bool { return is401(a) && has(l, "signature", "kid", "jwks") }, status: Fail,
		cands: []candidate{{IDTokenSignature, "the token's signature does not verify against the authorizer's JWKS (signed by another pool or issuer)", "mint the token from the pool the runtime trusts"}}},
	{name: "no-token-direct", match: func(a Answer, l string) bool { return is401(a) && a.Direct && noToken(a, l) }, status: Fail,
		summary: "401 no bearer token", cause: "AgentCore requires a bearer token and none was sent: this is the 401 the gateway prevents by adding the Secret's token",
		next: "call through the gateway instead (kubectl agentcore invoke without --direct)"},
	{name: "no-token", match: func(a Answer, l string) bool { return is401(a) && noToken(a, l) }, status: Fail,
		summary: "401 no bearer token reached AgentCore", cands: noTokenCands,
		cause: "the request reached AgentCore without a bearer token: the gateway added none (the Secret or its key is missing, or no policy sends it)"},
	{name: "bad-token", match: func(a Answer, l string) bool {
		return is401(a) && (has(l, "invalid bearer", "invalid token", "malformed") || strings.Contains(a.Header.Get("WWW-Authenticate"), "invalid_token") && !has(l, "claim"))
	}, status: Fail, cands: badTokenCands,
		cause: "AgentCore could not read the bearer token it received (Bearer twice, quotes, or not a JWT)"},
	{name: "401", match: func(a Answer, _ string) bool { return is401(a) }, status: Fail, cands: authorizerCands,
		cause: "AgentCore's JWT authorizer refused the token", next: runDoctor + " to see which claim fails"},
	{name: "method-mismatch", match: func(a Answer, l string) bool {
		return a.Code == http.StatusForbidden && has(l, "authorization method mismatch", "different authorization token type")
	}, status: Fail, summary: "403 Authorization method mismatch",
		cands: []candidate{{IDAuthorizerMode, "the runtime has no JWT authorizer (IAM/SigV4 only) but received a bearer token, or the reverse", "configure the runtime's customJWTAuthorizer (kubectl agentcore wizard)"}}},
	{name: "missing-auth-direct", match: func(a Answer, l string) bool {
		return a.Code == http.StatusForbidden && a.Direct && has(l, "missing authentication token")
	}, status: Fail, summary: "403 Missing Authentication Token",
		cands: []candidate{{IDAuthorizerMode, "the runtime has no JWT authorizer (IAM/SigV4 only) and the call carried no credentials; behind the gateway it needs a customJWTAuthorizer", "configure the runtime's JWT authorizer with kubectl agentcore wizard"}}},
	{name: "missing-auth", match: func(a Answer, l string) bool {
		return a.Code == http.StatusForbidden && has(l, "missing authentication token")
	}, status: Fail, summary: "403 Missing Authentication Token",
		cands: []candidate{{IDResourcesRewrite, "the path is not /runtimes/<encoded ARN>/invocations: the route's rewrite is wrong or missing", "fix the route (the fix doctor prints for resources.rewrite, or re-run the wizard)"}}},
	{name: "403", match: func(a Answer, _ string) bool { return a.Code == http.StatusForbidden }, status: Fail,
		cands: []candidate{{IDAuthorizerMode, "AgentCore denied the call", runDoctor}}},
	{name: "no-route", match: func(a Answer, l string) bool {
		return a.Code == http.StatusNotFound && !a.Direct && (has(l, "route not found", "no route") || !has(l, "runtime", "resourcenotfound", "no endpoint or agent", "agent"))
	}, status: Fail,
		cands: []candidate{{IDResourcesRoute, "no route matched: the gateway has no HTTPRoute for this host/path, or it is not attached to the Gateway", "check the address (--gateway) and " + runDoctor}}},
	{name: "no-runtime", match: func(a Answer, _ string) bool { return a.Code == http.StatusNotFound }, status: Fail, cands: notFoundCands,
		cause: "AgentCore does not know that runtime: the route or backend names another ARN or region, or the runtime was deleted"},
	{name: "agent-failed", match: func(a Answer, _ string) bool { return a.Code == http.StatusFailedDependency }, status: Fail,
		summary: "424 the agent failed (RuntimeClientError)",
		cands:   []candidate{{IDRuntimeReady, "the agent container failed (RuntimeClientError): authentication worked, the agent itself errored", "read the agent's own logs (CloudWatch)"}}},
	{name: "throttled", match: func(a Answer, l string) bool { return a.Code == http.StatusTooManyRequests && has(l, "throttl") }, status: Warn,
		cands: []candidate{{IDRuntimeReady, "AgentCore throttled the call (ThrottlingException)", "retry with backoff, or ask for a higher quota"}}},
	{name: "rate-limited", match: func(a Answer, _ string) bool { return a.Code == http.StatusTooManyRequests }, status: Warn,
		cands: []candidate{{IDResourcesPolicy, "rate limited by the gateway's rate-limit policy (traffic.rateLimit, access-log reason RateLimit)", "wait and retry, or raise the policy's traffic.rateLimit"}}},
	{name: "upstream", match: func(a Answer, _ string) bool {
		return !a.Direct && (a.Code == http.StatusBadGateway || a.Code == http.StatusServiceUnavailable || a.Code == http.StatusGatewayTimeout)
	}, status: Fail, cands: []candidate{{IDResourcesBackend, "the gateway could not reach AgentCore (no healthy backend, DNS, TLS or timeout)", "check the backend (host, port 443, backend.tls); look at kubectl agentcore logs --status 5xx"}}},
	{name: "5xx", match: func(a Answer, _ string) bool { return a.Code >= 500 }, status: Fail,
		cause: "server error", next: "retry; if it persists look at kubectl agentcore logs --status 5xx"},
	{name: "400", match: func(a Answer, _ string) bool { return a.Code == http.StatusBadRequest }, status: Fail,
		cause: "the request was rejected as malformed (payload, session id or headers)", next: "check --data and --session-id"},
}

// gatewayJWT: the gateway's own jwtAuthentication refused the request (401 "authentication failure: …").
func gatewayJWT(a Answer, low string) bool {
	return is401(a) && has(low, "authentication failure")
}

// exchangeFailed: the gateway's token exchange failed (500 "backend authentication failed: token exchange …").
func exchangeFailed(a Answer, low string) bool {
	return a.Code == http.StatusInternalServerError && has(low, "backend authentication failed") && has(low, "token exchange")
}

// noToken: AgentCore's 401 to a request without a token carries WWW-Authenticate with resource_metadata and no
// error code (RFC 6750 §3.1: no error code when the request had no authentication).
func noToken(a Answer, low string) bool {
	if has(low, "missing or malformed authorization", "missing bearer", "no token", "no authorization header") {
		return true
	}
	w := a.Header.Get("WWW-Authenticate")
	return strings.HasPrefix(strings.ToLower(w), "bearer") && !strings.Contains(w, "error=")
}

// Explain explains an answer (or, with a.Err, a call that got none), taking doctor's verdicts where the answer
// alone cannot tell the cause.
func Explain(a Answer, v Verdicts) Explanation {
	if a.Err != nil {
		return explainError(a)
	}
	msg := serviceMessage(a.Body)
	low := strings.ToLower(msg + " " + string(a.Body))
	if a.Header == nil {
		a.Header = http.Header{}
	}
	e := Explanation{Message: msg}
	cl := answerClass{status: Fail, cause: fmt.Sprintf("unexpected HTTP %d", a.Code), next: runDoctor}
	for _, c := range classes {
		if c.match(a, low) {
			cl = c
			break
		}
	}
	e.Status, e.Summary = cl.status, cl.summary
	if e.Status == Pass {
		return Explanation{Status: Pass, Summary: fmt.Sprintf("%d %s", a.Code, http.StatusText(a.Code))}
	}
	if e.Summary == "" {
		e.Summary = fmt.Sprintf("%d %s", a.Code, http.StatusText(a.Code))
		if msg != "" {
			e.Summary = fmt.Sprintf("%d %s", a.Code, msg)
		}
	}
	e.Cause, e.Next = cl.cause, cl.next
	if c, r, ok := pickCandidate(cl.cands, v); ok {
		e.Check, e.Cause, e.Next = c.check, c.cause, c.next
		if r != nil && (r.Status == Fail || r.Status == Warn) {
			e.Cause += " (doctor: " + r.Detail + ")"
			if r.Fix != "" {
				e.Next = r.Fix
			}
		}
	} else if len(cl.cands) > 1 {
		ids := make([]string, len(cl.cands))
		for i, c := range cl.cands {
			ids[i] = c.check
		}
		e.Next = runDoctor + ": " + strings.Join(ids, ", ") + " look at this"
	}
	if e.Next == "" {
		e.Next = runDoctor
	}
	return e
}

// pickCandidate chooses the check that names the cause: the first candidate doctor failed, else the first it
// warned about; with one candidate, that one; when doctor knows some verdicts and exactly one candidate is not
// known to pass, that one. Otherwise none (the answer alone cannot tell).
func pickCandidate(cs []candidate, v Verdicts) (candidate, *Result, bool) {
	for _, want := range []Status{Fail, Warn} {
		for _, c := range cs {
			if r, ok := v[c.check]; ok && r.Status == want {
				return c, &r, true
			}
		}
	}
	if len(cs) == 1 {
		return cs[0], nil, true
	}
	if len(v) == 0 {
		return candidate{}, nil, false
	}
	var open []candidate
	for _, c := range cs {
		if r, ok := v[c.check]; !ok || r.Status != Pass {
			open = append(open, c)
		}
	}
	if len(open) == 1 {
		return open[0], nil, true
	}
	return candidate{}, nil, false
}

// Candidates are the checks whose verdicts can decide the cause of a, most specific first (nil when the answer
// alone decides).
func Candidates(a Answer) []string {
	if a.Err != nil {
		return nil
	}
	low := strings.ToLower(serviceMessage(a.Body) + " " + string(a.Body))
	if a.Header == nil {
		a.Header = http.Header{}
	}
	for _, c := range classes {
		if c.match(a, low) {
			if len(c.cands) < 2 {
				return nil
			}
			ids := make([]string, len(c.cands))
			for i, cd := range c.cands {
				ids[i] = cd.check
			}
			return ids
		}
	}
	return nil
}

// explainError explains a call that got no HTTP answer.
func explainError(a Answer) Explanation {
	err := a.Err
	e := Explanation{Status: Fail, Check: IDResourcesGateway, Next: runDoctor}
	if a.Direct {
		e.Check = ""
	}
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	text := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Summary, e.Cause = "connection refused", "nothing listens there: the Gateway's address or listener port is wrong (or --gateway-url)"
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &recErr), strings.Contains(text, "tls:"), strings.Contains(text, "x509:"), strings.Contains(text, "HTTP response to HTTPS client"):
		e.Summary, e.Cause = "TLS error: "+oneLineMsg(lastPart(text)), "http vs https mismatch, or a certificate the client does not trust"
	case errors.As(err, &dnsErr):
		e.Summary, e.Cause = "DNS: "+dnsErr.Error(), "the host name does not resolve: check the Gateway's address (or --gateway-url)"
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		e.Summary, e.Cause = "timed out", "no answer in time: check the network path (load balancer, security groups)"
	case errors.As(err, &opErr):
		e.Summary, e.Cause = oneLineMsg(opErr.Error()), "the connection failed"
	default:
		e.Summary, e.Cause, e.Check = oneLineMsg(text), "the call failed before an answer", ""
	}
	if a.Direct {
		e.Next = "AgentCore's data plane is not reachable from here: check the network (proxy, VPC endpoint)"
	}
	return e
}

func oneLineMsg(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func lastPart(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

var spaces = regexp.MustCompile(`\s+`)

// serviceMessage is {"message": …} / {"Message": …} / {"error": …} of a JSON body, else the body: one line,
// tokens masked, at most 200 bytes.
func serviceMessage(body []byte) string {
	s := string(body)
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"message", "Message", "error", "errorMessage"} {
			if v, ok := m[k].(string); ok && v != "" {
				s = v
				break
			}
		}
	}
	s = strings.TrimSpace(spaces.ReplaceAllString(redact.Text(s), " "))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Verdicts runs the given checks and those they depend on, with this doctor's shared state (nothing is fetched
// twice), and returns their results. Checks not planned (offline mode, no probe) are left out.
func (d *Doctor) Verdicts(ctx context.Context, ids ...string) Verdicts {
	all := d.checks
	if all == nil {
		all = d.Checks()
	}
	byID := make(map[string]Check, len(all))
	for _, c := range all {
		byID[c.ID] = c
	}
	want := map[string]bool{}
	var add func(id string)
	add = func(id string) {
		c, ok := byID[id]
		if !ok || want[id] {
			return
		}
		want[id] = true
		for _, dep := range c.Deps {
			add(dep)
		}
	}
	for _, id := range ids {
		add(id)
	}
	var sub []Check
	for _, c := range all {
		if want[c.ID] {
			sub = append(sub, c)
		}
	}
	v := Verdicts{}
	for _, r := range Collect(sub, Run(ctx, sub), nil).Checks {
		v[r.ID] = r
	}
	return v
}

// Known is what this doctor can tell about an answer's candidate checks (Candidates) from the cluster alone:
// without an AgentCore client the runtime and authorizer checks and the signature (which need AWS or the
// network) are left out rather than reported as failures they are not.
func (d *Doctor) Known(ctx context.Context, a Answer) Verdicts {
	var ids []string
	for _, id := range Candidates(a) {
		if d.deps.AgentCore == nil && (strings.HasPrefix(id, CatRuntime+".") || strings.HasPrefix(id, CatAuthorizer+".") || id == IDTokenSignature) {
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	return d.Verdicts(ctx, ids...)
}
