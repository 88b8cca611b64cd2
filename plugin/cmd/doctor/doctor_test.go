package doctor_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/root"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
	"sigs.k8s.io/yaml"
)

func run(t *testing.T, ascii bool, args ...string) (int, string, string) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	io.SetASCII(ascii)
	f := cmdutil.New(io)
	code := root.Run(f, args)
	return code, out.String(), errOut.String()
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type files struct{ token, authorizer, discovery, jwks string }

func offlineFiles(t *testing.T, claims func(iss string) map[string]any) files {
	t.Helper()
	dir := t.TempDir()
	key := tokentest.RSA(t, "k1")
	const iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"
	tok := key.Mint(t, claims(iss))
	return files{
		token:      write(t, dir, "token", "Bearer "+tok+"\n"),
		authorizer: write(t, dir, "az.json", `{"customJWTAuthorizer":{"discoveryUrl":"`+iss+`/.well-known/openid-configuration","allowedAudience":["client1"]}}`),
		discovery:  write(t, dir, "disc.json", `{"issuer":"`+iss+`","jwks_uri":"`+iss+`/.well-known/jwks.json"}`),
		jwks:       write(t, dir, "jwks.json", string(tokentest.JWKS(t, key))),
	}
}

func (f files) args(extra ...string) []string {
	return append([]string{"doctor", "--token-file", f.token, "--authorizer-file", f.authorizer, "--discovery-file", f.discovery, "--jwks-file", f.jwks}, extra...)
}

func TestOfflineJSONSchemaAndExitZero(t *testing.T) {
	f := offlineFiles(t, func(iss string) map[string]any { return tokentest.CognitoID(iss, "client1", time.Now(), time.Hour) })
	code, out, errOut := run(t, false, f.args("-o", "json")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if keys := slices.Sorted(maps.Keys(doc)); !reflect.DeepEqual(keys, []string{"checks", "summary"}) {
		t.Fatalf("top-level keys %v", keys)
	}
	var checks []map[string]any
	if err := json.Unmarshal(doc["checks"], &checks); err != nil {
		t.Fatal(err)
	}
	if len(checks) != 15 {
		t.Fatalf("offline runs the 15 token and authorizer checks, got %d", len(checks))
	}
	for _, c := range checks {
		if keys := slices.Sorted(maps.Keys(c)); !reflect.DeepEqual(keys, []string{"category", "detail", "fix", "hint", "id", "status", "title"}) {
			t.Fatalf("check keys %v", keys)
		}
		if c["category"] != "token" && c["category"] != "authorizer" {
			t.Fatalf("offline mode ran %v", c["id"])
		}
		if !strings.HasPrefix(c["id"].(string), c["category"].(string)+".") {
			t.Fatalf("id %v not in its category", c["id"])
		}
		switch c["status"] {
		case "pass", "warn", "fail", "skip":
		default:
			t.Fatalf("status %v", c["status"])
		}
	}
	var sum map[string]int
	if err := json.Unmarshal(doc["summary"], &sum); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(sum)); !reflect.DeepEqual(keys, []string{"fail", "pass", "skip", "warn"}) {
		t.Fatalf("summary keys %v", keys)
	}
	if sum["fail"] != 0 || sum["pass"]+sum["skip"]+sum["warn"] != 15 {
		t.Fatalf("summary %v", sum)
	}
	if strings.Contains(out, "eyJ") {
		t.Fatal("the token must never be printed")
	}
	// YAML has the same shape.
	code, out, _ = run(t, false, f.args("-o", "yaml")...)
	var y map[string]any
	if code != 0 || yaml.Unmarshal([]byte(out), &y) != nil || y["summary"] == nil {
		t.Fatalf("yaml: exit %d\n%s", code, out)
	}
}

