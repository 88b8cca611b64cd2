package invoke

import (
	"encoding/json"
	"fmt"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"net/http"
	"regexp"
	"strings"
)

// Explanation says why a non-2xx answer happened, which doctor check looks at that link, and what to do.
type Explanation struct {
	// Message is the service's own words, shortened (from the JSON "message" field or the body).
	Message string `json:"message,omitempty"`
	// Cause is the likely reason in plain words.
	Cause string `json:"cause"`
	// Check is the doctor check id that examines this link ("" when none applies).
	Check string `json:"check,omitempty"`
	// Next is what to do.
	Next string `json:"next"`
	// Summary and Hint are doctor's probe classification of the same answer.
	Summary string `json:"summary,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

// Classify explains a non-2xx answer. via is "gateway" or "direct". The check id and hint come from doctor's
// probe classifier (doctor.Classify), so invoke and doctor name the same cause; the cause sentence here also knows
// whether the call went through the gateway or straight to AgentCore.
func Classify(status int, h http.Header, body, via string) Explanation {
	e := classifyLocal(status, h, body, via)
	d := doctor.Classify(status, h, []byte(body))
	if d.Summary != "" {
		e.Summary = d.Summary
	}
	// The doctor's id is authoritative, except for what only makes sense for a direct call (no token on purpose,
	// or an IAM-only runtime asked without credentials).
	if !(via == "direct" && (status == http.StatusUnauthorized || status == http.StatusForbidden)) && d.CheckID != "" {
		e.Check = d.CheckID
	}
	if d.Hint != "" && e.Hint == "" {
		e.Hint = d.Hint
	}
	return e
}

func classifyLocal(status int, h http.Header, body, via string) Explanation {
	msg := serviceMessage(body)
	low := strings.ToLower(msg + " " + body)
	e := Explanation{Message: msg}
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(low, strings.ToLower(s)) {
				return true
			}
		}
		return false
	}
	doctor := "kubectl agentcore doctor"
	switch {
	case status == http.StatusUnauthorized && has("authentication failure", "no bearer token found", "jwtauth"):
		e.Cause = "the gateway's own JWT check refused the request (a client-side token is required by a policy's traffic.jwtAuthentication)"
		e.Next = "send a token the gateway accepts (--header-file), or check the policy with " + doctor
	case status == http.StatusUnauthorized && has("claim 'aud'"):
		e.Cause = "AgentCore's JWT authorizer found no allowed audience in the token: typically a Cognito access token (no aud) where the runtime checks allowedAudience"
		e.Check = "authorizer.audience"
		e.Next = "put the ID token in the Secret (kubectl agentcore rotate --token-use id) or allow clients instead; run " + doctor
	case status == http.StatusUnauthorized && has("claim 'client_id'"):
		e.Cause = "AgentCore's JWT authorizer checks allowedClients but the token has no matching client_id: typically a Cognito ID token or a non-Cognito token"
		e.Check = "authorizer.client"
		e.Next = "use a token with the allowed client_id, or configure allowedAudience instead; run " + doctor
	case status == http.StatusUnauthorized && has("claim 'scope'"):
		e.Cause = "the token has none of the runtime's allowedScopes"
		e.Check = "authorizer.scope"
		e.Next = "request a token with an allowed scope; run " + doctor
	case status == http.StatusUnauthorized && has("expired", "exp claim", "'exp'"):
		e.Cause = "the token has expired (AgentCore refuses tokens with less than about a minute left)"
		e.Check = "token.expired"
		e.Next = "refresh it: kubectl agentcore rotate (or keep it fresh with rotate --watch)"
	case status == http.StatusUnauthorized && has("issuer", "claim 'iss'"):
		e.Cause = "the token's iss is not the authorizer's discovery issuer (another pool, or a trailing slash)"
		e.Check = "authorizer.issuer"
		e.Next = "mint the token from the pool the runtime trusts; run " + doctor
	case status == http.StatusUnauthorized && has("signature", "kid", "jwks"):
		e.Cause = "the token's signature does not verify against the authorizer's JWKS (signed by another pool or issuer)"
		e.Check = "token.signature"
		e.Next = "mint the token from the pool the runtime trusts; run " + doctor
	case status == http.StatusUnauthorized && (strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") || has("missing bearer", "no token", "authorization header")):
		if via == "direct" {
			e.Cause = "AgentCore requires a bearer token and none was sent: this is the 401 the gateway prevents by adding the Secret's token"
			e.Next = "call through the gateway instead (kubectl agentcore invoke without --direct)"
		} else {
			e.Cause = "the request reached AgentCore without a bearer token: the gateway did not add the Secret's Authorization (Secret or key missing, or the policy is not attached)"
			e.Check = "secret.present"
			e.Next = "run " + doctor + " (secret and resources checks)"
		}
	case status == http.StatusUnauthorized:
		e.Cause = "AgentCore's JWT authorizer refused the token"
		e.Check = "authorizer.audience"
		e.Next = "run " + doctor + " to see which claim fails"
	case status == http.StatusForbidden && has("authorization method mismatch", "different authorization token type"):
		e.Cause = "the runtime has no JWT authorizer (IAM/SigV4 only) but received a bearer token, or the reverse"
		e.Check = "authorizer.mode"
		e.Next = "configure the runtime's customJWTAuthorizer (kubectl agentcore wizard); run " + doctor
	case status == http.StatusForbidden && has("missing authentication token") && via == "direct":
		e.Cause = "the runtime has no JWT authorizer (IAM/SigV4 only) and the call carried no credentials; behind the gateway it needs a customJWTAuthorizer"
		e.Check = "authorizer.mode"
		e.Next = "configure the runtime's JWT authorizer with kubectl agentcore wizard"
	case status == http.StatusForbidden && has("missing authentication token"):
		e.Cause = "the path is not /runtimes/<encoded ARN>/invocations: the route's rewrite is wrong or missing"
		e.Check = "resources.rewrite"
		e.Next = "run " + doctor + " (resources checks) and re-run the wizard to fix the route"
	case status == http.StatusForbidden:
		e.Cause = "AgentCore denied the call"
		e.Check = "authorizer.mode"
		e.Next = "run " + doctor
	case status == http.StatusNotFound && has("runtime", "resourcenotfound", "not found") && !has("route not found", "no route"):
		e.Cause = "AgentCore does not know that runtime: the route or backend points at another ARN, or the runtime was deleted"
		e.Check = "resources.rewrite"
		e.Next = "run " + doctor + " (rewrite path vs runtime ARN)"
	case status == http.StatusNotFound:
		e.Cause = "no route matched: the gateway has no HTTPRoute for this host/path, or it is not attached to the Gateway"
		e.Check = "resources.route"
		e.Next = "check the address (--gateway) and run " + doctor
	case status == http.StatusTooManyRequests && has("throttl"):
		e.Cause = "AgentCore throttled the call (ThrottlingException)"
		e.Next = "slow down or ask for a quota increase"
	case status == http.StatusTooManyRequests:
		e.Cause = "rate limited: the gateway's rate-limit policy (reason RateLimit) or AgentCore throttling"
		e.Next = "wait and retry, or raise the policy's traffic.rateLimit"
	case status == http.StatusFailedDependency:
		e.Cause = "the agent container failed (RuntimeClientError): authentication worked, the agent itself errored"
		e.Check = "runtime.ready"
		e.Next = "look at the agent's own logs (CloudWatch)"
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		e.Cause = "the gateway could not reach AgentCore (no healthy backend, DNS, TLS or timeout)"
		e.Check = "resources.backend"
		e.Next = "run " + doctor + " and look at kubectl agentcore logs --status 5xx"
	case status >= 500:
		e.Cause = "server error"
		e.Next = "retry; if it persists look at kubectl agentcore logs --status 5xx"
	case status == http.StatusBadRequest:
		e.Cause = "the request was rejected as malformed (payload, session id or headers)"
		e.Next = "check --data and --session-id"
	default:
		e.Cause = fmt.Sprintf("unexpected HTTP %d", status)
		e.Next = "run " + doctor
	}
	return e
}

var spaces = regexp.MustCompile(`\s+`)

// serviceMessage extracts {"message": …} / {"Message": …} / {"error": …} from a JSON body, else the body, shortened.
func serviceMessage(body string) string {
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) == nil {
		for _, k := range []string{"message", "Message", "error", "errorMessage"} {
			if s, ok := m[k].(string); ok && s != "" {
				return shorten(s)
			}
		}
	}
	return shorten(body)
}

func shorten(s string) string {
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
