package wizard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/plan"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	wizardcmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/wizard"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	offlineGatewayID  = "tools-gw-abcdef0123"
	offlineGatewayARN = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/" + offlineGatewayID
)

// TestOfflineRenderAgentCoreGateway renders a setup whose target is an AgentCore Gateway with no cluster and no
// AWS: the route rewrites to the MCP URL derived from the ARN (host and /mcp), the backend is that host on 443
// with TLS, and the record keeps the target kind and the gateway. Every document is accepted by the real API
// server with strict field validation.
func TestOfflineRenderAgentCoreGateway(t *testing.T) {
	kc := noNetwork(t)
	r := run(t, kc, nil, "wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--agentcore-gateway", offlineGatewayARN,
		"--gateway", "agentgateway-system/agentgateway-proxy", "--route-namespace", "agentcore-offline-mcp", "--path-prefix", "/tools")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	matchGolden(t, "agentcore-gateway", r.out)
	host := offlineGatewayID + ".gateway.bedrock-agentcore.eu-west-1.amazonaws.com"
	for _, s := range []string{
		"host: " + host, "port: 443", "hostname: " + host, "replaceFullPath: /mcp", "type: ReplaceFullPath", "tls: {}",
		"value: /tools", "target: agentcore-gateway", "agentCoreGateway: " + offlineGatewayARN,
		"mcpUrl: https://" + host + "/mcp", "PLACEHOLDER",
	} {
		if !strings.Contains(r.out, s) {
			t.Errorf("render lacks %q", s)
		}
	}
	if strings.Contains(r.out, "runtimes/") || strings.Contains(r.out, "agentCore:") || strings.Contains(r.out, "eyJ") {
		t.Fatalf("a gateway target has no runtime path, no aws.agentCore backend and no real token:\n%s", r.out)
	}
	applyAll(t, clustertest.Shared(t), r.out)
}

// TestOfflineRenderAgentCoreGatewayCallerModes: the callers' own tokens reach an AgentCore Gateway as they reach a
// runtime: the route rewrites to the MCP URL, the gateway validates the caller (jwtAuthentication) and passes the
// token on (passthrough) or exchanges it (exchange); no token Secret. Accepted by the real API server.
func TestOfflineRenderAgentCoreGatewayCallerModes(t *testing.T) {
	host := offlineGatewayID + ".gateway.bedrock-agentcore.eu-west-1.amazonaws.com"
	hook := &wizardcmd.Options{HTTP: &http.Client{Transport: fixedIdPs{}}} // the identity providers' documents
	for mode, extra := range map[string][]string{
		"passthrough": nil,
		"exchange":    {"--exchange-discovery-url", stsDiscovery, "--exchange-client-id", "gw-exchanger", "--exchange-audience", "https://tools.example.com/"},
	} {
		t.Run(mode, func(t *testing.T) {
			kc := noNetwork(t)
			args := append([]string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--agentcore-gateway", offlineGatewayARN, "--mode", mode,
				"--gateway", "agentgateway-system/agentgateway-proxy", "--route-namespace", "mcp-" + mode, "--path-prefix", "/tools",
				"--discovery-url", callerDiscovery, "--audience", "https://app.example.com/"}, extra...)
			r := run(t, kc, hook, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			want := []string{"hostname: " + host, "replaceFullPath: /mcp", "target: agentcore-gateway", "jwtAuthentication:", "mode: " + mode}
			if mode == "passthrough" {
				want = append(want, "passthrough: {}")
			} else {
				want = append(want, "oauthTokenExchange:")
			}
			for _, s := range want {
				if !strings.Contains(r.out, s) {
					t.Errorf("render lacks %q", s)
				}
			}
			if strings.Contains(r.out, "Authorization") || strings.Contains(r.out, "runtimes/") {
				t.Fatalf("a caller-token setup to a gateway has no token Secret and no runtime path:\n%s", r.out)
			}
			applyAll(t, clustertest.Shared(t), r.out)
		})
	}
}

