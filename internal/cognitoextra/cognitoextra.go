// Package cognitoextra is a local FAKE of the Amazon Cognito user-pool calls that cognito-local 5.3.0 does not
// serve, written from the documented API shapes (JSON 1.1 over POST /, X-Amz-Target
// AWSCognitoIdentityProviderService.<Operation>, errors as {"__type", "message"} with status 400). It is not Cognito
// and not a general emulator: it fronts cognito-local (internal/cognitolocal puts it in its front) and forwards every
// other call there, so one endpoint serves both and the real aws-sdk-go-v2 client talks to it unchanged.
//
// What it adds (docs/client-credentials.md, "Tests"):
//   - resource servers: CreateResourceServer, DescribeResourceServer, UpdateResourceServer, DeleteResourceServer,
//     ListResourceServers;
//   - user-pool domains (prefix domains): CreateUserPoolDomain, DescribeUserPoolDomain (an unknown domain answers an
//     empty DomainDescription, which is how availability is checked), DeleteUserPoolDomain, and the pool's Domain in
//     DescribeUserPool;
//   - on CreateUserPoolClient / UpdateUserPoolClient: Cognito's refusals of OAuth settings (a custom scope that no
//     resource server defines: ScopeDoesNotExistException; client_credentials without a secret:
//     InvalidOAuthFlowException), and the RefreshTokenRotation setting, returned by DescribeUserPoolClient;
//   - refresh-token rotation: GetTokensFromRefreshToken (cognito-local lacks it) refreshes through cognito-local's
//     REFRESH_TOKEN_AUTH; for a client with rotation ENABLED it returns a new refresh token and the submitted one dies
//     after RetryGracePeriodSeconds (RefreshTokenReuseException afterwards), and InitiateAuth REFRESH_TOKEN_AUTH is
//     refused, as Cognito documents.
//
// The OAuth token endpoint of a domain (/oauth2/token) is not faked: tests use the real OAuth server
// (internal/oidcserver) for that protocol.
package cognitoextra

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

const targetPrefix = "AWSCognitoIdentityProviderService."

// Front serves the calls above and forwards every other request to Next.
type Front struct {
	Next http.Handler
	// Now is the clock for grace periods (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	servers map[string]map[string]resourceServer // pool → identifier → server
	domains map[string]string                    // domain prefix → pool
	clients map[string]*client                   // client id → what cognito-local does not keep
	refresh map[string]*refreshToken             // refresh token handed out → state
}

type scope struct {
	ScopeName        string `json:"ScopeName"`
	ScopeDescription string `json:"ScopeDescription"`
}

type resourceServer struct {
	UserPoolId string  `json:"UserPoolId"`
	Identifier string  `json:"Identifier"`
	Name       string  `json:"Name"`
	Scopes     []scope `json:"Scopes,omitempty"`
}

type rotation struct {
	Feature                 string `json:"Feature"`
	RetryGracePeriodSeconds *int32 `json:"RetryGracePeriodSeconds,omitempty"`
}

type client struct {
	pool     string
	secret   string
	rotation *rotation
}

type refreshToken struct {
	underlying string // cognito-local's own refresh token
	clientID   string
	diesAt     time.Time // zero: alive
}

// New fronts next.
func New(next http.Handler) *Front {
	return &Front{Next: next, servers: map[string]map[string]resourceServer{}, domains: map[string]string{},
		clients: map[string]*client{}, refresh: map[string]*refreshToken{}}
}

func (f *Front) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

type apiError struct {
	code, msg string
}

func fail(code, msg string) *apiError { return &apiError{code, msg} }

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || r.URL.Path != "/" || target == "" || target == r.Header.Get("X-Amz-Target") {
		f.Next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeErr(w, fail("InvalidParameterException", "unreadable body"))
		return
	}
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	var out any
	var aerr *apiError
	switch target {
	case "CreateResourceServer", "UpdateResourceServer":
		out, aerr = f.putResourceServer(r, in, target == "CreateResourceServer")
	case "DescribeResourceServer":
		out, aerr = f.describeResourceServer(in)
	case "DeleteResourceServer":
		out, aerr = f.deleteResourceServer(in)
	case "ListResourceServers":
		out, aerr = f.listResourceServers(r, in)
	case "CreateUserPoolDomain":
		out, aerr = f.createDomain(r, in)
	case "DescribeUserPoolDomain":
		out, aerr = f.describeDomain(in)
	case "DeleteUserPoolDomain":
		out, aerr = f.deleteDomain(in)
	case "GetTokensFromRefreshToken":
		out, aerr = f.getTokensFromRefreshToken(r, in)
	case "CreateUserPoolClient", "UpdateUserPoolClient":
		out, aerr = f.putClient(r, target, body, in)
	case "DescribeUserPoolClient":
		out, aerr = f.describeClient(r, body)
	case "DescribeUserPool":
		out, aerr = f.describePool(r, body, in)
	case "DeleteUserPool":
		out, aerr = f.deletePool(r, body, in)
	case "InitiateAuth":
		if flow, _ := in["AuthFlow"].(string); flow == "REFRESH_TOKEN_AUTH" || flow == "REFRESH_TOKEN" {
			if c := f.client(str(in, "ClientId")); c != nil && c.rotates() {
				writeErr(w, fail("NotAuthorizedException", "REFRESH_TOKEN_AUTH is not allowed for an app client with refresh token rotation enabled. Use GetTokensFromRefreshToken"))
				return
			}
		}
		f.forwardRaw(w, r, body)
		return
	default:
		f.forwardRaw(w, r, body)
		return
	}
	if aerr != nil {
		writeErr(w, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.msg})
}

