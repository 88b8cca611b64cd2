// Package fakeagentcore is a local stand-in for AWS Bedrock AgentCore, built from the documented REST shapes
// (the aws-sdk-go-v2 bedrockagentcorecontrol serializers): the control plane (Create/List/Get/UpdateAgentRuntime)
// and the data plane (POST /runtimes/<url-encoded ARN>/invocations) with bearer-token validation done the way
// docs/facts.md#jwt-authorizer describes the real JWT authorizer. Tests use it through the real SDK client with the endpoint
// overridden (BaseEndpoint / AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL); the sandbox serves it on loopback.
//
// The token validation here is written independently of plugin/tokencheck on purpose, so that the two can catch
// each other's mistakes.
package fakeagentcore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Options configure a Server.
type Options struct {
	Region  string // default us-east-1
	Account string // default 123456789012
	// UpdateDelay is how long a runtime stays UPDATING / CREATING (default 50ms).
	UpdateDelay time.Duration
	// DefaultPageSize is ListAgentRuntimes' page size when maxResults is absent (default 10).
	DefaultPageSize int
	// HTTPClient fetches discovery documents and JWKS (default: 5s timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ExpiryMargin: tokens expiring within it are refused (default 60s, like AgentCore).
	ExpiryMargin time.Duration
	// KeyCacheTTL is how long fetched discovery documents and JWKS are reused (default 5s; 0 keeps the default,
	// negative disables caching).
	KeyCacheTTL time.Duration
}

// Runtime names a seeded or created runtime.
type Runtime struct {
	ID, Name, ARN string
}

type runtime struct {
	Runtime
	lifecycle
	version int
	invFail []invFailure
}

type invFailure struct {
	status           int
	errType, message string
}

// Server is the fake. Use Handler (both planes), ControlHandler or DataHandler, or agentcoretest.Start for a loopback server in a test.
type Server struct {
	o Options

	mu       sync.Mutex
	runtimes map[string]*runtime
	order    []string
	expired  map[string]bool
	calls    map[string]int

	latency atomic.Int64

	gateways     map[string]*gateway
	gatewayOrder []string
	mcpHandler   *mcp.StreamableHTTPHandler

	keyMu    sync.Mutex
	keyCache map[string]cached

	// URL is set by Start.
	URL string
}

type cached struct {
	at   time.Time
	body []byte
}

// New makes a Server.
func New(o Options) *Server {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "123456789012"
	}
	if o.UpdateDelay == 0 {
		o.UpdateDelay = 50 * time.Millisecond
	}
	if o.DefaultPageSize <= 0 {
		o.DefaultPageSize = 10
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ExpiryMargin == 0 {
		o.ExpiryMargin = 60 * time.Second
	}
	if o.KeyCacheTTL == 0 {
		o.KeyCacheTTL = 5 * time.Second
	}
	return &Server{o: o, runtimes: map[string]*runtime{}, expired: map[string]bool{}, calls: map[string]int{}, keyCache: map[string]cached{},
		gateways: map[string]*gateway{}, mcpHandler: newMCPHandler()}
}

// AWSConfig is an AWS config for talking to the fake at baseURL through the real SDK: static dummy credentials,
// the fake's region and BaseEndpoint = baseURL.
func (s *Server) AWSConfig(baseURL string) aws.Config {
	return aws.Config{
		Region: s.o.Region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDFAKEAGENTCORE", SecretAccessKey: "fake-secret", Source: "fakeagentcore"}, nil
		}),
		BaseEndpoint: aws.String(baseURL),
	}
}

// Region and Account of the fake's ARNs.
func (s *Server) Region() string  { return s.o.Region }
func (s *Server) Account() string { return s.o.Account }

// SetLatency delays every request by d (for the doctor benchmark).
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// ExpireCredentials makes every request signed with this access key id fail with ExpiredTokenException.
func (s *Server) ExpireCredentials(accessKeyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired[accessKeyID] = true
}

// Calls is how many times an operation was served ("ListAgentRuntimes", "GetAgentRuntime",
// "UpdateAgentRuntime", "CreateAgentRuntime", "InvokeAgentRuntime").
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

