// This file: AgentCore Gateways (the managed MCP server in front of tools). Control plane: CreateGateway
// (POST /gateways/), ListGateways (GET /gateways/), GetGateway (GET /gateways/{id}/) and UpdateGateway
// (PUT /gateways/{id}/, which replaces the whole spec, like UpdateAgentRuntime), with the SDK's JSON shapes and
// error types. Data plane: the gateway's MCP endpoint, served by the MCP Go SDK's streamable-HTTP server with a
// few tools, behind the same inbound authorization as the runtimes' data plane (authorize).
//
// The real gateway URL is https://<gateway id>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp; the fake
// has one host, so its gatewayUrl is <scheme>://<the request's host>/gateways/<gateway id>/mcp.
package fakeagentcore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Gateway names a seeded or created gateway.
type Gateway struct {
	ID, Name, ARN string
}

type gateway struct {
	Gateway
	lifecycle
	mcp *mcp.Server
}

// Gateway authorizer types.
const (
	GatewayAuthCustomJWT = "CUSTOM_JWT"
	GatewayAuthIAM       = "AWS_IAM"
	GatewayAuthNone      = "NONE"
)

// Tools every fake gateway serves.
var GatewayTools = []string{"echo", "add", "reverse"}

var gatewayNameRe = regexp.MustCompile(`^([0-9a-zA-Z][-]?){1,100}$`)