func TestOfflineFailureTextAndExitThree(t *testing.T) {
	f := offlineFiles(t, func(iss string) map[string]any { return tokentest.CognitoAccess(iss, "client1", time.Now(), time.Hour) })
	code, out, errOut := run(t, false, f.args()...)
	if code != cmdutil.ExitFindings {
		t.Fatalf("exit %d, want 3; stderr %s", code, errOut)
	}
	if errOut != "" {
		t.Fatalf("findings are not errors; stderr %q", errOut)
	}
	for _, want := range []string{
		"✖ authorizer.audience",
		"this is a Cognito access token",
		"    hint Use the ID token, or set allowedClients=[client1]",
		"    fix  kubectl agentcore rotate --token-use id",
		"✔ token.signature",
		"failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	// ASCII fallback
	_, out, _ = run(t, true, f.args()...)
	if !strings.Contains(out, "FAIL authorizer.audience") || !strings.Contains(out, "OK   token.signature") || strings.Contains(out, "✖") {
		t.Errorf("ASCII output:\n%s", out)
	}
}

func TestDoctorCouldNotRun(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing kubeconfig", []string{"doctor", "--kubeconfig", "/nonexistent/kubeconfig", "-o", "json"}, 1, "error: loading kubeconfig"},
		{"bad route", []string{"doctor", "--route", "a/b/c"}, 2, `error: --route: "a/b/c" is not NAMESPACE/NAME`},
		{"bad ARN", []string{"doctor", "--runtime-arn", "arn:aws:lambda:us-east-1:1:function/x"}, 2, "error: --runtime-arn: invalid runtime ARN"},
		{"bad output", []string{"doctor", "-o", "xml"}, 2, "error: unknown output format"},
		{"token file missing", []string{"doctor", "--token-file", "/nonexistent/t", "--authorizer-file", "/nonexistent/a"}, 1, "error: reading --token-file /nonexistent/t"},
		{"authorizer not JSON", []string{"doctor", "--token-file", write(t, dir, "t", "x.y.z"), "--authorizer-file", write(t, dir, "a", "<html>")}, 1, "error: reading --authorizer-file"},
		{"bad token source", []string{"doctor", "--token-source", "cookie"}, 2, `error: --token-source: unknown token source "cookie"`},
		{"runtime and agentcore gateway", []string{"doctor", "--runtime-arn", "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-Ab12Cd34Ef", "--agentcore-gateway", "tools-gw-abcdef0123"}, 2,
			"error: --runtime-arn and --agentcore-gateway name two targets: doctor checks one runtime or one AgentCore Gateway. Pass one of them"},
		{"bad agentcore gateway", []string{"doctor", "--agentcore-gateway", "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-Ab12Cd34Ef"}, 2, "error: --agentcore-gateway: invalid gateway ARN"},
		{"probe offline gateway url", []string{"doctor", "--probe", "--gateway-url", "localhost:8080"}, 2, "must start with http://"},
		{"manifests not YAML", []string{"doctor", "--manifests-file", write(t, dir, "m", "kind: ["), "--authorizer-file", write(t, dir, "a2", "null")}, 1,
			"error: reading --manifests-file " + dir + "/m: not a YAML or JSON manifest stream"},
		{"manifests with a cluster flag", []string{"doctor", "--manifests-file", write(t, dir, "m2", "kind: ConfigMap"), "--authorizer-file", write(t, dir, "a3", "null"), "--route", "ns/r"}, 2,
			"error: --manifests-file is for offline checks"},
		{"token file and token from", []string{"doctor", "--token-file", "t", "--token-from", "env:T"}, 2, "error: --token-file and --token-from both name the token: give one"},
		{"token from a literal", []string{"doctor", "--token-from", "eyJhbGciOi.x.y"}, 2, "error: --token-from: the value is not a source"},
		{"token from an unset variable", []string{"doctor", "--token-from", "env:DOCTOR_TEST_UNSET_TOKEN", "--authorizer-file", write(t, dir, "a4", "null")}, 1, "error: reading the token: --token-from env:DOCTOR_TEST_UNSET_TOKEN: the environment variable is not set. Check the source"},
		{"two stdins", []string{"doctor", "--manifests-file", "-", "--authorizer-file", "-"}, 2, "only one of --token-file, --authorizer-file and --manifests-file can be stdin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, false, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, errOut)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) && !strings.Contains(lines[0], tc.want) {
				t.Fatalf("want one line with %q, got %q", tc.want, errOut)
			}
			if out != "" {
				t.Fatalf("nothing on stdout when doctor cannot run, got %q", out)
			}
		})
	}
}