func str(m map[string]any, k string) string { v, _ := m[k].(string); return v }

// recorder is a minimal in-memory ResponseWriter for calls into Next.
type recorder struct {
	code int
	hdr  http.Header
	buf  bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.hdr }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

// call sends one operation to Next and returns its status and body.
func (f *Front) call(r *http.Request, target string, body []byte) (int, []byte) {
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+target)
	rec := &recorder{code: http.StatusOK, hdr: http.Header{}}
	f.Next.ServeHTTP(rec, req)
	return rec.code, rec.buf.Bytes()
}

func (f *Front) forwardRaw(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	f.Next.ServeHTTP(w, r)
}

// passError turns an error answer of Next into an apiError.
func passError(code int, body []byte) *apiError {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	if e.Type == "" {
		e.Type = "InternalErrorException"
		e.Message = "cognito-local answered " + http.StatusText(code)
	}
	return fail(e.Type, e.Message)
}

// poolExists asks cognito-local.
func (f *Front) poolExists(r *http.Request, pool string) *apiError {
	if pool == "" {
		return fail("InvalidParameterException", "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null")
	}
	b, _ := json.Marshal(map[string]string{"UserPoolId": pool})
	code, out := f.call(r, "DescribeUserPool", b)
	if code != http.StatusOK {
		return passError(code, out)
	}
	return nil
}

var identifierRe = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
var scopeNameRe = regexp.MustCompile(`^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$`)

func (f *Front) putResourceServer(r *http.Request, in map[string]any, create bool) (any, *apiError) {
	var rs resourceServer
	b, _ := json.Marshal(in)
	_ = json.Unmarshal(b, &rs)
	if err := f.poolExists(r, rs.UserPoolId); err != nil {
		return nil, err
	}
	if len(rs.Identifier) == 0 || len(rs.Identifier) > 256 || !identifierRe.MatchString(rs.Identifier) {
		return nil, fail("InvalidParameterException", "1 validation error detected: Value at 'identifier' failed to satisfy constraint")
	}
	if rs.Name == "" {
		return nil, fail("InvalidParameterException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	for _, s := range rs.Scopes {
		if !scopeNameRe.MatchString(s.ScopeName) || len(s.ScopeName) > 256 || s.ScopeDescription == "" {
			return nil, fail("InvalidParameterException", "1 validation error detected: Value at 'scopes' failed to satisfy constraint")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.servers[rs.UserPoolId]
	if m == nil {
		m = map[string]resourceServer{}
		f.servers[rs.UserPoolId] = m
	}
	_, exists := m[rs.Identifier]
	switch {
	case create && exists:
		return nil, fail("InvalidParameterException", rs.Identifier+" already exists in pool "+rs.UserPoolId+".")
	case !create && !exists:
		return nil, fail("ResourceNotFoundException", "Resource server "+rs.Identifier+" does not exist.")
	}
	m[rs.Identifier] = rs
	return map[string]any{"ResourceServer": rs}, nil
}

func (f *Front) describeResourceServer(in map[string]any) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs, ok := f.servers[str(in, "UserPoolId")][str(in, "Identifier")]
	if !ok {
		return nil, fail("ResourceNotFoundException", "Resource server "+str(in, "Identifier")+" does not exist.")
	}
	return map[string]any{"ResourceServer": rs}, nil
}

func (f *Front) deleteResourceServer(in map[string]any) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.servers[str(in, "UserPoolId")]
	if _, ok := m[str(in, "Identifier")]; !ok {
		return nil, fail("ResourceNotFoundException", "Resource server "+str(in, "Identifier")+" does not exist.")
	}
	delete(m, str(in, "Identifier"))
	return map[string]any{}, nil
}

func (f *Front) listResourceServers(r *http.Request, in map[string]any) (any, *apiError) {
	if err := f.poolExists(r, str(in, "UserPoolId")); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	list := []resourceServer{}
	for _, rs := range f.servers[str(in, "UserPoolId")] {
		list = append(list, rs)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Identifier < list[j].Identifier })
	return map[string]any{"ResourceServers": list}, nil
}

