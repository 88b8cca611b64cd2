package fakeagentcore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// authorizer is the runtime's customJWTAuthorizer as the data plane reads it.
type authorizer struct {
	DiscoveryURL  string        `json:"discoveryUrl"`
	AllowedAud    []string      `json:"allowedAudience"`
	AllowedClient []string      `json:"allowedClients"`
	AllowedScopes []string      `json:"allowedScopes"`
	CustomClaims  []customClaim `json:"customClaims"`

	rawAudience, rawClients, rawScopes *[]string
}

type customClaim struct {
	Name      string `json:"inboundTokenClaimName"`
	ValueType string `json:"inboundTokenClaimValueType"`
	Match     struct {
		Value struct {
			String     *string  `json:"matchValueString"`
			StringList []string `json:"matchValueStringList"`
		} `json:"claimMatchValue"`
		Operator string `json:"claimMatchOperator"`
	} `json:"authorizingClaimMatchValue"`
}

// parseAuthorizer reads authorizerConfiguration JSON; nil, nil = no JWT authorizer.
func parseAuthorizer(raw json.RawMessage) (*authorizer, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("authorizerConfiguration is not an object")
	}
	inner, ok := top["customJWTAuthorizer"]
	if !ok {
		if len(top) == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("authorizerConfiguration has no customJWTAuthorizer")
	}
	var a authorizer
	if err := json.Unmarshal(inner, &a); err != nil {
		return nil, fmt.Errorf("customJWTAuthorizer is malformed: %v", err)
	}
	var present map[string]json.RawMessage
	_ = json.Unmarshal(inner, &present)
	if _, ok := present["allowedAudience"]; ok {
		a.rawAudience = &a.AllowedAud
	}
	if _, ok := present["allowedClients"]; ok {
		a.rawClients = &a.AllowedClient
	}
	if _, ok := present["allowedScopes"]; ok {
		a.rawScopes = &a.AllowedScopes
	}
	return &a, nil
}

// Documented data-plane answers (docs/facts.md#agentcore-data-plane).
const (
	MsgAudMismatch      = "Claim 'aud' value mismatch with configuration."
	MsgClientMismatch   = "Claim 'client_id' value mismatch with configuration."
	MsgScopeMismatch    = "Claim 'scope' value mismatch with configuration."
	MsgIssuerMismatch   = "Claim 'iss' value mismatch with configuration."
	MsgExpired          = "Token has expired."
	MsgMethodMismatch   = "Authorization method mismatch. The agent is configured for a different authorization token type."
	MsgMissingAuthToken = "Missing Authentication Token"
	MsgInvalidToken     = "Invalid Bearer token."
	MsgSignature        = "Token signature is invalid."
)

// ClaimMismatch is the message for a custom claim rule that does not hold.
func ClaimMismatch(name string) string {
	return fmt.Sprintf("Claim '%s' value mismatch with configuration.", name)
}

const sessionHeader = "X-Amzn-Bedrock-Agentcore-Runtime-Session-Id"

func writeDataError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if errType != "" {
		w.Header().Set("X-Amzn-ErrorType", errType)
	}
	w.Header().Set("X-Amzn-RequestId", randomAlnum(8)+"-fake")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(b)
}