// AddGatewayJSON seeds a gateway from a CreateGateway request body (the AWS JSON); it is READY at once.
func (s *Server) AddGatewayJSON(body []byte) (Gateway, error) {
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(body, &spec); err != nil {
		return Gateway{}, err
	}
	if e := validateGatewaySpec(spec, true); e != nil {
		return Gateway{}, fmt.Errorf("%s: %s", e.code, e.message)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.newGatewayLocked(spec)
	g.status = "READY"
	return g.Gateway, nil
}

// Gateways lists the gateways in creation order.
func (s *Server) Gateways() []Gateway {
	return inOrder(s, s.gateways, &s.gatewayOrder, func(g *gateway) Gateway { return g.Gateway })
}

// GatewaySpec is a copy of the gateway's stored spec (nil when there is no such gateway).
func (s *Server) GatewaySpec(id string) map[string]json.RawMessage {
	return lookup(s, s.gateways, id, (*gateway).specCopy)
}

// SetGatewayAuthorizer replaces a gateway's authorizer type and configuration (JSON; nil = none), as an
// out-of-band change for tests.
func (s *Server) SetGatewayAuthorizer(id, authorizerType string, config []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.gateways[id]
	if !ok {
		return fmt.Errorf("no gateway %s", id)
	}
	t, _ := json.Marshal(authorizerType)
	g.spec["authorizerType"] = t
	if config == nil {
		delete(g.spec, "authorizerConfiguration")
	} else {
		g.spec["authorizerConfiguration"] = config
	}
	return nil
}

func (s *Server) newGatewayLocked(spec map[string]json.RawMessage) *gateway {
	var name string
	_ = json.Unmarshal(spec["name"], &name)
	id := strings.ToLower(name) + "-" + strings.ToLower(randomAlnum(10))
	now := s.o.Now().UTC()
	delete(spec, "clientToken")
	g := &gateway{Gateway: Gateway{ID: id, Name: name, ARN: fmt.Sprintf("arn:aws:bedrock-agentcore:%s:%s:gateway/%s", s.o.Region, s.o.Account, id)},
		lifecycle: newLifecycle(spec, now), mcp: newToolServer(name)}
	s.gateways[id] = g
	s.gatewayOrder = append(s.gatewayOrder, id)
	return g
}

func (s *Server) advanceGatewayLocked(g *gateway) { g.advance(s.o.Now()) }

// gatewayLocked finds a gateway by id or ARN.
func (s *Server) gatewayLocked(ident string) *gateway {
	if g, ok := s.gateways[ident]; ok {
		return g
	}
	for _, g := range s.gateways {
		if g.ARN == ident {
			return g
		}
	}
	return nil
}

func gatewayNotFound(ident string) *apiError {
	return &apiError{404, "ResourceNotFoundException", fmt.Sprintf("Gateway not found: %s", ident), nil}
}

// serveGateways handles /gateways/…: the control plane, and the MCP endpoint /gateways/{id}/mcp.
func (s *Server) serveGateways(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/gateways/")
	if ident, ok := strings.CutSuffix(rest, "/mcp"); ok && !strings.Contains(ident, "/") {
		id, _ := url.PathUnescape(ident)
		s.serveGatewayMCP(w, r, id)
		return
	}
	if e := s.checkSigV4(r); e != nil {
		writeAWSError(w, e)
		return
	}
	switch {
	case rest == "" && r.Method == http.MethodPost:
		s.count("CreateGateway")
		create(s, w, r, s.gatewayKind())
	case rest == "" && r.Method == http.MethodGet:
		s.count("ListGateways")
		s.listGateways(w, r)
	case strings.Count(rest, "/") == 1 && strings.HasSuffix(rest, "/"):
		ident, _ := url.PathUnescape(strings.TrimSuffix(rest, "/"))
		s.serveItem(w, r, "GetGateway", func() { s.getGateway(w, r, ident) }, "UpdateGateway", func() { update(s, w, r, ident, s.gatewayKind()) })
	default:
		notImplemented(w, r)
	}
}

// validateGatewaySpec applies the documented constraints of Create/UpdateGateway: name, roleArn and
// authorizerType are required (and protocolType on create); CUSTOM_JWT needs a customJWTAuthorizer whose
// discoveryUrl ends in /.well-known/openid-configuration; the other types take no configuration.
func validateGatewaySpec(spec map[string]json.RawMessage, create bool) *apiError {
	verr := func(msg string) *apiError {
		return &apiError{400, "ValidationException", msg, map[string]any{"reason": "FieldValidationFailed"}}
	}
	req := []string{"name", "roleArn", "authorizerType"}
	if create {
		req = append(req, "protocolType")
	}
	var missing []string
	for _, f := range req {
		if v, ok := spec[f]; !ok || string(v) == "null" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return verr(fmt.Sprintf("%d validation error(s) detected: missing required field(s) %s", len(missing), strings.Join(missing, ", ")))
	}
	var name, role, authType, proto string
	_ = json.Unmarshal(spec["name"], &name)
	_ = json.Unmarshal(spec["roleArn"], &role)
	_ = json.Unmarshal(spec["authorizerType"], &authType)
	_ = json.Unmarshal(spec["protocolType"], &proto)
	if !gatewayNameRe.MatchString(name) {
		return verr(fmt.Sprintf("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ([0-9a-zA-Z][-]?){1,100}", name))
	}
	if !roleARNRe.MatchString(role) {
		return verr(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must be an IAM role ARN", role))
	}
	if proto != "" && proto != "MCP" {
		return verr(fmt.Sprintf("1 validation error detected: Value '%s' at 'protocolType' failed to satisfy enum value set: [MCP]", proto))
	}
	_, hasCfg := spec["authorizerConfiguration"]
	if hasCfg && string(spec["authorizerConfiguration"]) == "null" {
		hasCfg = false
	}
	switch authType {
	case GatewayAuthCustomJWT:
		if !hasCfg {
			return verr("authorizerConfiguration is required when authorizerType is CUSTOM_JWT")
		}
		az, err := parseAuthorizer(spec["authorizerConfiguration"])
		if err != nil || az == nil {
			return verr("authorizerConfiguration must hold a customJWTAuthorizer")
		}
		if !discoveryRe.MatchString(az.DiscoveryURL) {
			return verr(fmt.Sprintf("1 validation error detected: Value '%s' at 'authorizerConfiguration.customJWTAuthorizer.discoveryUrl' failed to satisfy constraint: Member must satisfy regular expression pattern: .+/\\.well-known/openid-configuration", az.DiscoveryURL))
		}
	case GatewayAuthIAM, GatewayAuthNone, "AUTHENTICATE_ONLY":
		if hasCfg && authType != "AUTHENTICATE_ONLY" {
			return verr("authorizerConfiguration must not be set when authorizerType is " + authType)
		}
	default:
		return verr(fmt.Sprintf("1 validation error detected: Value '%s' at 'authorizerType' failed to satisfy enum value set: [CUSTOM_JWT, AWS_IAM, NONE, AUTHENTICATE_ONLY]", authType))
	}
	return nil
}

// gatewayKind is the gateways' part in the shared Create/Update flow; Update may not rename a gateway.
func (s *Server) gatewayKind() kind[*gateway] {
	return kind[*gateway]{
		validate: validateGatewaySpec, nameKey: "name", requestOnly: []string{"clientToken", "gatewayIdentifier"},
		conflictf: "A gateway named %s already exists", busyf: "Gateway %s is %s",
		all: s.gateways, order: &s.gatewayOrder, add: s.newGatewayLocked,
		find: func(ident string) (*gateway, *apiError) {
			if g := s.gatewayLocked(ident); g != nil {
				return g, nil
			}
			return nil, gatewayNotFound(ident)
		},
		state: func(g *gateway) (string, string, *lifecycle) { return g.ID, g.Name, &g.lifecycle },
		onUpdate: func(g *gateway, spec map[string]json.RawMessage) *apiError {
			var name string
			_ = json.Unmarshal(spec["name"], &name)
			if name != g.Name {
				return &apiError{400, "ValidationException", fmt.Sprintf("The gateway name cannot be changed (is %s, request says %s)", g.Name, name), map[string]any{"reason": "FieldValidationFailed"}}
			}
			return nil
		},
		answer: func(r *http.Request, g *gateway, _ bool) map[string]any { return s.gatewayJSONLocked(r, g) },
	}
}

// GatewayUpdates is how many UpdateGateway calls changed the gateway.
func (s *Server) GatewayUpdates(id string) int {
	return lookup(s, s.gateways, id, func(g *gateway) int { return g.updates })
}

// GatewayURL is the fake's MCP URL of a gateway, for a base URL (scheme://host).
func GatewayURL(baseURL, id string) string {
	return strings.TrimSuffix(baseURL, "/") + "/gateways/" + id + "/mcp"
}

func (s *Server) gatewayJSONLocked(r *http.Request, g *gateway) map[string]any {
	out := map[string]any{}
	for k, v := range g.spec {
		out[k] = v
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out["gatewayArn"] = g.ARN
	out["gatewayId"] = g.ID
	out["gatewayUrl"] = GatewayURL(scheme+"://"+r.Host, g.ID)
	out["name"] = g.Name
	out["status"] = g.status
	out["createdAt"] = g.createdAt.Format(time.RFC3339Nano)
	out["updatedAt"] = g.updatedAt.Format(time.RFC3339Nano)
	if _, ok := out["protocolType"]; !ok {
		out["protocolType"] = "MCP"
	}
	return out
}

func (s *Server) getGateway(w http.ResponseWriter, r *http.Request, ident string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gatewayLocked(ident)
	if g == nil {
		writeAWSError(w, gatewayNotFound(ident))
		return
	}
	s.advanceGatewayLocked(g)
	writeJSON(w, 200, s.gatewayJSONLocked(r, g))
}

func (s *Server) listGateways(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, 1000, "gateways:", "items", s.gateways, &s.gatewayOrder, func(g *gateway) map[string]any {
		return map[string]any{"gatewayId": g.ID, "name": g.Name, "status": g.status,
			"authorizerType": g.spec["authorizerType"], "protocolType": "MCP",
			"createdAt": g.createdAt.Format(time.RFC3339Nano), "updatedAt": g.updatedAt.Format(time.RFC3339Nano)}
	})
}

// serveGatewayMCP is the gateway's MCP endpoint: inbound authorization by the gateway's authorizer type
// (CUSTOM_JWT: a valid bearer token; AWS_IAM: SigV4; NONE: anything), then the MCP SDK's streamable-HTTP server.
func (s *Server) serveGatewayMCP(w http.ResponseWriter, r *http.Request, ident string) {
	s.count("GatewayMCP")
	s.mu.Lock()
	g := s.gatewayLocked(ident)
	var authType string
	var cfg json.RawMessage
	var srv *mcp.Server
	if g != nil {
		s.advanceGatewayLocked(g)
		_ = json.Unmarshal(g.spec["authorizerType"], &authType)
		cfg, srv = g.spec["authorizerConfiguration"], g.mcp
	}
	s.mu.Unlock()
	if g == nil {
		writeDataError(w, 404, "ResourceNotFoundException", "Gateway not found: "+ident)
		return
	}
	var az *authorizer
	if authType == GatewayAuthCustomJWT || authType == "AUTHENTICATE_ONLY" {
		var err error
		if az, err = parseAuthorizer(cfg); err != nil || az == nil {
			writeDataError(w, 500, "InternalServerException", "gateway authorizer is unreadable")
			return
		}
	}
	if _, ok := s.authorize(w, r, az, authType == GatewayAuthIAM); !ok {
		return
	}
	s.mcpHandler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), mcpServerKey{}, srv)))
}