func (s *Server) count(op string) {
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
}

// AddRuntime seeds a runtime from a CreateAgentRuntimeInput (encoded by the SDK's own serializer, so every field
// the SDK knows is stored exactly). The runtime is READY at once.
func (s *Server) AddRuntime(in *bedrockagentcorecontrol.CreateAgentRuntimeInput) (Runtime, error) {
	body, err := encodeCreate(in)
	if err != nil {
		return Runtime{}, err
	}
	return s.AddRuntimeJSON(body)
}

// AddRuntimeJSON seeds a runtime from CreateAgentRuntime's JSON request body (agentRuntimeName plus the spec).
func (s *Server) AddRuntimeJSON(body []byte) (Runtime, error) {
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(body, &spec); err != nil {
		return Runtime{}, fmt.Errorf("runtime spec is not a JSON object: %w", err)
	}
	if ve := validateSpec(spec, true); ve != nil {
		return Runtime{}, errors.New(ve.message)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.newRuntimeLocked(spec)
	r.status = "READY"
	return r.Runtime, nil
}

func (s *Server) newRuntimeLocked(spec map[string]json.RawMessage) *runtime {
	var name string
	_ = json.Unmarshal(spec["agentRuntimeName"], &name)
	delete(spec, "agentRuntimeName")
	delete(spec, "clientToken")
	delete(spec, "tags")
	id := name + "-" + randomAlnum(10)
	now := s.o.Now().UTC()
	r := &runtime{
		Runtime:   Runtime{ID: id, Name: name, ARN: fmt.Sprintf("arn:aws:bedrock-agentcore:%s:%s:runtime/%s", s.o.Region, s.o.Account, id)},
		lifecycle: newLifecycle(spec, now),
		version:   1,
	}
	s.runtimes[id] = r
	s.order = append(s.order, id)
	return r
}

// FailNextUpdate makes the next UpdateAgentRuntime of this runtime end in UPDATE_FAILED with reason.
func (s *Server) FailNextUpdate(id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runtimes[id]
	if !ok {
		return fmt.Errorf("no runtime %s", id)
	}
	r.failNext = reason
	return nil
}

// SetAuthorizerJSON replaces the runtime's authorizer directly (no UPDATING phase); "null" or "" removes it
// (IAM only). For tests and the sandbox that break things on purpose.
func (s *Server) SetAuthorizerJSON(id string, authorizer []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runtimes[id]
	if !ok {
		return fmt.Errorf("no runtime %s", id)
	}
	a := bytes.TrimSpace(authorizer)
	if len(a) == 0 || string(a) == "null" || string(a) == "{}" {
		delete(r.spec, "authorizerConfiguration")
	} else {
		if !json.Valid(a) {
			return errors.New("authorizer is not valid JSON")
		}
		r.spec["authorizerConfiguration"] = json.RawMessage(a)
	}
	r.version++
	r.updatedAt = s.o.Now().UTC()
	return nil
}

// Spec returns a copy of the runtime's stored spec (the fields of the last Create/Update, as JSON), for tests.
func (s *Server) Spec(id string) map[string]json.RawMessage {
	return lookup(s, s.runtimes, id, (*runtime).specCopy)
}

// Updates is how many UpdateAgentRuntime calls this runtime accepted.
func (s *Server) Updates(id string) int {
	return lookup(s, s.runtimes, id, func(r *runtime) int { return r.updates })
}

// Status is the runtime's current status ("" when unknown).
func (s *Server) Status(id string) string {
	return lookup(s, s.runtimes, id, func(r *runtime) string { s.advanceLocked(r); return r.status })
}

// FailInvocations makes the next n invocations of the runtime answer status with an AWS-style error body
// (e.g. 424 RuntimeClientError, 429 ThrottlingException), after authorization passed.
func (s *Server) FailInvocations(id string, n, status int, errType, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runtimes[id]
	if !ok {
		return fmt.Errorf("no runtime %s", id)
	}
	for i := 0; i < n; i++ {
		r.invFail = append(r.invFail, invFailure{status, errType, message})
	}
	return nil
}

// InvocationURL is baseURL + /runtimes/<encoded ARN>/invocations.
func InvocationURL(baseURL, arn string) string {
	return strings.TrimRight(baseURL, "/") + "/runtimes/" + strings.ReplaceAll(url.QueryEscape(arn), "+", "%20") + "/invocations"
}

// advanceLocked moves UPDATING/CREATING to READY (or UPDATE_FAILED) once the delay passed.
func (s *Server) advanceLocked(r *runtime) { r.advance(s.o.Now()) }

// Handler serves both planes: /runtimes/<ARN>/invocations is the data plane, the rest the control plane.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.delay(r)
		if isInvocationPath(r) || looksLikeDataPlane(r) {
			s.serveData(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/gateways/") {
			s.serveGateways(w, r)
			return
		}
		s.serveControl(w, r)
	})
}

