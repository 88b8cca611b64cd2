package invoke

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
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
		{[]string{"--mcp", "--direct", "--gateway", "http://x"}, "does not take --gateway-url"},
		{[]string{"--mcp", "--gateway", "x:1"}, "http://"},
	} {
		code, out, errOut := run(t, "", c.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q (want %q)", c.args, code, out, errOut, c.want)
		}
	}
}

// invoke --mcp against an AgentCore Gateway (the local fake's MCP endpoint): tools listed, a tool called; without
// a token a CUSTOM_JWT gateway's 401 is explained with its resource_metadata; with --bearer-from (a caller's token,
// as a passthrough setup sends it) the gateway's authorizer accepts it, and the token is never printed.
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

	key := tokentest.RSA(t, "k1")
	idp := tokentest.NewIssuer(t, key)
	locked, err := f.AddGatewayJSON([]byte(`{"name":"jwt-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"CUSTOM_JWT",
		"authorizerConfiguration":{"customJWTAuthorizer":{"discoveryUrl":"` + idp.DiscoveryURL() + `","allowedAudience":["a"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	lurl := fakeagentcore.GatewayURL(f.URL, locked.ID)
	code, out, errOut = run(t, "", "--mcp", "--gateway", lurl)
	if code != cmdutil.ExitFailure || out != "" || !strings.Contains(errOut, "initialize: 401") || !strings.Contains(errOut, lurl+"/.well-known/oauth-protected-resource") {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	caller := key.Mint(t, tokentest.CognitoID(idp.Issuer, "a", time.Now(), time.Hour))
	t.Setenv("CALLER_TOKEN", caller)
	code, out, errOut = run(t, "", "--mcp", "--gateway", lurl, "--bearer-from", "env:CALLER_TOKEN", "--tool", "add", "--args", `{"a":1,"b":2}`)
	if code != 0 || !strings.Contains(out, "3 tools:") || !strings.Contains(out, "add result:") || strings.Contains(out+errOut, caller) {
		t.Fatalf("--bearer-from: exit %d stdout %q stderr %q", code, out, errOut)
	}
}

// --direct on an AgentCore Gateway setup (record on a real apiserver) speaks MCP to the record's MCP URL without
// a token: a CUSTOM_JWT gateway's 401 is explained as the one the gateway prevents; an open gateway lists and
// calls tools; a PROMPT is a usage error (MCP takes none), and so is --direct without one on a runtime setup.
func TestDirectOnAgentCoreGatewaySetup(t *testing.T) {
	c := clustertest.Shared(t)
	ctx := context.Background()
	f := agentcoretest.Start(t, fakeagentcore.Options{})
	locked, err := f.AddGatewayJSON([]byte(`{"name":"jwt-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"CUSTOM_JWT",
		"authorizerConfiguration":{"customJWTAuthorizer":{"discoveryUrl":"https://idp.example.com/.well-known/openid-configuration","allowedAudience":["a"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	open, err := f.AddGatewayJSON([]byte(`{"name":"open-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"NONE"}`))
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, "default"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kc)
	save := func(rec setup.Record) string {
		rec.Namespace = c.Namespace(t, "direct")
		rec.GatewayNamespace, rec.GatewayName, rec.RouteName = "agentgateway-system", "agentgateway-proxy", "agentcore"
		rec = rec.WithDefaults()
		if err := setup.Save(ctx, c.Kube(), &rec, nil); err != nil {
			t.Fatal(err)
		}
		return rec.Namespace
	}
	lockedURL, openURL := fakeagentcore.GatewayURL(f.URL, locked.ID), fakeagentcore.GatewayURL(f.URL, open.ID)
	lockedNS := save(setup.Record{Target: setup.TargetAgentCoreGateway, AgentCoreGateway: locked.ARN, MCPURL: lockedURL})
	openNS := save(setup.Record{Target: setup.TargetAgentCoreGateway, AgentCoreGateway: open.ARN, MCPURL: openURL})
	runtimeNS := save(setup.Record{RuntimeARN: arn})
	noURLNS := save(setup.Record{Target: setup.TargetAgentCoreGateway, AgentCoreGateway: locked.ARN})

	code, out, errOut := run(t, "", "--direct", "-n", lockedNS)
	if code != cmdutil.ExitFailure || out != "" || !strings.Contains(errOut, "invoke --mcp --direct "+lockedURL+": initialize: 401") ||
		!strings.Contains(errOut, "invoke without --direct") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("--direct on a CUSTOM_JWT gateway setup: exit %d stdout %q stderr %q", code, out, errOut)
	}
	code, out, errOut = run(t, "", "--direct", "--tool", "reverse", "--args", `{"text":"abc"}`, "-n", openNS)
	if code != 0 || !strings.Contains(out, "3 tools:") || !strings.Contains(out, "cba") {
		t.Errorf("--direct --tool on an open gateway setup: exit %d stdout %q stderr %q", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--direct", "hello", "-n", lockedNS}, cmdutil.ExitUsage, "speaks MCP: give no PROMPT"},
		{[]string{"--direct", "--stream", "-n", lockedNS}, cmdutil.ExitUsage, "--stream"},
		{[]string{"--direct", "-n", runtimeNS}, cmdutil.ExitUsage, "nothing to send"},
		{[]string{"--direct", "--mcp", "-n", runtimeNS}, cmdutil.ExitFailure, "leads to runtime " + arn},
		{[]string{"--direct", "-n", noURLNS}, cmdutil.ExitFailure, "has no MCP URL"},
		{[]string{"--direct", "--mcp", "--runtime-arn", arn}, cmdutil.ExitUsage, "does not speak MCP here"},
	} {
		code, out, errOut := run(t, "", c.args...)
		if code != c.code || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d stdout %q stderr %q (want %d, %q)", c.args, code, out, errOut, c.code, c.want)
		}
	}
}