type mcpServerKey struct{}

// newMCPHandler is the one streamable-HTTP handler for every gateway; the request's context names the gateway's
// server. The fake answers on loopback under whatever Host the gateway in front of it sends, so the SDK's DNS
// rebinding protection (meant for local MCP servers) is off.
func newMCPHandler() *mcp.StreamableHTTPHandler {
	return mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		srv, _ := r.Context().Value(mcpServerKey{}).(*mcp.Server)
		return srv
	}, &mcp.StreamableHTTPOptions{DisableLocalhostProtection: true})
}

type echoIn struct {
	Text string `json:"text" jsonschema:"the text to echo"`
}
type addIn struct {
	A float64 `json:"a" jsonschema:"first addend"`
	B float64 `json:"b" jsonschema:"second addend"`
}
type textOut struct {
	Text string `json:"text"`
}
type sumOut struct {
	Sum float64 `json:"sum"`
}

// newToolServer is one gateway's MCP server with the tools echo, add and reverse.
func newToolServer(name string) *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "fake-agentcore-gateway-" + name, Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "Echo the text back"}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, textOut, error) {
		return nil, textOut{Text: in.Text}, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "add", Description: "Add two numbers"}, func(_ context.Context, _ *mcp.CallToolRequest, in addIn) (*mcp.CallToolResult, sumOut, error) {
		return nil, sumOut{Sum: in.A + in.B}, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "reverse", Description: "Reverse the text"}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, textOut, error) {
		r := []rune(in.Text)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return nil, textOut{Text: string(r)}, nil
	})
	return srv
}
