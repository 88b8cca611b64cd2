package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
)

// ExplainMCP explains what an MCP conversation (agentproto.DoMCP) ran into, through Explain: a non-2xx answer as
// any answer (a 401's WWW-Authenticate resource_metadata is named in Next), a JSON-RPC error by its code, no
// answer as a failed call. direct: the conversation went straight to the AgentCore Gateway (invoke --direct,
// probe.direct), not through Agent Gateway. The summary starts with the MCP step (initialize, tools/list,
// tools/call NAME).
func ExplainMCP(err error, direct bool, v Verdicts) Explanation {
	var he *agentproto.HTTPError
	var re *agentproto.RPCError
	stage := ""
	var se *agentproto.StageError
	if errors.As(err, &se) {
		stage = se.Stage + ": "
	}
	var e Explanation
	switch {
	case errors.As(err, &he):
		e = Explain(mcpAnswer(he, direct), v)
		if he.Status == http.StatusUnauthorized {
			if md := resourceMetadata(he.Header.Get("WWW-Authenticate")); md != "" {
				e.Next = strings.TrimSpace(e.Next + "; the endpoint's protected-resource metadata (which issuer and scopes it accepts) is at " + md)
			}
		}
	case errors.As(err, &re):
		e = Explanation{Status: Fail, Summary: fmt.Sprintf("JSON-RPC error %d", re.Code), Message: oneLineMsg(redact.Text(re.Message)), Next: runDoctor}
		switch re.Code {
		case -32601:
			e.Cause, e.Check = "the endpoint does not know this MCP method: the route may not lead to the gateway's /mcp path", IDResourcesRewrite
		case -32602:
			e.Cause, e.Next = "the server refused the parameters", "check the tool name (tools/list) and --args against the tool's input schema"
		case -32600, -32700:
			e.Cause, e.Check = "the server could not read the request as MCP: something on the path changes the body, or the path is not the MCP endpoint", IDResourcesRewrite
		default:
			e.Cause = "the MCP server answered with an error"
		}
		if e.Message != "" {
			e.Summary += ": " + e.Message
		}
	default:
		e = Explain(Answer{Err: err, Direct: direct}, v)
	}
	e.Summary = stage + e.Summary
	return e
}

// ExplainMCP is ExplainMCP with this doctor's verdicts (Known) on the setup the conversation went to, taken only
// when the answer alone cannot name the check. A nil doctor explains with the answer alone.
func (d *Doctor) ExplainMCP(ctx context.Context, err error, direct bool) Explanation {
	var v Verdicts
	var he *agentproto.HTTPError
	if d != nil && errors.As(err, &he) {
		if a := mcpAnswer(he, direct); len(Candidates(a)) > 0 {
			v = d.Known(ctx, a)
		}
	}
	return ExplainMCP(err, direct, v)
}

func mcpAnswer(he *agentproto.HTTPError, direct bool) Answer {
	return Answer{Code: he.Status, Header: he.Header, Body: he.Body, Direct: direct}
}

// resourceMetadata is the resource_metadata URL of a WWW-Authenticate Bearer challenge ("" when absent).
func resourceMetadata(h string) string {
	_, v, ok := strings.Cut(h, "resource_metadata=")
	if !ok {
		return ""
	}
	v = strings.TrimPrefix(v, `"`)
	if i := strings.IndexAny(v, `",`); i >= 0 {
		v = v[:i]
	}
	return v
}
