package doctor

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// patch applies a JSON patch to one of the env's objects.
func (e *env) patch(gvr schema.GroupVersionResource, name, jsonPatch string) {
	e.t.Helper()
	if _, err := e.dyn.Resource(gvr).Namespace(e.ns).Patch(context.Background(), name, types.JSONPatchType, []byte(jsonPatch), metav1.PatchOptions{}); err != nil {
		e.t.Fatalf("patching %s %s: %v", gvr.Resource, name, err)
	}
}

// With --agentcore-gateway, doctor reads the AgentCore Gateway through the SDK (GetGateway on the local fake)
// instead of a runtime: its customJWTAuthorizer goes through the same token checks (a wrong allowedAudience
// fails authorizer.audience), and AWS_IAM or NONE fail authorizer.mode, named, with the fix.
func TestClusterAgentCoreGatewayTarget(t *testing.T) {
	e := newEnv(t)
	jwt := func(aud string) []byte {
		return []byte(`{"customJWTAuthorizer":{"discoveryUrl":"` + e.issuer.DiscoveryURL() + `","allowedAudience":["` + aud + `"]}}`)
	}
	g, err := e.fake.AddGatewayJSON([]byte(`{"name":"tools-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"CUSTOM_JWT",
		"authorizerConfiguration":` + string(jwt(testClient)) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	// The route still leads to a runtime: resources.rewrite names the MCP URL and the fix.
	mcpURL, _ := url.Parse(fakeagentcore.GatewayURL(e.fake.URL, g.ID))
	got, _ := e.run(Options{AgentCoreGateway: g.ARN}, nil)
	if r := got[IDResourcesRewrite]; r.Status != Fail || !strings.Contains(r.Detail, "not the MCP path "+mcpURL.Path) ||
		!strings.Contains(r.Detail, "not the gateway's 127.0.0.1") || !strings.Contains(r.Fix, "kubectl patch httproute") {
		t.Errorf("a route to a runtime with a gateway target: resources.rewrite = %s %q fix %q", r.Status, r.Detail, r.Fix)
	}
	// Pointed at the gateway's MCP URL (http: no backend TLS), everything passes.
	port, _ := strconv.ParseInt(mcpURL.Port(), 10, 64)
	e.patch(gvrRoute, "agentcore", `[{"op":"replace","path":"/spec/rules/0/filters/0/urlRewrite","value":{"hostname":"127.0.0.1","path":{"type":"ReplaceFullPath","replaceFullPath":"`+mcpURL.Path+`"}}}]`)
	e.patch(gvrBackend, "agentcore", fmt.Sprintf(`[{"op":"replace","path":"/spec/static","value":{"host":"127.0.0.1","port":%d}}]`, port))
	e.patch(gvrPolicy, "agentcore", `[{"op":"remove","path":"/spec/backend/tls"}]`)
	got, rep := e.run(Options{AgentCoreGateway: g.ARN}, nil)
	for _, id := range []string{IDResourcesRewrite, IDAgentCoreGatewayReady, IDAuthorizerMode, IDAuthorizerIssuer, IDAuthorizerAudience, IDTokenSignature, IDSecretJWT} {
		if got[id].Status != Pass {
			t.Errorf("%s = %s %s", id, got[id].Status, got[id].Detail)
		}
	}
	if rep.Failed() {
		t.Errorf("a gateway whose authorizer accepts the token must pass, got:\n%s", strings.Join(failures(rep), "\n"))
	}
	if r := got[IDAuthorizerRequestHeaders]; r.Status != Skip || !strings.Contains(r.Detail, "runtime setting") || strings.Contains(r.Detail, "--authorizer-file") {
		t.Errorf("a gateway target has no requestHeaderConfiguration: %s = %s %q", IDAuthorizerRequestHeaders, r.Status, r.Detail)
	}
	if _, ok := got[IDRuntimeARN]; ok {
		t.Error("runtime checks run for a gateway target")
	}
	if d := got[IDAgentCoreGatewayReady].Detail; !strings.Contains(d, "tools-gw READY") || !strings.Contains(d, fakeagentcore.GatewayURL(e.fake.URL, g.ID)) {
		t.Errorf("ready detail %q", d)
	}

	if err := e.fake.SetGatewayAuthorizer(g.ID, fakeagentcore.GatewayAuthCustomJWT, jwt("someone-else")); err != nil {
		t.Fatal(err)
	}
	got, _ = e.run(Options{AgentCoreGateway: g.ID}, nil)
	if got[IDAuthorizerMode].Status != Pass || got[IDAuthorizerAudience].Status != Fail {
		t.Errorf("wrong allowedAudience: mode %s, audience %s %s", got[IDAuthorizerMode].Status, got[IDAuthorizerAudience].Status, got[IDAuthorizerAudience].Detail)
	}
	// The fix updates this AgentCore Gateway, not a runtime.
	if fix := got[IDAuthorizerAudience].Fix; !strings.HasPrefix(fix, "aws bedrock-agentcore-control update-gateway --gateway-identifier "+g.ID+" --authorizer-type CUSTOM_JWT --authorizer-configuration '") ||
		!strings.Contains(fix, testClient) || strings.Contains(fix, "runtime") {
		t.Errorf("wrong allowedAudience: fix %q", fix)
	}

	for _, typ := range []string{fakeagentcore.GatewayAuthIAM, fakeagentcore.GatewayAuthNone} {
		if err := e.fake.SetGatewayAuthorizer(g.ID, typ, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := e.run(Options{AgentCoreGateway: g.ARN}, nil)
		m := got[IDAuthorizerMode]
		if m.Status != Fail || !strings.Contains(m.Detail, "tools-gw has authorizer type "+typ) ||
			!strings.Contains(m.Fix, "get-gateway --gateway-identifier "+g.ID) || !strings.Contains(m.Hint, "CUSTOM_JWT") {
			t.Errorf("%s: authorizer.mode = %s %q hint %q fix %q", typ, m.Status, m.Detail, m.Hint, m.Fix)
		}
		if got[IDAuthorizerAudience].Status != Skip {
			t.Errorf("%s: authorizer.audience = %s, want skipped after authorizer.mode failed", typ, got[IDAuthorizerAudience].Status)
		}
	}

	got, _ = e.run(Options{AgentCoreGateway: "missing-gw-0000000000"}, nil)
	if r := got[IDAgentCoreGatewayReady]; r.Status != Fail || !strings.Contains(r.Detail, "missing-gw-0000000000") || !strings.Contains(r.Hint, "list-gateways") {
		t.Errorf("missing gateway: %s %q %q", r.Status, r.Detail, r.Hint)
	}
}