// ControlHandler serves only the control plane.
func (s *Server) ControlHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.delay(r)
		if strings.HasPrefix(r.URL.Path, "/gateways/") {
			s.serveGateways(w, r)
			return
		}
		s.serveControl(w, r)
	})
}

// DataHandler serves only the data plane.
func (s *Server) DataHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.delay(r); s.serveData(w, r) })
}

func (s *Server) delay(r *http.Request) {
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
	}
}

// looksLikeDataPlane: a runtime ARN segment (arn%3A…) that is not followed by /invocations is a data-plane
// request with a wrong path (answered 403 Missing Authentication Token, as AWS does).
func looksLikeDataPlane(r *http.Request) bool {
	p := r.URL.EscapedPath()
	return strings.HasPrefix(p, "/runtimes/arn%3A") || strings.HasPrefix(p, "/runtimes/arn%3a") || strings.HasPrefix(r.URL.Path, "/runtimes/arn:")
}

func isInvocationPath(r *http.Request) bool {
	return strings.HasPrefix(r.URL.EscapedPath(), "/runtimes/") && strings.HasSuffix(r.URL.EscapedPath(), "/invocations")
}

// ---- control plane ----

type apiError struct {
	status  int
	code    string
	message string
	extra   map[string]any
}

func writeAWSError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"message": e.message}
	for k, v := range e.extra {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code+":http://internal.amazon.com/coral/com.amazonaws.bedrockagentcorecontrol/")
	w.Header().Set("X-Amzn-RequestId", randomAlnum(8)+"-fake")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", randomAlnum(8)+"-fake")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

