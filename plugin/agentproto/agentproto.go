// Package agentproto is how a request to an AgentCore runtime looks for each of the runtime's protocols
// (protocolConfiguration.serverProtocol: HTTP, MCP, A2A, AGUI). Every protocol is called on the same path,
// /runtimes/<encoded ARN>/invocations; what changes is the body and the headers (docs/agentcore.md):
//   - HTTP (and AGUI): the agent's own JSON payload and X-Amzn-Bedrock-AgentCore-Runtime-Session-Id;
//   - MCP: a JSON-RPC request (initialize first), Mcp-Protocol-Version, and Mcp-Session-Id once a session exists;
//   - A2A: a JSON-RPC message/send request.
//
// Session ids are 33–256 characters, for the runtime's header and for Mcp-Session-Id alike.
package agentproto

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Protocols (protocolConfiguration.serverProtocol values).
const (
	HTTP = "HTTP"
	MCP  = "MCP"
	A2A  = "A2A"
	AGUI = "AGUI"
)

// Headers.
const (
	// RuntimeSessionHeader carries the runtime session id.
	RuntimeSessionHeader = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
	// MCPSessionHeader carries the MCP session id (streamable HTTP transport).
	MCPSessionHeader = "Mcp-Session-Id"
	// MCPVersionHeader carries the negotiated MCP protocol version on every request after initialize.
	MCPVersionHeader = "Mcp-Protocol-Version"
)

// MCPVersion is the MCP protocol version the plugin asks for (one AgentCore serves: 2025-03-26, 2025-06-18,
// 2025-11-25).
const MCPVersion = "2025-06-18"

// Session id length limits.
const (
	MinSessionID = 33
	MaxSessionID = 256
)

// Accept is the Accept header every protocol takes: JSON or a server-sent event stream.
const Accept = "application/json, text/event-stream"

// Normalize is the protocol in upper case, HTTP when empty.
func Normalize(p string) string {
	p = strings.ToUpper(strings.TrimSpace(p))
	if p == "" {
		return HTTP
	}
	return p
}

// NewSessionID is a random session id of len(prefix)+32 characters, at least MinSessionID.
func NewSessionID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := prefix + hex.EncodeToString(b[:])
	for len(s) < MinSessionID {
		s += "0"
	}
	return s
}

// ValidateSessionID checks the documented length and that the value is a safe header value.
func ValidateSessionID(s string) error {
	if len(s) < MinSessionID || len(s) > MaxSessionID {
		return fmt.Errorf("session id must be %d–%d characters, got %d", MinSessionID, MaxSessionID, len(s))
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return errors.New("session id must be printable ASCII without spaces")
		}
	}
	return nil
}

// Probe is the smallest meaningful request for protocol: the body and the headers (Content-Type and Accept
// included) to send to the invocations path. For HTTP it sends prompt in the shape AgentCore's sample agents
// take; for MCP an initialize request; for A2A a message/send with prompt.
func Probe(protocol, prompt, sessionID string) ([]byte, http.Header) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", Accept)
	h.Set(RuntimeSessionHeader, sessionID)
	var body any
	switch Normalize(protocol) {
	case MCP:
		h.Set(MCPVersionHeader, MCPVersion)
		h.Set(MCPSessionHeader, sessionID)
		body = map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{
			"protocolVersion": MCPVersion, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "kubectl-agentcore", "version": "1"}}}
	case A2A:
		body = map[string]any{"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": map[string]any{
			"message": map[string]any{"role": "user", "messageId": sessionID, "parts": []any{map[string]any{"kind": "text", "text": prompt}}}}}
	default:
		body = map[string]any{"role": "user", "content": []any{map[string]any{"text": prompt}}}
	}
	b, _ := json.Marshal(body)
	return b, h
}

// RPCError is a JSON-RPC error object found in an answer.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

// FindRPCError returns the JSON-RPC error in body (plain JSON or the data of a server-sent event), nil when the
// body holds none.
func FindRPCError(body []byte) *RPCError {
	try := func(b []byte) *RPCError {
		var m struct {
			JSONRPC string    `json:"jsonrpc"`
			Error   *RPCError `json:"error"`
		}
		if json.Unmarshal(b, &m) == nil && m.Error != nil {
			return m.Error
		}
		return nil
	}
	if e := try(body); e != nil {
		return e
	}
	for _, line := range strings.Split(string(body), "\n") {
		if d, ok := strings.CutPrefix(strings.TrimSpace(line), "data:"); ok {
			if e := try([]byte(strings.TrimSpace(d))); e != nil {
				return e
			}
		}
	}
	return nil
}
