package agentproto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MCPRequest is one MCP conversation with an endpoint (an AgentCore Gateway's /mcp URL, directly or through Agent
// Gateway): initialize, tools/list, and tools/call when Tool is set. The MCP Go SDK's streamable-HTTP client speaks
// the protocol (JSON or server-sent event answers, Mcp-Session-Id, Mcp-Protocol-Version).
type MCPRequest struct {
	URL string
	// Host overrides the Host header (the route's hostname when URL is an address).
	Host string
	// Header adds headers to every request (e.g. Authorization). Never logged.
	Header http.Header
	// Tool, when set, is called with Args after tools/list.
	Tool string
	Args map[string]any
	// SkipList skips tools/list (a tools/call alone).
	SkipList bool
}

// MCPTool is one tool tools/list returned.
type MCPTool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// MCPCall is a tools/call result.
type MCPCall struct {
	Tool    string   `json:"tool"`
	IsError bool     `json:"isError"`
	Text    []string `json:"text,omitempty"`
	// Structured is the structuredContent, when the tool gave one.
	Structured any `json:"structured,omitempty"`
}

// MCPResult is what the conversation gave.
type MCPResult struct {
	URL             string        `json:"url"`
	Server          string        `json:"server"`
	ProtocolVersion string        `json:"protocolVersion"`
	SessionID       string        `json:"sessionId,omitempty"`
	Tools           []MCPTool     `json:"tools,omitempty"`
	Call            *MCPCall      `json:"call,omitempty"`
	Duration        time.Duration `json:"-"`
	DurationMS      int64         `json:"durationMs"`
}

// HTTPError is a non-2xx HTTP answer met during the conversation: what the classifier needs (status, headers,
// body).
type HTTPError struct {
	Method string
	Status int
	Header http.Header
	Body   []byte
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.Method, e.Status, http.StatusText(e.Status))
}

// Stage names the MCP step an error happened in.
type StageError struct {
	Stage string // initialize, tools/list, tools/call
	Err   error
}

func (e *StageError) Error() string { return e.Stage + ": " + e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

// recorder adds the headers and keeps the first non-2xx answer.
type recorder struct {
	next   http.RoundTripper
	host   string
	header http.Header
	mu     sync.Mutex
	failed *HTTPError
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range r.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if r.host != "" {
		req.Host = r.host
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 300 {
		return resp, err
	}
	// A GET for the optional standalone event stream may be refused (405): that is not a failure.
	if req.Method == http.MethodGet || req.Method == http.MethodDelete {
		return resp, err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	r.mu.Lock()
	if r.failed == nil {
		r.failed = &HTTPError{Method: req.Method + " " + req.URL.Path, Status: resp.StatusCode, Header: resp.Header.Clone(), Body: b}
	}
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) httpErr() *HTTPError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// DoMCP runs the conversation with client (nil: a 30 s timeout client). The error is a *StageError whose cause is
// an *HTTPError (a non-2xx answer), a *RPCError (a JSON-RPC error answer) or the transport's error.
func DoMCP(ctx context.Context, client *http.Client, req MCPRequest) (*MCPResult, error) {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	next := client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	rec := &recorder{next: next, host: req.Host, header: req.Header}
	hc := *client
	hc.Transport = rec
	start := time.Now()
	res := &MCPResult{URL: req.URL}
	fail := func(stage string, err error) (*MCPResult, error) {
		if he := rec.httpErr(); he != nil {
			err = he
		} else {
			var we *jsonrpc.Error
			if errors.As(err, &we) {
				err = &RPCError{Code: int(we.Code), Message: we.Message}
			}
		}
		res.Duration = time.Since(start)
		res.DurationMS = res.Duration.Milliseconds()
		return res, &StageError{Stage: stage, Err: err}
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "kubectl-agentcore", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: req.URL, HTTPClient: &hc, MaxRetries: -1, DisableStandaloneSSE: true}, nil)
	if err != nil {
		return fail("initialize", err)
	}
	defer cs.Close()
	if ir := cs.InitializeResult(); ir != nil {
		res.ProtocolVersion = ir.ProtocolVersion
		if ir.ServerInfo != nil {
			res.Server = ir.ServerInfo.Name
		}
	}
	res.SessionID = cs.ID()
	if !req.SkipList {
		lt, err := cs.ListTools(ctx, &mcp.ListToolsParams{})
		if err != nil {
			return fail("tools/list", err)
		}
		for _, t := range lt.Tools {
			res.Tools = append(res.Tools, MCPTool{Name: t.Name, Description: t.Description})
		}
	}
	if req.Tool != "" {
		ct, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: req.Tool, Arguments: req.Args})
		if err != nil {
			return fail("tools/call "+req.Tool, err)
		}
		call := &MCPCall{Tool: req.Tool, IsError: ct.IsError, Structured: ct.StructuredContent}
		for _, c := range ct.Content {
			if t, ok := c.(*mcp.TextContent); ok {
				call.Text = append(call.Text, t.Text)
			}
		}
		res.Call = call
	}
	res.Duration = time.Since(start)
	res.DurationMS = res.Duration.Milliseconds()
	return res, nil
}

// ParseArgs reads --args JSON: an object (or empty for none).
func ParseArgs(s string) (map[string]any, error) {
	s = string(bytes.TrimSpace([]byte(s)))
	if s == "" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("the tool arguments must be a JSON object: %v", err)
	}
	return m, nil
}