// --authorizer-file takes the whole get-agent-runtime output with the newest settings: a workload restriction
// fails authorizer.workload (exit 3), the header allowlist is read for --token-source passthrough, and the fix
// command keeps a member this version does not know.
func TestOfflineAuthorizerFileNewestSettings(t *testing.T) {
	f := offlineFiles(t, func(iss string) map[string]any { return tokentest.CognitoID(iss, "client1", time.Now(), time.Hour) })
	const iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"
	f.authorizer = write(t, t.TempDir(), "rt.json", `{"agentRuntimeId":"payments-AbCdEf0123","agentRuntimeArn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments-AbCdEf0123",
		"protocolConfiguration":{"serverProtocol":"MCP"},"requestHeaderConfiguration":{"requestHeaderAllowlist":["X-Trace"]},
		"authorizerConfiguration":{"customJWTAuthorizer":{"discoveryUrl":"`+iss+`/.well-known/openid-configuration","allowedAudience":["client1"],
		"allowedWorkloadConfiguration":{"hostingEnvironments":[{"arn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/gw-1"}]},
		"someFutureMember":{"keep":true}}}}`)
	code, out, errOut := run(t, false, f.args("--token-source", "passthrough", "-o", "json")...)
	if code != 3 {
		t.Fatalf("exit %d, want 3; stderr %s\n%s", code, errOut, out)
	}
	var rep struct {
		Checks []struct{ ID, Status, Detail, Fix string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]struct{ ID, Status, Detail, Fix string }{}
	for _, c := range rep.Checks {
		got[c.ID] = c
	}
	if c := got["authorizer.workload"]; c.Status != "fail" || !strings.Contains(c.Detail, "gateway/gw-1") || !strings.Contains(c.Fix, `"someFutureMember":{"keep":true}`) || strings.Contains(c.Fix, "allowedWorkloadConfiguration") {
		t.Errorf("authorizer.workload = %+v", c)
	}
	if c := got["authorizer.request-headers"]; c.Status != "warn" || !strings.Contains(c.Fix, `["X-Trace","Authorization"]`) {
		t.Errorf("authorizer.request-headers = %+v", c)
	}
	if c := got["authorizer.mode"]; !strings.Contains(c.Detail, "someFutureMember") {
		t.Errorf("authorizer.mode must name the kept member: %+v", c)
	}
}

// Offline passthrough: the wizard's rendered manifests (--manifests-file) and the runtime's authorizer; the gateway
// accepts an audience the runtime refuses → caller.audience fails (exit 3), named with the values, in -o json; the
// token Secret checks are not planned offline and no caller token skips the token checks.
func TestOfflineManifestsPassthroughJSON(t *testing.T) {
	key := tokentest.RSA(t, "k1")
	idp := tokentest.NewIssuer(t, key)
	dir := t.TempDir()
	manifests := write(t, dir, "setup.yaml", `# Generated by kubectl agentcore wizard --dry-run -o yaml
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: agentcore, namespace: agentcore}
spec:
  parentRefs: [{name: agentgateway-proxy, namespace: agentgateway-system}]
  rules: [{backendRefs: [{group: agentgateway.dev, kind: AgentgatewayBackend, name: agentcore}]}]
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: agentcore, namespace: agentcore}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: agentcore}]
  backend: {tls: {}, auth: {passthrough: {}}}
---
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: agentcore-jwt, namespace: agentcore}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: agentcore}]
  traffic:
    jwtAuthentication:
      providers:
      - issuer: `+idp.Issuer+`
        audiences: [web, mobile]
        jwks: {remote: {backendRef: {group: agentgateway.dev, kind: AgentgatewayBackend, name: agentcore-idp}, jwksPath: /.well-known/jwks.json}}
`)
	az := write(t, dir, "az.json", `{"customJWTAuthorizer":{"discoveryUrl":"`+idp.DiscoveryURL()+`","allowedAudience":["web"]}}`)
	code, out, errOut := run(t, false, "doctor", "--manifests-file", manifests, "--authorizer-file", az, "-o", "json")
	if code != cmdutil.ExitFindings {
		t.Fatalf("exit %d, want 3; stderr %s\n%s", code, errOut, out)
	}
	var doc struct {
		Checks []struct{ ID, Status, Detail, Fix string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, c := range doc.Checks {
		got[c.ID] = c.Status + " " + c.Detail + " | " + c.Fix
	}
	for id, want := range map[string]string{
		"caller.jwt-policy": "pass AgentgatewayPolicy agentcore/agentcore-jwt (Strict) validates the caller",
		"caller.issuer":     "pass the gateway and the runtime both trust",
		"caller.audience":   "fail the gateway accepts audiences [web, mobile], the runtime's allowedAudience is [web]: a token for [mobile] passes the gateway and AgentCore refuses it",
		"caller.token":      "skip",
		"token.malformed":   "skip no caller token given",
	} {
		if !strings.HasPrefix(got[id], want) {
			t.Errorf("%s = %q, want prefix %q", id, got[id], want)
		}
	}
	if _, ok := got["secret.present"]; ok {
		t.Error("offline plans no Secret checks")
	}
	// The caller's token from --token-from env:VAR: the gateway accepts it (aud web), AgentCore too.
	t.Setenv("CALLER_TOKEN", key.Mint(t, tokentest.Auth0(idp.Issuer, "web", "web-app", time.Now(), time.Hour)))
	code, out, errOut = run(t, false, "doctor", "--manifests-file", manifests, "--authorizer-file", az, "--token-from", "env:CALLER_TOKEN", "-o", "json")
	if code != cmdutil.ExitFindings || !strings.Contains(out, `"the gateway accepts it (iss \"`+idp.Issuer+`\", aud [web, `) || !strings.Contains(out, "and so does the runtime's authorizer") {
		t.Fatalf("exit %d (stderr %s), want caller.token passing:\n%s", code, errOut, out)
	}
}

// The wizard's own offline render of an exchange setup, read back by doctor --manifests-file: the policies the
// wizard writes are the ones doctor checks (issuer, audiences, the token service's grant and path); a runtime
// authorizer that trusts the caller's audience instead of the exchanged one fails caller.audience (exit 3).
func TestOfflineDoctorReadsTheWizardsExchangeRender(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	idp := tokentest.NewIssuer(t, tokentest.RSA(t, "k1"))
	idp.Handle("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": idp.Issuer, "jwks_uri": idp.URL + "/.well-known/jwks.json",
			"token_endpoint": idp.URL + "/oauth2/token", "token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
			"grant_types_supported": []string{"urn:ietf:params:oauth:grant-type:token-exchange"}})
	})
	const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-Ab12Cd34Ef"
	code, render, errOut := run(t, false, "wizard", "--non-interactive", "--dry-run", "-o", "yaml", "--offline", "--mode", "exchange", "--runtime-arn", arn,
		"--discovery-url", idp.DiscoveryURL(), "--audience", "web-app", "--exchange-client-id", "gateway", "--exchange-audience", "agentcore")
	if code != 0 {
		t.Fatalf("wizard render: exit %d: %s", code, errOut)
	}
	dir := t.TempDir()
	manifests := write(t, dir, "setup.yaml", render)
	check := func(allowed string) (int, map[string]string) {
		az := write(t, dir, "az-"+allowed+".json", `{"customJWTAuthorizer":{"discoveryUrl":"`+idp.DiscoveryURL()+`","allowedAudience":["`+allowed+`"]}}`)
		code, out, errOut := run(t, false, "doctor", "--manifests-file", manifests, "--authorizer-file", az, "-o", "json")
		var doc struct {
			Checks []struct{ ID, Status, Detail string }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("not JSON (exit %d, stderr %s): %v\n%s", code, errOut, err, out)
		}
		got := map[string]string{}
		for _, c := range doc.Checks {
			got[c.ID] = c.Status + " " + c.Detail
		}
		return code, got
	}
	code, got := check("agentcore")
	if code != 0 {
		t.Fatalf("the wizard's render must pass offline, exit %d: %v", code, got)
	}
	for id, want := range map[string]string{
		"caller.jwt-policy":    "pass AgentgatewayPolicy agentcore/agentcore-jwt (Strict) validates the caller: issuer \"" + idp.Issuer + "\", [web-app]",
		"caller.issuer":        "pass the runtime trusts the token service's issuer",
		"caller.audience":      "pass the gateway asks for audience [agentcore]",
		"exchange.discovery":   "pass " + idp.Issuer + " offers token exchange at " + idp.URL + "/oauth2/token; the gateway posts to /oauth2/token",
		"exchange.client-auth": "skip offline",
	} {
		if !strings.HasPrefix(got[id], want) {
			t.Errorf("%s = %q, want prefix %q", id, got[id], want)
		}
	}
	code, got = check("web-app")
	if code != cmdutil.ExitFindings || !strings.HasPrefix(got["caller.audience"], "fail the gateway asks the token service for audience [agentcore], but the runtime's allowedAudience is [web-app]") {
		t.Fatalf("exit %d, caller.audience = %q", code, got["caller.audience"])
	}
}