// TestAgentCoreGatewayBadAnswers: each wrong combination is one usage error line naming the flag.
func TestAgentCoreGatewayBadAnswers(t *testing.T) {
	base := []string{"wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--offline"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"both targets", []string{"--agentcore-gateway", offlineGatewayARN, "--runtime-arn", offlineARN}, "--runtime-arn and --agentcore-gateway name two targets"},
		{"native mode", []string{"--agentcore-gateway", offlineGatewayARN, "--mode", "native"}, "invalid --mode native with --agentcore-gateway"},
		{"sigv4 mode", []string{"--agentcore-gateway", offlineGatewayARN, "--mode", "sigv4"}, "invalid --mode sigv4 with --agentcore-gateway"},
		{"bad id", []string{"--agentcore-gateway", "Tools_GW"}, `invalid --agentcore-gateway "Tools_GW"`},
		{"runtime ARN as gateway", []string{"--agentcore-gateway", offlineARN}, "invalid --agentcore-gateway"},
		{"id without region", []string{"--agentcore-gateway", offlineGatewayID}, "--region (the gateway was named by id; or give its ARN)"},
		{"region mismatch", []string{"--agentcore-gateway", offlineGatewayARN, "--region", "us-east-1"}, "the gateway ARN is in region eu-west-1 but --region is us-east-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kc := noNetwork(t)
			t.Setenv("AWS_REGION", "")
			r := run(t, kc, nil, append(append([]string{}, base...), c.args...)...)
			if r.code != 2 || !strings.Contains(r.err, c.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 || r.out != "" {
				t.Fatalf("exit %d, want 2 and one line with %q; stderr:\n%s\nstdout:\n%s", r.code, c.want, r.err, r.out)
			}
		})
	}
	// An id with --region derives the MCP URL in that region.
	kc := noNetwork(t)
	r := run(t, kc, nil, append(append([]string{}, base...), "--agentcore-gateway", offlineGatewayID, "--region", "ap-south-1")...)
	if r.code != 0 || !strings.Contains(r.out, "mcpUrl: https://"+offlineGatewayID+".gateway.bedrock-agentcore.ap-south-1.amazonaws.com/mcp") {
		t.Fatalf("exit %d: %s\n%s", r.code, r.err, r.out)
	}
}

