package invoke

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
)

func TestMCPUsageErrors(t *testing.T) {
	isolate(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tool", "add", "--gateway", "http://x"}, "add --mcp"},
		{[]string{"--mcp", "hi", "--gateway", "http://x"}, "give no PROMPT"},
		{[]string{"--mcp", "--args", `{"a":1}`, "--gateway", "http://x"}, "--args needs --tool"},
		{[]string{"--mcp", "--tool", "add", "--args", `[1,2]`, "--gateway", "http://x"}, "must be a JSON object"},
		{[]string{"--mcp", "--direct"}, "not --direct"},
		{[]string{"--mcp", "--gateway", "x:1"}, "http://"},
	} {
		code, out, errOut := run(t, "", c.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q (want %q)", c.args, code, out, errOut, c.want)
		}
	}
}

// invoke --mcp against an AgentCore Gateway (the local fake's MCP endpoint): tools listed, a tool called; without
// a token a CUSTOM_JWT gateway's 401 is explained with its resource_metadata.
func TestInvokeMCP(t *testing.T) {
	isolate(t)
	f := agentcoretest.Start(t, fakeagentcore.Options{})
	open, err := f.AddGatewayJSON([]byte(`{"name":"open-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"NONE"}`))
	if err != nil {
		t.Fatal(err)
	}
	url := fakeagentcore.GatewayURL(f.URL, open.ID)
	code, out, errOut := run(t, "", "--mcp", "--gateway", url, "--tool", "reverse", "--args", `{"text":"abc"}`)
	if code != 0 || !strings.Contains(out, "3 tools:") || !strings.Contains(out, "echo") || !strings.Contains(out, "reverse result:") || !strings.Contains(out, "cba") {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	code, out, _ = run(t, "", "--mcp", "--gateway", url, "-o", "json")
	var res agentproto.MCPResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Tools) != 3 || res.ProtocolVersion == "" {
		t.Fatalf("exit %d out %s", code, out)
	}

	locked, err := f.AddGatewayJSON([]byte(`{"name":"jwt-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"CUSTOM_JWT",
		"authorizerConfiguration":{"customJWTAuthorizer":{"discoveryUrl":"https://idp.example.com/.well-known/openid-configuration","allowedAudience":["a"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	lurl := fakeagentcore.GatewayURL(f.URL, locked.ID)
	code, out, errOut = run(t, "", "--mcp", "--gateway", lurl)
	if code != cmdutil.ExitFailure || out != "" || !strings.Contains(errOut, "initialize: 401") || !strings.Contains(errOut, lurl+"/.well-known/oauth-protected-resource") {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
}