func (s *Server) serveData(w http.ResponseWriter, r *http.Request) {
	if !isInvocationPath(r) || r.Method != http.MethodPost {
		writeDataError(w, 403, "MissingAuthenticationTokenException", MsgMissingAuthToken)
		return
	}
	s.count("InvokeAgentRuntime")
	esc := strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), "/runtimes/"), "/invocations")
	if strings.Contains(esc, "/") {
		// An ARN whose "/" is not encoded splits the path: no such route.
		writeDataError(w, 403, "MissingAuthenticationTokenException", MsgMissingAuthToken)
		return
	}
	arn, err := url.PathUnescape(esc)
	if err != nil || !strings.HasPrefix(arn, "arn:") {
		writeDataError(w, 400, "ValidationException", "Invalid agent runtime ARN in the path; encode it fully (':' as %3A, '/' as %2F).")
		return
	}
	if q := r.URL.Query().Get("qualifier"); q != "" && q != "DEFAULT" {
		writeDataError(w, 404, "ResourceNotFoundException", fmt.Sprintf("No endpoint or agent found with qualifier '%s' for agent '%s'", q, arn))
		return
	}
	s.mu.Lock()
	var rt *runtime
	for _, id := range s.order {
		if s.runtimes[id].ARN == arn {
			rt = s.runtimes[id]
			break
		}
	}
	var az *authorizer
	var azErr error
	var name, id string
	if rt != nil {
		az, azErr = parseAuthorizer(rt.spec["authorizerConfiguration"])
		name, id = rt.Name, rt.ID
	}
	s.mu.Unlock()
	if rt == nil {
		writeDataError(w, 404, "ResourceNotFoundException", fmt.Sprintf("No endpoint or agent found with qualifier 'DEFAULT' for agent '%s'", arn))
		return
	}
	if azErr != nil {
		writeDataError(w, 500, "InternalServerException", "runtime authorizer is unreadable: "+azErr.Error())
		return
	}
	claims, ok := s.authorize(w, r, az, true)
	if !ok {
		return
	}
	sid := r.Header.Get(sessionHeader)
	if sid == "" {
		sid = "fake-session-" + randomAlnum(24)
	} else if len(sid) < 33 || len(sid) > 256 {
		writeDataError(w, 400, "ValidationException", fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length between 33 and 256", sessionHeader))
		return
	}
	s.mu.Lock()
	var fail *invFailure
	if len(rt.invFail) > 0 {
		f := rt.invFail[0]
		rt.invFail = rt.invFail[1:]
		fail = &f
	}
	s.mu.Unlock()
	if fail != nil {
		writeDataError(w, fail.status, fail.errType, fail.message)
		return
	}
	s.echo(w, r, sid, name, id, claims)
}

