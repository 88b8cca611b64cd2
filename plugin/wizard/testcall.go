package wizard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/invoke"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// TestCallPrompt is what the verify step's test call asks the agent.
const TestCallPrompt = "hello from kubectl agentcore wizard (test call)"

// TestCallTimeout bounds the verify step's test call unless Env.TestCallTimeout says otherwise.
const TestCallTimeout = 30 * time.Second

// TestCall is one real request sent through the gateway address after setup, and what its answer means.
type TestCall struct {
	// Sent is false when no request could be sent (no gateway address, no route).
	Sent   bool   `json:"sent"`
	URL    string `json:"url,omitempty"`
	Source string `json:"source,omitempty"` // where the gateway address came from
	Status int    `json:"status,omitempty"`
	OK     bool   `json:"ok"`
	// Summary, CheckID, Cause and Next are doctor's explanation of the answer (doctor.Explain).
	Summary string `json:"summary"`
	CheckID string `json:"checkId,omitempty"` // the doctor check that covers the cause
	Cause   string `json:"cause,omitempty"`
	Next    string `json:"next,omitempty"`
	// Reply is the start of the answer's body (tokens masked).
	Reply      string `json:"reply,omitempty"`
	DurationMS int64  `json:"durationMs"`
}

// SendTestCall sends one request through the gateway the record names (address from the Gateway's status, else
// its Service; path from the wizard's HTTPRoute), using plugin/invoke, and explains a non-2xx answer or a
// failed connection with doctor's classifier. The error is only for a cancelled context: everything else is
// in the result.
func SendTestCall(ctx context.Context, env *Env, rec *setup.Record) (*TestCall, error) {
	timeout := env.TestCallTimeout
	if timeout <= 0 {
		timeout = TestCallTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc := &TestCall{}
	target, err := invoke.GatewayTarget(ctx, env.Dynamic, env.Kube, invoke.Lookup{
		GatewayNamespace: rec.GatewayNamespace, GatewayName: rec.GatewayName, RouteNamespace: rec.Namespace, RouteName: rec.RouteName,
	})
	if err != nil {
		if ctx.Err() != nil && context.Cause(ctx) == context.Canceled {
			return nil, ctx.Err()
		}
		tc.Summary = "no request sent: " + trimDot(err.Error())
		tc.CheckID = doctor.IDResourcesGateway
		tc.Next = "run kubectl agentcore invoke --gateway URL (e.g. through kubectl port-forward), or kubectl agentcore doctor"
		return tc, nil
	}
	tc.URL, tc.Source = target.URL, target.Source
	client := env.HTTP
	if client == nil {
		client = &http.Client{}
	}
	if target.Host != "" {
		c := *client
		base := c.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		c.Transport = invoke.HostTransport{Host: target.Host, RT: base}
		client = &c
	}
	// doctor's classifier explains the answer, with doctor's verdicts on this setup where the answer alone
	// cannot tell (a Secret with Bearer twice, a lower-case key, a rewrite to another region).
	dr := doctor.New(doctor.Options{}.ForRecord(rec), doctor.Deps{Kube: env.Kube, Dynamic: env.Dynamic, Discovery: env.Discovery, HTTP: env.HTTP, Now: env.Now})
	if rec.IsAgentCoreGateway() {
		return mcpTestCall(ctx, client, dr, tc), nil
	}
	res, err := invoke.Do(ctx, client, invoke.Request{URL: target.URL, Payload: invoke.DefaultPayload(TestCallPrompt), Via: "gateway", Known: dr.Known}, nil)
	if err != nil && res == nil {
		if parent := context.Cause(ctx); parent == context.Canceled {
			return nil, parent
		}
		// No HTTP answer: invoke's one line says what failed; the classifier names the check.
		e := doctor.Explain(doctor.Answer{Err: err}, nil)
		tc.Summary, tc.CheckID, tc.Cause, tc.Next = trimDot(err.Error()), e.Check, e.Cause, e.Next
		if tc.CheckID == "" {
			tc.CheckID = doctor.IDResourcesGateway
		}
		return tc, nil
	}
	tc.Sent, tc.Status, tc.OK, tc.DurationMS = true, res.Status, res.OK(), res.DurationMS
	e := doctor.Explain(doctor.Answer{Code: res.Status}, nil)
	if res.Explanation != nil {
		e = *res.Explanation
	}
	tc.Summary, tc.CheckID, tc.Cause, tc.Next = e.Summary, e.Check, e.Cause, e.Next
	reply := res.Body
	if res.Streamed {
		reply = strings.Join(res.Events, " ")
	}
	tc.Reply = shortReply(redact.Text(reply))
	return tc, nil
}

// mcpTestCall is the test call of an AgentCore Gateway setup: initialize and tools/list through the gateway,
// explained by doctor.ExplainMCP.
func mcpTestCall(ctx context.Context, client *http.Client, dr *doctor.Doctor, tc *TestCall) *TestCall {
	res, err := agentproto.DoMCP(ctx, client, agentproto.MCPRequest{URL: tc.URL})
	if res != nil {
		tc.DurationMS = res.DurationMS
	}
	if err != nil {
		var he *agentproto.HTTPError
		if errors.As(err, &he) {
			tc.Sent, tc.Status = true, he.Status
		}
		e := dr.ExplainMCP(ctx, err, false)
		tc.Summary, tc.CheckID, tc.Cause, tc.Next = e.Summary, e.Check, e.Cause, e.Next
		return tc
	}
	names := make([]string, 0, len(res.Tools))
	for _, t := range res.Tools {
		names = append(names, t.Name)
	}
	tc.Sent, tc.OK, tc.Status = true, true, http.StatusOK
	tc.Summary = fmt.Sprintf("MCP initialize + tools/list answered: server %s, %d tools", res.Server, len(res.Tools))
	tc.Reply = shortReply(strings.Join(names, ", "))
	return tc
}

func shortReply(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Line is the test call in one line: "✔ 200 OK (123ms) via http://…" style without the symbol.
func (t *TestCall) Line() string {
	if !t.Sent {
		return t.Summary
	}
	return fmt.Sprintf("%s (%dms) from %s", t.Summary, t.DurationMS, t.URL)
}
