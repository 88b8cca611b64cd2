package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/sandbox"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
)

// The caller's own token through the sandbox, for each mode (wizard --mode passthrough|exchange): the gateway
// stand-in validates the caller's JWT (the sandbox's oidc-provider is the callers' IdP and the token service) and
// passes it on or exchanges it. Per mode: a caller token → invoke 200 with the caller's sub reaching the agent; a
// token with the wrong audience → 401 at the gateway, named by invoke's classifier and by doctor; a runtime that
// trusts another issuer → the gateway lets the token through, AgentCore refuses it, named by both; exchange with a
// wrong client secret → named. No secret and no token appears in any output.
func TestCallerTokenModesThroughSandbox(t *testing.T) {
	o := needOIDC(t)
	if o.CallerClientID == "" {
		t.Fatal("the sandbox has no OAuth server with the caller and exchange clients (make oidc-provider)")
	}
	ctx := context.Background()
	kube := sb.Cluster.Kube()
	var secrets []string
	for _, name := range []string{sandbox.CallerSecretName, sandbox.ExchangeSecretName} {
		s, err := kube.CoreV1().Secrets(sandbox.DemoSecretNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, string(s.Data["clientSecret"]))
	}
	// Another issuer, for the runtime that trusts someone else.
	other, err := oidcserver.Run(ctx, oidcserver.Options{TrailingSlash: true, Resources: map[string]string{o.CallerAudience: "x", o.Audience: "y"}})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()

	tr := &transcript{t: t}
	dir := t.TempDir()
	callerToken := func(name, aud string) string {
		t.Helper()
		r := kac(t, "token", "mint", "--discovery-url", o.DiscoveryURL, "--client-id", o.CallerClientID,
			"--client-secret-from", o.CallerSecretFrom, "--audience", aud, "-o", "raw")
		if r.code != 0 {
			t.Fatalf("minting a caller token: %s", r)
		}
		tok := strings.TrimSpace(r.stdout)
		secrets = append(secrets, tok)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := callerToken("caller.jwt", o.CallerAudience)
	wrongAud := callerToken("wrong-aud.jwt", o.Audience)

	invokeAs := func(t *testing.T, ns, file, prompt string, ok func(result) bool, what string) result {
		t.Helper()
		var last result
		eventually(t, 45*time.Second, func() string {
			last = tr.run("invoke", "-n", ns, "--bearer-from", "file:"+file, prompt)
			if ok(last) {
				return ""
			}
			return what + ": " + last.String()
		})
		return last
	}
	doctorFails := func(t *testing.T, ns, file, id, says string) {
		t.Helper()
		eventually(t, 45*time.Second, func() string {
			checks, r := doctorChecks(t, "-n", ns, "--token-file", file)
			tr.add("doctor", r)
			c, ok := checks[id]
			if ok && c.Status == "fail" && strings.Contains(strings.ToLower(c.Detail+" "+c.Hint), strings.ToLower(says)) {
				return ""
			}
			return "doctor should fail " + id + " saying " + says + ": " + c.Status + " " + c.Detail
		})
	}
	trustOther := func(t *testing.T, aud string) func() {
		t.Helper()
		id := runtimeID(echoARN())
		saved := sb.Fake.Spec(id)["authorizerConfiguration"]
		az, _ := json.Marshal(map[string]any{"customJWTAuthorizer": map[string]any{"discoveryUrl": other.DiscoveryURL(), "allowedAudience": []string{aud}}})
		if err := sb.Fake.SetAuthorizerJSON(id, az); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := sb.Fake.SetAuthorizerJSON(id, saved); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Both modes: a token for another audience is refused at the gateway, and invoke and doctor name the same
	// check (the gateway's audiences are right, the token is not).
	wrongAudience := func(t *testing.T, ns string) {
		t.Helper()
		r := invokeAs(t, ns, wrongAud, "wrong audience", func(r result) bool {
			return r.code == 1 && strings.Contains(r.stderr, "HTTP 401")
		}, "a wrong-audience token")
		for _, w := range []string{"refused at the gateway (JwtAuth)", "[doctor check caller.token]"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("invoke: %q lacks %q", r.stderr, w)
			}
		}
		doctorFails(t, ns, wrongAud, "caller.token", "JwtAuth")
	}
	// Both modes: a runtime trusting another issuer (for aud) lets the gateway pass the token and AgentCore refuse
	// it; invoke names caller.issuer, doctor fails it saying doctorSays. The runtime's authorizer is restored.
	otherIssuer := func(t *testing.T, ns, aud, doctorSays string) {
		t.Helper()
		restore := trustOther(t, aud)
		r := invokeAs(t, ns, good, "other issuer", func(r result) bool {
			return r.code == 1 && strings.Contains(r.stderr, "HTTP 401")
		}, "a runtime that trusts another issuer")
		for _, w := range []string{"refused by AgentCore", "caller.issuer"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("invoke: %q lacks %q", r.stderr, w)
			}
		}
		doctorFails(t, ns, good, "caller.issuer", doctorSays)
		restore()
	}
	teardown := func(t *testing.T, ns string) {
		t.Helper()
		if r := tr.run("teardown", "-n", ns, "--yes"); r.code != 0 {
			t.Fatalf("teardown: %s", r)
		}
		waitNamespaceGone(t, ns)
	}
	echoed := func(r result) map[string]any {
		var out struct {
			Caller map[string]any `json:"caller"`
		}
		_ = json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &out)
		return out.Caller
	}

	t.Run("passthrough", func(t *testing.T) {
		ns := "agentcore-pass"
		r := tr.run("wizard", "--non-interactive", "--yes", "--mode", "passthrough", "--runtime-arn", echoARN(),
			"--route-namespace", ns, "--path-prefix", "/pass", "--discovery-url", o.DiscoveryURL, "--audience", o.CallerAudience)
		if r.code != 0 {
			t.Fatalf("wizard: %s", r)
		}
		if rec, err := setup.Load(ctx, kube, ns); err != nil || rec.Mode != setup.ModePassthrough {
			t.Fatalf("record: %+v %v", rec, err)
		}
		r = invokeAs(t, ns, good, "hello as the caller", func(r result) bool {
			return r.code == 0 && strings.Contains(r.stdout, "echo: hello as the caller")
		}, "invoke with the caller's token")
		if c := echoed(r); c["sub"] != o.CallerClientID || c["act"] != nil {
			t.Fatalf("the agent saw caller %v, want sub %s and no act", c, o.CallerClientID)
		}

		wrongAudience(t, ns)
		otherIssuer(t, ns, o.CallerAudience, "issuer")
		teardown(t, ns)
	})

	t.Run("exchange", func(t *testing.T) {
		ns := "agentcore-exch"
		r := tr.run("wizard", "--non-interactive", "--yes", "--mode", "exchange", "--runtime-arn", echoARN(),
			"--route-namespace", ns, "--path-prefix", "/exch", "--discovery-url", o.DiscoveryURL, "--audience", o.CallerAudience,
			"--exchange-client-id", o.ExchangeClientID, "--exchange-client-secret-from", o.ExchangeSecretFrom, "--exchange-audience", o.Audience)
		if r.code != 0 {
			t.Fatalf("wizard: %s", r)
		}
		r = invokeAs(t, ns, good, "hello on behalf", func(r result) bool {
			return r.code == 0 && strings.Contains(r.stdout, "echo: hello on behalf")
		}, "invoke with the caller's token (exchanged)")
		c := echoed(r)
		act, _ := c["act"].(map[string]any)
		if c["sub"] != o.CallerClientID || act["sub"] != o.ExchangeClientID {
			t.Fatalf("the agent saw caller %v, want sub %s acted for by %s", c, o.CallerClientID, o.ExchangeClientID)
		}

		wrongAudience(t, ns)
		otherIssuer(t, ns, o.Audience, "AgentCore refuses")

		// A wrong client secret in the token-service Secret the wizard wrote.
		wrong := oidcserver.NewSecret()
		secrets = append(secrets, wrong)
		sec, err := kube.CoreV1().Secrets(ns).Get(ctx, setup.DefaultExchangeSecretName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sec.Data[setup.ExchangeSecretKey] = []byte(wrong)
		if _, err := kube.CoreV1().Secrets(ns).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		r = invokeAs(t, ns, good, "wrong client secret", func(r result) bool {
			return r.code == 1 && strings.Contains(r.stderr, "HTTP 500")
		}, "the exchange with a wrong client secret")
		if !strings.Contains(r.stderr, "refused at the gateway's token exchange") || !strings.Contains(r.stderr, "exchange.client-auth") {
			t.Errorf("invoke: %s", r.stderr)
		}
		doctorFails(t, ns, good, "exchange.client-auth", "invalid_client")
		teardown(t, ns)
	})

	// addAsCaller calls the sandbox AgentCore Gateway's add tool through the setup in ns with the caller's token,
	// until the gateway has the setup's policies and the answer is the sum.
	addAsCaller := func(t *testing.T, ns string, a, b int) {
		t.Helper()
		var last result
		eventually(t, 45*time.Second, func() string {
			last = tr.run("invoke", "-n", ns, "--mcp", "--bearer-from", "file:"+good, "--tool", "add", "--args", fmt.Sprintf(`{"a":%d,"b":%d}`, a, b))
			if last.code == 0 && strings.Contains(last.stdout, "add result:") && strings.Contains(last.stdout, fmt.Sprint(a+b)) {
				return ""
			}
			return "invoke --mcp with the caller's token: " + last.String()
		})
	}

	// The callers' own tokens reach an AgentCore Gateway (MCP) as they reach a runtime: the gateway validates
	// the caller and passes the token on; the AgentCore Gateway's authorizer checks it again.
	t.Run("passthrough to the AgentCore Gateway", func(t *testing.T) {
		gw := sb.State.AgentCoreGateways[sandbox.ToolsGateway]
		if gw.ID == "" {
			t.Fatalf("the sandbox has no AgentCore Gateway %s", sandbox.ToolsGateway)
		}
		ns := "agentcore-mcp-pass"
		r := tr.run("wizard", "--non-interactive", "--yes", "--mode", "passthrough", "--agentcore-gateway", gw.ID,
			"--route-namespace", ns, "--path-prefix", "/mcp-pass", "--discovery-url", o.DiscoveryURL, "--audience", o.CallerAudience)
		if r.code != 0 || !strings.Contains(r.stdout, "invoke -n "+ns+" --mcp --bearer-from env:CALLER_TOKEN") {
			t.Fatalf("wizard: %s", r)
		}
		addAsCaller(t, ns, 2, 3)
		if r := tr.run("invoke", "-n", ns, "--mcp"); r.code != 1 || !strings.Contains(r.stderr, "401 from the gateway's own JWT check") {
			t.Errorf("without the caller's token the gateway refuses: %s", r)
		}
		checks, r := doctorChecks(t, "-n", ns, "--probe", "--token-file", good)
		tr.add("doctor", r)
		if c := checks["probe.gateway"]; c.Status != "pass" || !strings.Contains(c.Detail, "with the caller's token") {
			t.Errorf("doctor --probe: probe.gateway %s %s (%s)", c.Status, c.Detail, r)
		}
		if c := checks["caller.audience"]; c.Status != "pass" || !strings.Contains(c.Detail, "the AgentCore Gateway's allowedAudience") {
			t.Errorf("doctor: caller.audience %s %s: it names the AgentCore Gateway, not a runtime", c.Status, c.Detail)
		}
		if c := checks["probe.direct"]; c.Status != "pass" || !strings.Contains(c.Detail, "the caller's token, which Agent Gateway passes on or exchanges") {
			t.Errorf("doctor --probe: probe.direct %s %s", c.Status, c.Detail)
		}
		teardown(t, ns)
		if typ := string(sb.Fake.GatewaySpec(gw.ID)["authorizerType"]); typ != `"AWS_IAM"` {
			t.Errorf("teardown left the AgentCore Gateway %s, want AWS_IAM back", typ)
		}
	})

	// Exchanged to the AgentCore Gateway: the gateway sends the token service's token, not the caller's. doctor's
	// probe straight to the AgentCore Gateway sent the caller's own token there and failed (401 aud mismatch, with
	// a hint about a token Secret this mode does not have).
	t.Run("exchange to the AgentCore Gateway", func(t *testing.T) {
		gw := sb.State.AgentCoreGateways[sandbox.ToolsGateway]
		ns := "agentcore-mcp-exch"
		r := tr.run("wizard", "--non-interactive", "--yes", "--mode", "exchange", "--agentcore-gateway", gw.ID,
			"--route-namespace", ns, "--path-prefix", "/mcp-exch", "--discovery-url", o.DiscoveryURL, "--audience", o.CallerAudience,
			"--exchange-client-id", o.ExchangeClientID, "--exchange-client-secret-from", o.ExchangeSecretFrom, "--exchange-audience", o.Audience)
		if r.code != 0 {
			t.Fatalf("wizard: %s", r)
		}
		addAsCaller(t, ns, 4, 3)
		checks, r := doctorChecks(t, "-n", ns, "--probe", "--token-file", good)
		tr.add("doctor", r)
		if f := failed(checks); len(f) != 0 || r.code != 0 {
			t.Errorf("doctor --probe: failed %v (exit %d)\n%s", f, r.code, r)
		}
		if c := checks["probe.direct"]; c.Status != "pass" || !strings.Contains(c.Detail, "without a token the AgentCore Gateway answers 401") {
			t.Errorf("doctor --probe: probe.direct %s %s", c.Status, c.Detail)
		}
		teardown(t, ns)
	})

	tr.scan(secrets...)
}