// authorize checks the caller's credentials the way AgentCore's inbound authorization does, for runtimes and
// gateways alike: az nil = IAM (SigV4) only when iam is true, or no authorization at all when it is false; with a
// JWT authorizer a bearer token is required (401 with WWW-Authenticate resource_metadata when there is none) and
// validated (validateBearer). It writes the error answer itself and reports false when the call is refused.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, az *authorizer, iam bool) (map[string]any, bool) {
	auth := r.Header.Get("Authorization")
	isBearer := len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ")
	isSigV4 := strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ")
	var claims map[string]any
	switch {
	case az == nil && !iam:
		return nil, true
	case az == nil && isBearer:
		writeDataError(w, 403, "AccessDeniedException", MsgMethodMismatch)
		return nil, false
	case az == nil && !isSigV4:
		writeDataError(w, 403, "MissingAuthenticationTokenException", MsgMissingAuthToken)
		return nil, false
	case az != nil && isSigV4:
		writeDataError(w, 403, "AccessDeniedException", MsgMethodMismatch)
		return nil, false
	case az != nil && !isBearer:
		base := "http://" + r.Host
		if r.TLS != nil {
			base = "https://" + r.Host
		}
		q := ""
		if isInvocationPath(r) {
			q = "?qualifier=DEFAULT"
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer resource_metadata="%s%s/.well-known/oauth-protected-resource%s"`, base, r.URL.EscapedPath(), q))
		writeDataError(w, 401, "UnauthorizedException", "Missing or malformed Authorization header; a Bearer token is required.")
		return nil, false
	case az != nil:
		var status int
		var msg string
		claims, status, msg = s.validateBearer(r, az, strings.TrimSpace(auth[7:]))
		if status != 0 {
			if status == 401 {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			}
			writeDataError(w, status, "AccessDeniedException", msg)
			return nil, false
		}
	}
	return claims, true
}

// echo answers like a tiny agent: the prompt text back, as JSON or as SSE chunks.
func (s *Server) echo(w http.ResponseWriter, r *http.Request, sid, name, id string, claims map[string]any) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	text := promptText(body)
	reply := "echo: " + text
	w.Header().Set(sessionHeader, sid)
	accept := r.Header.Get("Accept")
	var req struct {
		Stream bool `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	sse := strings.Contains(accept, "text/event-stream") && (!strings.Contains(accept, "application/json") || req.Stream)
	if sse {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(200)
		fl, _ := w.(http.Flusher)
		for _, word := range strings.SplitAfter(reply, " ") {
			b, _ := json.Marshal(map[string]string{"text": word})
			fmt.Fprintf(w, "data: %s\n\n", b)
			if fl != nil {
				fl.Flush()
			}
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
		return
	}
	out := map[string]any{
		"role":      "assistant",
		"content":   []map[string]string{{"text": reply}},
		"runtime":   name,
		"runtimeId": id,
		"sessionId": sid,
	}
	if claims != nil {
		// What the fake does (a real agent sees no claims: AgentCore strips Authorization unless the runtime's
		// requestHeaderConfiguration allowlists it): the validated token's sub, iss and delegation (act).
		caller := map[string]any{"sub": claims["sub"], "iss": claims["iss"]}
		if act, ok := claims["act"]; ok {
			caller["act"] = act
		}
		out["caller"] = caller
	}
	writeJSON(w, 200, out)
}

// promptText finds the user's text in {"role":"user","content":[{"text":…}]}, {"prompt":…} or {"input":…}.
func promptText(body []byte) string {
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return strings.TrimSpace(string(body))
	}
	if c, ok := v["content"].([]any); ok {
		var parts []string
		for _, p := range c {
			if m, ok := p.(map[string]any); ok {
				if t, ok := m["text"].(string); ok {
					parts = append(parts, t)
				}
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, " ")
		}
	}
	for _, k := range []string{"prompt", "input", "text", "message"} {
		if t, ok := v[k].(string); ok {
			return t
		}
	}
	return strings.TrimSpace(string(body))
}

// validateBearer checks a token the way the AgentCore JWT authorizer does (docs/facts.md#jwt-authorizer). It returns the claims,
// or a status and message.
func (s *Server) validateBearer(r *http.Request, az *authorizer, tok string) (map[string]any, int, string) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, 401, MsgInvalidToken
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &hdr) != nil {
		return nil, 401, MsgInvalidToken
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, 401, MsgInvalidToken
	}
	var claims map[string]any
	if err := json.Unmarshal(pb, &claims); err != nil {
		return nil, 401, MsgInvalidToken
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, 401, MsgInvalidToken
	}
	// Discovery document, then issuer byte-equality.
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	db, err := s.fetch(r, az.DiscoveryURL)
	if err != nil || json.Unmarshal(db, &disc) != nil || disc.Issuer == "" || disc.JWKSURI == "" {
		return nil, 401, "Unable to retrieve the OpenID configuration from the discovery URL."
	}
	iss, _ := claims["iss"].(string)
	if iss != disc.Issuer {
		return nil, 401, MsgIssuerMismatch
	}
	// Signature by kid.
	jb, err := s.fetch(r, disc.JWKSURI)
	if err != nil {
		return nil, 401, "Unable to retrieve the signing keys (jwks_uri)."
	}
	key, err := findKey(jb, hdr.Kid, hdr.Alg)
	if err != nil {
		return nil, 401, MsgSignature
	}
	if err := verifySig(hdr.Alg, key, []byte(parts[0]+"."+parts[1]), sig); err != nil {
		return nil, 401, MsgSignature
	}
	now := s.o.Now()
	exp, ok := numClaim(claims["exp"])
	if !ok {
		return nil, 401, MsgInvalidToken
	}
	if !now.Add(s.o.ExpiryMargin).Before(time.Unix(exp, 0)) {
		return nil, 401, MsgExpired
	}
	if nbf, ok := numClaim(claims["nbf"]); ok && now.Add(time.Minute).Before(time.Unix(nbf, 0)) {
		return nil, 401, "Token is not yet valid."
	}
	if az.rawAudience != nil {
		if !slices.ContainsFunc(stringsOf(claims["aud"]), func(a string) bool { return slices.Contains(az.AllowedAud, a) }) {
			return nil, 401, MsgAudMismatch
		}
	}
	if az.rawClients != nil {
		cid, _ := claims["client_id"].(string)
		if cid == "" || !slices.Contains(az.AllowedClient, cid) {
			return nil, 401, MsgClientMismatch
		}
	}
	if az.rawScopes != nil {
		var scopes []string
		switch v := claims["scope"].(type) {
		case string:
			scopes = strings.Fields(v)
		default:
			scopes = stringsOf(v)
		}
		if !slices.ContainsFunc(scopes, func(sc string) bool { return slices.Contains(az.AllowedScopes, sc) }) {
			return nil, 401, MsgScopeMismatch
		}
	}
	for _, cc := range az.CustomClaims {
		if !customClaimHolds(cc, claims[cc.Name]) {
			return nil, 401, ClaimMismatch(cc.Name)
		}
	}
	return claims, 0, ""
}