var (
	runtimeNameRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,47}$`)
	discoveryRe   = regexp.MustCompile(`^.+/\.well-known/openid-configuration$`)
	roleARNRe     = regexp.MustCompile(`^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$`)
	sigV4CredRe   = regexp.MustCompile(`Credential=([^/,\s]+)/`)
)

func (s *Server) checkSigV4(r *http.Request) *apiError {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		return &apiError{403, "MissingAuthenticationTokenException", "Missing Authentication Token", nil}
	}
	m := sigV4CredRe.FindStringSubmatch(auth)
	if m == nil {
		return &apiError{403, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter.", nil}
	}
	s.mu.Lock()
	exp := s.expired[m[1]]
	s.mu.Unlock()
	if exp {
		return &apiError{403, "ExpiredTokenException", "The security token included in the request is expired", nil}
	}
	return nil
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	if e := s.checkSigV4(r); e != nil {
		writeAWSError(w, e)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/runtimes/" && r.Method == http.MethodPost:
		s.count("ListAgentRuntimes")
		s.list(w, r)
	case p == "/runtimes/" && r.Method == http.MethodPut:
		s.count("CreateAgentRuntime")
		create(s, w, r, s.runtimeKind())
	case strings.HasPrefix(p, "/runtimes/") && strings.Count(p, "/") == 3 && strings.HasSuffix(p, "/"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "/runtimes/"), "/")
		s.serveItem(w, r, "GetAgentRuntime", func() { s.get(w, id) }, "UpdateAgentRuntime", func() { update(s, w, r, id, s.runtimeKind()) })
	default:
		notImplemented(w, r)
	}
}

// serveItem serves GET (counted as getOp) and PUT (updateOp) on one resource, and a 405 to any other method.
func (s *Server) serveItem(w http.ResponseWriter, r *http.Request, getOp string, get func(), updateOp string, update func()) {
	switch r.Method {
	case http.MethodGet:
		s.count(getOp)
		get()
	case http.MethodPut:
		s.count(updateOp)
		update()
	default:
		writeAWSError(w, &apiError{405, "UnknownOperationException", "method not supported by the fake", nil})
	}
}

func notImplemented(w http.ResponseWriter, r *http.Request) {
	writeAWSError(w, &apiError{404, "UnknownOperationException", "the fake does not implement " + r.Method + " " + r.URL.Path, nil})
}

// page reads a List call's maxResults (1..maxLimit, default Options.DefaultPageSize) and nextToken (base64 of
// prefix + offset), answering a ValidationException itself when either is bad (ok false).
func (s *Server) page(w http.ResponseWriter, r *http.Request, maxLimit int, prefix string) (start, size int, ok bool) {
	q := r.URL.Query()
	size = s.o.DefaultPageSize
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			writeAWSError(w, &apiError{400, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", v, maxLimit), map[string]any{"reason": "FieldValidationFailed"}})
			return 0, 0, false
		}
		size = n
	}
	if tok := q.Get("nextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), prefix))
		if err != nil || err2 != nil || n < 0 {
			writeAWSError(w, &apiError{400, "ValidationException", "Invalid nextToken", map[string]any{"reason": "FieldValidationFailed"}})
			return 0, 0, false
		}
		start = n
	}
	return start, size, true
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, 100, "offset:", "agentRuntimes", s.runtimes, &s.order, func(rt *runtime) map[string]any {
		return map[string]any{
			"agentRuntimeArn":     rt.ARN,
			"agentRuntimeId":      rt.ID,
			"agentRuntimeName":    rt.Name,
			"agentRuntimeVersion": strconv.Itoa(rt.version),
			"lastUpdatedAt":       rt.updatedAt.Format(time.RFC3339Nano),
			"status":              rt.status,
		}
	})
}

// listPage answers a List call with one page of all in creation order (*order), under key: each resource brought
// up to date, summarised, with its stored description; nextToken (prefix + the next offset) when more follow.
func listPage[R interface{ life() *lifecycle }](s *Server, w http.ResponseWriter, r *http.Request, maxLimit int, prefix, key string, all map[string]R, order *[]string, summary func(R) map[string]any) {
	start, size, ok := s.page(w, r, maxLimit, prefix)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []map[string]any{}
	end := min(start+size, len(*order))
	for _, id := range (*order)[min(start, len(*order)):end] {
		l := all[id].life()
		l.advance(s.o.Now())
		item := summary(all[id])
		if d, ok := l.spec["description"]; ok {
			item["description"] = d
		}
		items = append(items, item)
	}
	out := map[string]any{key: items}
	if end < len(*order) {
		out["nextToken"] = base64.RawURLEncoding.EncodeToString([]byte(prefix + strconv.Itoa(end)))
	}
	writeJSON(w, 200, out)
}

// runtimeLocked is the runtime with this id, or AgentCore's 404.
func (s *Server) runtimeLocked(id string) (*runtime, *apiError) {
	if rt, ok := s.runtimes[id]; ok {
		return rt, nil
	}
	return nil, &apiError{404, "ResourceNotFoundException", fmt.Sprintf("Resource not found: agent runtime %s does not exist", id), nil}
}

func (s *Server) get(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, e := s.runtimeLocked(id)
	if e != nil {
		writeAWSError(w, e)
		return
	}
	s.advanceLocked(rt)
	out := map[string]any{}
	for k, v := range rt.spec {
		out[k] = v
	}
	out["agentRuntimeArn"] = rt.ARN
	out["agentRuntimeId"] = rt.ID
	out["agentRuntimeName"] = rt.Name
	out["agentRuntimeVersion"] = strconv.Itoa(rt.version)
	out["createdAt"] = rt.createdAt.Format(time.RFC3339Nano)
	out["lastUpdatedAt"] = rt.updatedAt.Format(time.RFC3339Nano)
	out["status"] = rt.status
	out["workloadIdentityDetails"] = map[string]any{"workloadIdentityArn": fmt.Sprintf("arn:aws:bedrock-agentcore:%s:%s:workload-identity-directory/default/workload-identity/%s", s.o.Region, s.o.Account, rt.Name)}
	if rt.failure != "" {
		out["failureReason"] = rt.failure
	}
	writeJSON(w, 200, out)
}

// validateSpec applies the documented constraints of Create/UpdateAgentRuntime.
func validateSpec(spec map[string]json.RawMessage, create bool) *apiError {
	var missing []string
	req := []string{"agentRuntimeArtifact", "roleArn", "networkConfiguration"}
	if create {
		req = append([]string{"agentRuntimeName"}, req...)
	}
	for _, f := range req {
		if v, ok := spec[f]; !ok || string(v) == "null" {
			missing = append(missing, f)
		}
	}
	verr := func(msg string, fields ...string) *apiError {
		var fl []map[string]string
		for _, f := range fields {
			fl = append(fl, map[string]string{"name": f, "message": msg})
		}
		return &apiError{400, "ValidationException", msg, map[string]any{"reason": "FieldValidationFailed", "fieldList": fl}}
	}
	if len(missing) > 0 {
		parts := make([]string, len(missing))
		for i, f := range missing {
			parts[i] = fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", f)
		}
		return verr(fmt.Sprintf("%d validation error(s) detected: %s", len(missing), strings.Join(parts, "; ")), missing...)
	}
	if create {
		var name string
		_ = json.Unmarshal(spec["agentRuntimeName"], &name)
		if !runtimeNameRe.MatchString(name) {
			return verr(fmt.Sprintf("Value '%s' at 'agentRuntimeName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,47}", name), "agentRuntimeName")
		}
	}
	var role string
	if err := json.Unmarshal(spec["roleArn"], &role); err != nil || !roleARNRe.MatchString(role) {
		return verr(fmt.Sprintf("Value '%s' at 'roleArn' failed to satisfy constraint: Member must be an IAM role ARN", role), "roleArn")
	}
	var net struct {
		NetworkMode string `json:"networkMode"`
	}
	if err := json.Unmarshal(spec["networkConfiguration"], &net); err != nil || (net.NetworkMode != "PUBLIC" && net.NetworkMode != "VPC") {
		return verr("Value at 'networkConfiguration.networkMode' failed to satisfy constraint: Member must satisfy enum value set: [PUBLIC, VPC]", "networkConfiguration.networkMode")
	}
	var art map[string]json.RawMessage
	if err := json.Unmarshal(spec["agentRuntimeArtifact"], &art); err != nil || len(art) != 1 {
		return verr("agentRuntimeArtifact must set exactly one of containerConfiguration, codeConfiguration", "agentRuntimeArtifact")
	}
	hasJWT := false
	if raw, ok := spec["authorizerConfiguration"]; ok && string(raw) != "null" {
		az, err := parseAuthorizer(raw)
		if err != nil {
			return verr(err.Error(), "authorizerConfiguration")
		}
		if az != nil {
			hasJWT = true
			if !discoveryRe.MatchString(az.DiscoveryURL) {
				return verr(fmt.Sprintf("Value '%s' at 'authorizerConfiguration.customJWTAuthorizer.discoveryUrl' failed to satisfy constraint: Member must satisfy regular expression pattern: .+/\\.well-known/openid-configuration", az.DiscoveryURL), "authorizerConfiguration.customJWTAuthorizer.discoveryUrl")
			}
			for name, l := range map[string]*[]string{"allowedAudience": az.rawAudience, "allowedClients": az.rawClients, "allowedScopes": az.rawScopes} {
				if l != nil && len(*l) == 0 {
					return verr(fmt.Sprintf("Value at 'authorizerConfiguration.customJWTAuthorizer.%s' failed to satisfy constraint: Member must have length greater than or equal to 1", name), "authorizerConfiguration.customJWTAuthorizer."+name)
				}
			}
			for _, sc := range az.AllowedScopes {
				if len(sc) < 1 || len(sc) > 255 {
					return verr("Value at 'authorizerConfiguration.customJWTAuthorizer.allowedScopes' failed to satisfy constraint: Member must have length between 1 and 255", "authorizerConfiguration.customJWTAuthorizer.allowedScopes")
				}
			}
		}
	}
	if raw, ok := spec["requestHeaderConfiguration"]; ok && string(raw) != "null" {
		var rh struct {
			RequestHeaderAllowlist []string `json:"requestHeaderAllowlist"`
		}
		if err := json.Unmarshal(raw, &rh); err != nil || len(rh.RequestHeaderAllowlist) < 1 || len(rh.RequestHeaderAllowlist) > 20 {
			return verr("Value at 'requestHeaderConfiguration.requestHeaderAllowlist' failed to satisfy constraint: Member must have length between 1 and 20", "requestHeaderConfiguration.requestHeaderAllowlist")
		}
		for _, h := range rh.RequestHeaderAllowlist {
			if strings.EqualFold(h, "Authorization") && !hasJWT {
				return verr("The Authorization header can only be allowlisted when a JWT authorizer is configured", "requestHeaderConfiguration.requestHeaderAllowlist")
			}
		}
	}
	return nil
}

func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeAWSError(w, &apiError{400, "ValidationException", "could not read the request body", nil})
		return nil, false
	}
	spec := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &spec); err != nil {
			writeAWSError(w, &apiError{400, "SerializationException", "request body is not a JSON object", nil})
			return nil, false
		}
	}
	return spec, true
}

// runtimeKind is the runtimes' part in the shared Create/Update flow; Update counts a new version.
func (s *Server) runtimeKind() kind[*runtime] {
	return kind[*runtime]{
		validate: validateSpec, nameKey: "agentRuntimeName", requestOnly: []string{"clientToken", "agentRuntimeId"},
		conflictf: "An agent runtime named %s already exists", busyf: "Agent runtime %s is %s",
		all: s.runtimes, order: &s.order, add: s.newRuntimeLocked,
		find:     s.runtimeLocked,
		state:    func(rt *runtime) (string, string, *lifecycle) { return rt.ID, rt.Name, &rt.lifecycle },
		onUpdate: func(rt *runtime, _ map[string]json.RawMessage) *apiError { rt.version++; return nil },
		answer: func(_ *http.Request, rt *runtime, create bool) map[string]any {
			out := map[string]any{
				"agentRuntimeArn": rt.ARN, "agentRuntimeId": rt.ID, "agentRuntimeVersion": strconv.Itoa(rt.version),
				"createdAt": rt.createdAt.Format(time.RFC3339Nano), "status": rt.status,
			}
			if !create {
				out["lastUpdatedAt"] = rt.updatedAt.Format(time.RFC3339Nano)
			}
			return out
		},
	}
}

// ---- helpers ----

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		b[i] = alnum[k.Int64()]
	}
	return string(b)
}

// encodeCreate serialises a CreateAgentRuntimeInput with the SDK's own serializer (the HTTP transport never
// leaves the process).
func encodeCreate(in *bedrockagentcorecontrol.CreateAgentRuntimeInput) ([]byte, error) {
	var captured []byte
	c := bedrockagentcorecontrol.New(bedrockagentcorecontrol.Options{
		Region:           "us-east-1",
		Credentials:      aws.AnonymousCredentials{},
		BaseEndpoint:     aws.String("http://serde.invalid"),
		RetryMaxAttempts: 1,
		HTTPClient: doerFunc(func(r *http.Request) (*http.Response, error) {
			captured, _ = io.ReadAll(r.Body)
			body := `{"agentRuntimeArn":"x","agentRuntimeId":"x","agentRuntimeVersion":"1","createdAt":"2020-01-01T00:00:00Z","status":"CREATING"}`
			return &http.Response{StatusCode: 202, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		}),
	})
	if _, err := c.CreateAgentRuntime(context.Background(), in); err != nil {
		return nil, fmt.Errorf("encoding the runtime spec: %w", err)
	}
	return captured, nil
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// Runtimes lists the seeded and created runtimes in creation order.
func (s *Server) Runtimes() []Runtime {
	return inOrder(s, s.runtimes, &s.order, func(r *runtime) Runtime { return r.Runtime })
}