// A prefix domain: 1–63 lower-case letters, digits and hyphens, not starting or ending with a hyphen, and without
// the reserved words aws, amazon or cognito.
var domainRe = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

func (f *Front) createDomain(r *http.Request, in map[string]any) (any, *apiError) {
	d, pool := str(in, "Domain"), str(in, "UserPoolId")
	if in["CustomDomainConfig"] != nil {
		return nil, fail("InvalidParameterException", "this local fake serves prefix domains only")
	}
	if !domainRe.MatchString(d) {
		return nil, fail("InvalidParameterException", "1 validation error detected: Value '"+d+"' at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$")
	}
	for _, w := range []string{"aws", "amazon", "cognito"} {
		if strings.Contains(d, w) {
			return nil, fail("InvalidParameterException", "Domain cannot contain reserved word: "+w)
		}
	}
	if err := f.poolExists(r, pool); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, taken := f.domains[d]; taken {
		return nil, fail("InvalidParameterException", "Domain already associated with another user pool.")
	}
	for _, p := range f.domains {
		if p == pool {
			return nil, fail("InvalidParameterException", "User pool already has a domain configured.")
		}
	}
	f.domains[d] = pool
	return map[string]any{"ManagedLoginVersion": 1}, nil
}

func (f *Front) describeDomain(in map[string]any) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := str(in, "Domain")
	pool, ok := f.domains[d]
	if !ok {
		return map[string]any{"DomainDescription": map[string]any{}}, nil
	}
	return map[string]any{"DomainDescription": map[string]any{
		"UserPoolId": pool, "AWSAccountId": "000000000000", "Domain": d, "Status": "ACTIVE", "Version": "1",
		"CloudFrontDistribution": d + ".cloudfront.local", "ManagedLoginVersion": 1,
	}}, nil
}

func (f *Front) deleteDomain(in map[string]any) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := str(in, "Domain")
	if pool, ok := f.domains[d]; !ok || pool != str(in, "UserPoolId") {
		return nil, fail("InvalidParameterException", "No such domain or user pool exists.")
	}
	delete(f.domains, d)
	return map[string]any{}, nil
}

func (f *Front) domainOf(pool string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d, p := range f.domains {
		if p == pool {
			return d
		}
	}
	return ""
}

func (f *Front) client(id string) *client {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clients[id]
}

func (c *client) rotates() bool { return c.rotation != nil && c.rotation.Feature == "ENABLED" }

func (c *client) grace() time.Duration {
	if c.rotation == nil || c.rotation.RetryGracePeriodSeconds == nil {
		return 0
	}
	return time.Duration(*c.rotation.RetryGracePeriodSeconds) * time.Second
}

func (f *Front) putClient(r *http.Request, target string, body []byte, in map[string]any) (any, *apiError) {
	pool := str(in, "UserPoolId")
	var flows, scopes []string
	for _, v := range asList(in["AllowedOAuthFlows"]) {
		flows = append(flows, v)
	}
	for _, v := range asList(in["AllowedOAuthScopes"]) {
		scopes = append(scopes, v)
	}
	f.mu.Lock()
	for _, s := range scopes {
		rsID, name, custom := strings.Cut(s, "/")
		if !custom {
			continue
		}
		rs, ok := f.servers[pool][rsID]
		found := false
		for _, sc := range rs.Scopes {
			found = found || sc.ScopeName == name
		}
		if !ok || !found {
			f.mu.Unlock()
			return nil, fail("ScopeDoesNotExistException", "Invalid scope requested: "+s)
		}
	}
	known := f.clients[str(in, "ClientId")]
	f.mu.Unlock()
	for _, fl := range flows {
		if fl != "client_credentials" {
			continue
		}
		hasSecret := in["GenerateSecret"] == true || (target == "UpdateUserPoolClient" && known != nil && known.secret != "")
		if !hasSecret {
			return nil, fail("InvalidOAuthFlowException", "client_credentials flow can not be selected if client does not have a client secret.")
		}
	}
	var rot *rotation
	if v, ok := in["RefreshTokenRotation"]; ok && v != nil {
		b, _ := json.Marshal(v)
		rot = &rotation{}
		_ = json.Unmarshal(b, rot)
	}
	code, out := f.call(r, target, body)
	if code != http.StatusOK {
		return nil, passError(code, out)
	}
	var resp map[string]any
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fail("InternalErrorException", "cognito-local answered unreadable JSON")
	}
	uc, _ := resp["UserPoolClient"].(map[string]any)
	id := str(uc, "ClientId")
	f.mu.Lock()
	c := f.clients[id]
	if c == nil {
		c = &client{pool: pool}
		f.clients[id] = c
	}
	if s := str(uc, "ClientSecret"); s != "" {
		c.secret = s
	}
	c.rotation = rot
	f.mu.Unlock()
	if rot != nil && uc != nil {
		uc["RefreshTokenRotation"] = rot
	}
	return resp, nil
}