func customClaimHolds(cc customClaim, v any) bool {
	if v == nil {
		return false
	}
	var have []string
	switch cc.ValueType {
	case "STRING":
		s, ok := v.(string)
		if !ok {
			return false
		}
		have = []string{s}
	case "STRING_ARRAY":
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		have = stringsOf(arr)
	default:
		return false
	}
	switch cc.Match.Operator {
	case "EQUALS":
		return cc.Match.Value.String != nil && len(have) == 1 && cc.ValueType == "STRING" && have[0] == *cc.Match.Value.String
	case "CONTAINS":
		return cc.Match.Value.String != nil && slices.Contains(have, *cc.Match.Value.String)
	case "CONTAINS_ANY":
		return slices.ContainsFunc(have, func(h string) bool { return slices.Contains(cc.Match.Value.StringList, h) })
	}
	return false
}

func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func numClaim(v any) (int64, bool) {
	switch t := v.(type) {
	case float64:
		return int64(t), true
	case json.Number:
		n, err := t.Int64()
		return n, err == nil
	}
	return 0, false
}

func (s *Server) fetch(r *http.Request, u string) ([]byte, error) {
	if s.o.KeyCacheTTL > 0 {
		s.keyMu.Lock()
		c, ok := s.keyCache[u]
		s.keyMu.Unlock()
		if ok && time.Since(c.at) < s.o.KeyCacheTTL {
			return c.body, nil
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.o.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: HTTP %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if s.o.KeyCacheTTL > 0 {
		s.keyMu.Lock()
		s.keyCache[u] = cached{at: time.Now(), body: b}
		s.keyMu.Unlock()
	}
	return b, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func findKey(jwks []byte, kid, alg string) (crypto.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, err
	}
	for _, k := range set.Keys {
		if k.Kid != kid || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && alg != "" && k.Alg != alg) {
			continue
		}
		switch k.Kty {
		case "RSA":
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(e) > 8 {
				return nil, errors.New("bad RSA key")
			}
			return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
		case "EC":
			var c elliptic.Curve
			switch k.Crv {
			case "P-256":
				c = elliptic.P256()
			case "P-384":
				c = elliptic.P384()
			case "P-521":
				c = elliptic.P521()
			default:
				return nil, errors.New("unknown curve")
			}
			x, err1 := base64.RawURLEncoding.DecodeString(k.X)
			y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
			if err1 != nil || err2 != nil {
				return nil, errors.New("bad EC key")
			}
			return &ecdsa.PublicKey{Curve: c, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}, nil
		}
	}
	return nil, fmt.Errorf("no key with kid %q", kid)
}

func verifySig(alg string, key crypto.PublicKey, signed, sig []byte) error {
	if len(alg) != 5 {
		return errors.New("unsupported alg " + alg)
	}
	var h hash.Hash
	var ch crypto.Hash
	switch alg[2:] {
	case "256":
		h, ch = sha256.New(), crypto.SHA256
	case "384":
		h, ch = sha512.New384(), crypto.SHA384
	case "512":
		h, ch = sha512.New(), crypto.SHA512
	default:
		return errors.New("unsupported alg")
	}
	h.Write(signed)
	digest := h.Sum(nil)
	switch alg {
	case "RS256", "RS384", "RS512":
		k, ok := key.(*rsa.PublicKey)
		if !ok {
			return errors.New("key type does not match alg")
		}
		return rsa.VerifyPKCS1v15(k, ch, digest, sig)
	case "PS256", "PS384", "PS512":
		k, ok := key.(*rsa.PublicKey)
		if !ok {
			return errors.New("key type does not match alg")
		}
		return rsa.VerifyPSS(k, ch, digest, sig, nil)
	case "ES256", "ES384", "ES512":
		k, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return errors.New("key type does not match alg")
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return errors.New("bad ECDSA signature length")
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return errors.New("signature mismatch")
		}
		return nil
	}
	return errors.New("unsupported alg " + alg)
}