// TestAgentCoreGatewayLive runs the wizard against a real API server and the local AgentCore (a fake, as no
// AgentCore runs locally) with a gateway whose authorizer type is AWS_IAM and an external identity provider by
// client credentials (the real oidc-provider): without --yes nothing changes; the dry-run plan names the type
// change; with --yes the gateway becomes CUSTOM_JWT with every other field kept, waits READY, and the route
// rewrites to the gateway's MCP URL; a rerun changes nothing.
func TestAgentCoreGatewayLive(t *testing.T) {
	c := clustertest.Shared(t)
	clustertest.NeedAgentGatewayCRDs(t)
	const api = "https://tools.example.test/"
	secret := oidcserver.NewSecret()
	idp := oidcservertest.Start(t, oidcserver.Options{TrailingSlash: true, Resources: map[string]string{api: "tools.call"},
		Clients: []oidcserver.Client{{ID: "gateway-mcp", Secret: secret}}})
	fake := agentcoretest.StartForAWS(t, fakeagentcore.Options{UpdateDelay: 50 * time.Millisecond})
	g, err := fake.AddGatewayJSON([]byte(`{"name":"mcp-tools","roleArn":"arn:aws:iam::123456789012:role/GatewayRole","protocolType":"MCP",
		"authorizerType":"AWS_IAM","description":"kept across the update","exceptionLevel":"DEBUG"}`))
	if err != nil {
		t.Fatal(err)
	}
	gwNS, kc, hook := liveGateway(t, c, "mcpgw", "agentgateway", 8080)
	ns := "mcp-" + gwNS
	t.Setenv("MCP_SECRET", secret)
	args := []string{"wizard", "--non-interactive", "--agentcore-gateway", g.ARN, "--gateway", gwNS + "/agentgateway-proxy",
		"--route-namespace", ns, "--identity", "external", "--discovery-url", idp.DiscoveryURL(), "--client-id", "gateway-mcp",
		"--audience", api, "--client-secret-from", "env:MCP_SECRET", "--verify-timeout", "100ms"}

	r := run(t, kc, hook, append(args, "--dry-run", "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.err)
	}
	var p wz.Plan
	if err := json.Unmarshal([]byte(r.out), &p); err != nil {
		t.Fatal(err)
	}
	az := planItem(p, wz.StepAuthorizer)
	if p.Target != setup.TargetAgentCoreGateway || p.AgentCoreGateway != g.ARN || p.MCPURL != fakeagentcore.GatewayURL(fake.URL, g.ID) ||
		p.AuthorizerTypeCurrent != "AWS_IAM" || az.Action != plan.Update || !strings.Contains(az.Detail, "AWS_IAM → CUSTOM_JWT") ||
		!strings.Contains(az.Call, "UpdateGateway") || !strings.Contains(strings.Join(p.Warnings, "\n"), "authorizer type AWS_IAM") {
		t.Fatalf("plan: %+v", p)
	}

	r = run(t, kc, hook, args...)
	if r.code != 2 || !strings.Contains(r.err, "pass --yes") || fake.GatewayUpdates(g.ID) != 0 {
		t.Fatalf("without --yes: exit %d, %d updates\n%s", r.code, fake.GatewayUpdates(g.ID), r.err)
	}

	r = run(t, kc, hook, append(args, "--yes")...)
	if r.code != 0 && r.code != cmdutil.ExitFindings {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	spec := fake.GatewaySpec(g.ID)
	if string(spec["authorizerType"]) != `"CUSTOM_JWT"` || !strings.Contains(string(spec["authorizerConfiguration"]), `"discoveryUrl":"`+idp.DiscoveryURL()+`"`) ||
		!strings.Contains(string(spec["authorizerConfiguration"]), `"allowedAudience":["`+api+`"]`) {
		t.Fatalf("gateway authorizer: %s %s", spec["authorizerType"], spec["authorizerConfiguration"])
	}
	if string(spec["description"]) != `"kept across the update"` || string(spec["exceptionLevel"]) != `"DEBUG"` || !strings.Contains(string(spec["roleArn"]), "GatewayRole") {
		t.Fatalf("UpdateGateway dropped fields: %v", spec)
	}
	if fake.GatewayUpdates(g.ID) != 1 {
		t.Fatalf("%d UpdateGateway calls, want 1", fake.GatewayUpdates(g.ID))
	}
	rec, err := setup.Load(context.Background(), c.Kube(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.IsAgentCoreGateway() || rec.AgentCoreGateway != g.ARN || rec.RuntimeARN != "" || rec.MCPURL != fakeagentcore.GatewayURL(fake.URL, g.ID) ||
		rec.PreviousAuthorizerType != "AWS_IAM" || rec.PreviousAuthorizer != "null" {
		t.Fatalf("record %+v", rec)
	}
	route, err := c.Dynamic().Resource(k8sres.GVRHTTPRoute).Namespace(ns).Get(context.Background(), rec.RouteName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	rw := rules[0].(map[string]any)["filters"].([]any)[0].(map[string]any)["urlRewrite"].(map[string]any)
	path, _, _ := unstructured.NestedString(rw, "path", "replaceFullPath")
	if path != "/gateways/"+g.ID+"/mcp" || rw["hostname"] != "127.0.0.1" {
		t.Fatalf("route rewrite %v", rw)
	}
	gv, _ := schema.ParseGroupVersion(rec.PolicyAPIVersion)
	pol, err := c.Dynamic().Resource(gv.WithResource(strings.ToLower(strings.TrimSuffix(rec.PolicyKind, "y"))+"ies")).Namespace(ns).Get(context.Background(), rec.PolicyName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, r.out, r.err)
	}
	if _, tls, _ := unstructured.NestedMap(pol.Object, "spec", "backend", "tls"); tls {
		t.Fatal("the local AgentCore's http:// MCP URL gets no backend TLS")
	}

	r = run(t, kc, hook, append(args, "--yes", "-o", "json")...)
	if r.code != 0 && r.code != cmdutil.ExitFindings {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.err)
	}
	var res wz.Result
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatal(err)
	}
	for _, ch := range res.Changes {
		if ch.Step == wz.StepAuthorizer && ch.Action != plan.Unchanged {
			t.Fatalf("rerun changed the authorizer: %+v", ch)
		}
	}
	if fake.GatewayUpdates(g.ID) != 1 {
		t.Fatal("a rerun must not update the gateway")
	}
}

func planItem(p wz.Plan, step string) plan.Item {
	for _, it := range p.Items {
		if it.Step == step {
			return it
		}
	}
	return plan.Item{}
}