func asList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (f *Front) describeClient(r *http.Request, body []byte) (any, *apiError) {
	code, out := f.call(r, "DescribeUserPoolClient", body)
	if code != http.StatusOK {
		return nil, passError(code, out)
	}
	var resp map[string]any
	_ = json.Unmarshal(out, &resp)
	if uc, _ := resp["UserPoolClient"].(map[string]any); uc != nil {
		if c := f.client(str(uc, "ClientId")); c != nil && c.rotation != nil {
			uc["RefreshTokenRotation"] = c.rotation
		}
	}
	return resp, nil
}

func (f *Front) describePool(r *http.Request, body []byte, in map[string]any) (any, *apiError) {
	code, out := f.call(r, "DescribeUserPool", body)
	if code != http.StatusOK {
		return nil, passError(code, out)
	}
	var resp map[string]any
	_ = json.Unmarshal(out, &resp)
	if up, _ := resp["UserPool"].(map[string]any); up != nil {
		if d := f.domainOf(str(in, "UserPoolId")); d != "" {
			up["Domain"] = d
		}
	}
	return resp, nil
}

func (f *Front) deletePool(r *http.Request, body []byte, in map[string]any) (any, *apiError) {
	code, out := f.call(r, "DeleteUserPool", body)
	if code != http.StatusOK {
		return nil, passError(code, out)
	}
	pool := str(in, "UserPoolId")
	f.mu.Lock()
	delete(f.servers, pool)
	for d, p := range f.domains {
		if p == pool {
			delete(f.domains, d)
		}
	}
	for id, c := range f.clients {
		if c.pool == pool {
			delete(f.clients, id)
		}
	}
	f.mu.Unlock()
	return map[string]any{}, nil
}

// getTokensFromRefreshToken refreshes through cognito-local's REFRESH_TOKEN_AUTH (which takes no SECRET_HASH), and
// rotates the refresh token for a client with rotation enabled.
func (f *Front) getTokensFromRefreshToken(r *http.Request, in map[string]any) (any, *apiError) {
	id, rt := str(in, "ClientId"), str(in, "RefreshToken")
	if id == "" || rt == "" {
		return nil, fail("InvalidParameterException", "ClientId and RefreshToken are required")
	}
	c := f.client(id)
	if c != nil && c.secret != "" && str(in, "ClientSecret") != c.secret {
		return nil, fail("NotAuthorizedException", "Client "+id+" is configured with secret but SECRET_HASH was not received or did not match")
	}
	now := f.now()
	f.mu.Lock()
	underlying := rt
	st, issued := f.refresh[rt]
	if issued {
		if st.clientID != id {
			f.mu.Unlock()
			return nil, fail("NotAuthorizedException", "Invalid Refresh Token.")
		}
		if !st.diesAt.IsZero() && !now.Before(st.diesAt) {
			f.mu.Unlock()
			return nil, fail("RefreshTokenReuseException", "Refresh token has been invalidated by refresh token rotation.")
		}
		underlying = st.underlying
	}
	f.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"ClientId": id, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": map[string]string{"REFRESH_TOKEN": underlying}})
	code, out := f.call(r, "InitiateAuth", b)
	if code != http.StatusOK {
		return nil, passError(code, out)
	}
	var resp struct {
		AuthenticationResult map[string]any `json:"AuthenticationResult"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.AuthenticationResult == nil {
		return nil, fail("InternalErrorException", "cognito-local returned no tokens")
	}
	ar := resp.AuthenticationResult
	delete(ar, "RefreshToken")
	ar["TokenType"] = "Bearer"
	if ar["ExpiresIn"] == nil {
		ar["ExpiresIn"] = 3600
	}
	if c != nil && c.rotates() {
		next := newToken()
		f.mu.Lock()
		if st == nil {
			st = &refreshToken{underlying: rt, clientID: id}
			f.refresh[rt] = st
		}
		st.diesAt = now.Add(c.grace())
		f.refresh[next] = &refreshToken{underlying: underlying, clientID: id}
		f.mu.Unlock()
		ar["RefreshToken"] = next
	}
	return map[string]any{"AuthenticationResult": ar}, nil
}

func newToken() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return "rotated." + base64.RawURLEncoding.EncodeToString(b)
}
