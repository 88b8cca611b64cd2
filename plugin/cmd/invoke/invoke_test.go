package invoke

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	uc "github.com/kubectl-agentcore/kubectl-agentcore/plugin/invoke"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/echo_agent-Ab12Cd34Ef"

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	io, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	f := cmdutil.New(io)
	cmd := NewCmd(f, nil)
	f.KubeFlags.AddFlags(cmd.PersistentFlags())
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	if err != nil && err.Error() != "" {
		var ee *cmdutil.ExitError
		if !(asExit(err, &ee) && ee.Err == nil) {
			fmt.Fprintln(errOut, "error: "+err.Error())
		}
	}
	return cmdutil.ExitCode(err), out.String(), errOut.String()
}

func asExit(err error, target **cmdutil.ExitError) bool {
	e, ok := err.(*cmdutil.ExitError)
	if ok {
		*target = e
	}
	return ok
}

func isolate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing-kubeconfig"))
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
}

func echoServer(t *testing.T, status int, reply string) (*httptest.Server, *[]map[string]any) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		m["_path"] = r.URL.Path
		m["_session"] = r.Header.Get(uc.SessionHeader)
		m["_auth"] = r.Header.Get("Authorization")
		m["_host"] = r.Host
		got = append(got, m)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestUsageErrors(t *testing.T) {
	isolate(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "nothing to send"},
		{[]string{"hi", "--data", `{}`}, "only one of"},
		{[]string{"--data", `{not json`}, "not valid JSON"},
		{[]string{"--data-file", "/nonexistent/payload.json"}, "reading --data-file"},
		{[]string{"hi", "--session-id", "short"}, "33–256"},
		{[]string{"hi", "--gateway", "127.0.0.1:8080"}, "http://"},
		{[]string{"hi", "--direct", "--gateway", "http://x"}, "does not take --gateway"},
		{[]string{"hi", "--route", "noslash"}, "NAMESPACE/NAME"},
		{[]string{"hi", "-o", "xml"}, "unknown output format"},
		{[]string{"hi", "--direct", "--runtime-arn", "arn:aws:nope"}, "invalid runtime ARN"},
	} {
		code, out, errOut := run(t, "", c.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q (want %q)", c.args, code, out, errOut, c.want)
		}
	}
}

func TestInvokeThroughGatewayFlag(t *testing.T) {
	isolate(t)
	srv, got := echoServer(t, 200, `{"reply":"echo: hello"}`)
	code, out, errOut := run(t, "", "hello", "--gateway", srv.URL+"/agentcore")
	if code != 0 || out != "{\"reply\":\"echo: hello\"}\n" || errOut != "" {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	m := (*got)[0]
	if m["role"] != "user" || m["_path"] != "/agentcore" || len(m["_session"].(string)) < 33 {
		t.Fatalf("request %v", m)
	}
	// --data-file from stdin, fixed session id, JSON output
	sid := strings.Repeat("s", 40)
	code, out, _ = run(t, `{"prompt":"x"}`, "--data-file", "-", "--session-id", sid, "--gateway", srv.URL, "-o", "json")
	var res uc.Result
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Status != 200 || res.SessionID != sid || res.Body != `{"reply":"echo: hello"}` {
		t.Fatalf("exit %d out %s", code, out)
	}
	if (*got)[1]["prompt"] != "x" || (*got)[1]["_session"] != sid {
		t.Fatalf("request %v", (*got)[1])
	}
}

func TestNon2xxExplainedExit1(t *testing.T) {
	isolate(t)
	srv, _ := echoServer(t, 403, `{"message":"Authorization method mismatch. The agent expects SigV4."}`)
	code, out, errOut := run(t, "", "hello", "--gateway", srv.URL)
	if code != 1 || out != "" {
		t.Fatalf("exit %d stdout %q", code, out)
	}
	for _, w := range []string{"HTTP 403", "Authorization method mismatch", "IAM", "authorizer.mode", "kubectl agentcore"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q: %s", w, errOut)
		}
	}
	if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("error is not one line: %q", errOut)
	}
	code, out, _ = run(t, "", "hello", "--gateway", srv.URL, "-o", "json")
	var res uc.Result
	if code != 1 || json.Unmarshal([]byte(out), &res) != nil || res.Explanation == nil || res.Explanation.Check != "authorizer.mode" {
		t.Fatalf("json exit %d: %s", code, out)
	}
}

func TestDirectSendsNoTokenAndShows401(t *testing.T) {
	isolate(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("--direct sent Authorization")
		}
		if r.URL.EscapedPath() != "/runtimes/"+url.QueryEscape(arn)+"/invocations" || r.URL.Query().Get("qualifier") != "DEFAULT" {
			t.Errorf("path %s query %s", r.URL.EscapedPath(), r.URL.RawQuery)
		}
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="http://x/.well-known/oauth-protected-resource"`)
		w.WriteHeader(401)
		fmt.Fprint(w, `{"message":"Missing bearer token"}`)
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", srv.URL)
	code, _, errOut := run(t, "", "hello", "--direct", "--runtime-arn", arn, "--qualifier", "DEFAULT")
	if code != 1 || !strings.Contains(errOut, "HTTP 401") || !strings.Contains(errOut, "the gateway prevents") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
}

func TestDirectWithoutARNOrRecord(t *testing.T) {
	isolate(t)
	code, _, errOut := run(t, "", "hello", "--direct")
	if code != 1 || !strings.Contains(errOut, "--runtime-arn") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
}

func TestGatewayFromRecordAndStatus(t *testing.T) {
	c := clustertest.Shared(t)
	ctx := context.Background()
	gwNS := c.Namespace(t, "gw")
	ns := c.Namespace(t, "setup")
	srv, got := echoServer(t, 200, `{"ok":true}`)
	u, _ := url.Parse(srv.URL)
	port := u.Port()
	dyn := c.Dynamic()

	// Without a Gateway: a clear error, nothing sent.
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(kc, testcluster.AdminToken, ns); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kc)
	rec := setup.Record{Namespace: ns, RuntimeARN: arn, GatewayNamespace: gwNS, GatewayName: "proxy", RouteName: "agentcore"}.WithDefaults()
	if err := setup.Save(ctx, c.Kube(), &rec, nil); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "", "hi", "-n", ns)
	if code != 1 || !strings.Contains(errOut, "proxy not found") || len(*got) != 0 {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}

	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "proxy", "namespace": gwNS},
		"spec": map[string]any{"gatewayClassName": "agentgateway", "listeners": []any{
			map[string]any{"name": "http", "protocol": "HTTP", "port": int64(mustAtoi(port))}}},
	}}
	live, err := dyn.Resource(uc.GatewayGVR).Namespace(gwNS).Create(ctx, gw, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "", "hi", "-n", ns)
	if code != 1 || !strings.Contains(errOut, "has no address (its status has none and no Service was found)") || !strings.Contains(errOut, "kubectl port-forward -n "+gwNS+" svc/proxy") || !strings.Contains(errOut, "--gateway-url") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	_ = unstructured.SetNestedSlice(live.Object, []any{map[string]any{"type": "IPAddress", "value": "127.0.0.1"}}, "status", "addresses")
	if _, err := dyn.Resource(uc.GatewayGVR).Namespace(gwNS).UpdateStatus(ctx, live, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "agentcore", "namespace": ns},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "proxy", "namespace": gwNS}},
			"hostnames":  []any{"agents.example.com"},
			"rules":      []any{map[string]any{"matches": []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/agentcore"}}}}},
		},
	}}
	if _, err := dyn.Resource(uc.HTTPRouteGVR).Namespace(ns).Create(ctx, route, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "hi", "-n", ns)
	if code != 0 || out != "{\"ok\":true}\n" {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	m := (*got)[0]
	if m["_path"] != "/agentcore" || m["_host"] != "agents.example.com" || strings.Contains(errOut, "warning") {
		t.Fatalf("request %v, stderr %q", m, errOut)
	}
	// Another route the Gateway accepted takes the setup's path first (an Exact match, same hostname): the call
	// still goes, with a warning that it reaches that route's backend.
	exact := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "exact", "namespace": gwNS},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "proxy"}},
			"hostnames":  []any{"agents.example.com"},
			"rules":      []any{map[string]any{"matches": []any{map[string]any{"path": map[string]any{"type": "Exact", "value": "/agentcore"}}}}},
		},
	}}
	exact, err = dyn.Resource(uc.HTTPRouteGVR).Namespace(gwNS).Create(ctx, exact, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exact.Object["status"] = map[string]any{"parents": []any{map[string]any{
		"parentRef": map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "proxy"}, "controllerName": "agentgateway.dev/agentgateway",
		"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-12-03T00:00:00Z"}},
	}}}
	if _, err := dyn.Resource(uc.HTTPRouteGVR).Namespace(gwNS).UpdateStatus(ctx, exact, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "", "hi", "-n", ns)
	want := "warning: HTTPRoute " + gwNS + "/exact takes Exact /agentcore for Host agents.example.com before this route's PathPrefix /agentcore: " +
		"an Exact path match ranks before a PathPrefix: this call reaches that route's backend"
	if code != 0 || out != "{\"ok\":true}\n" || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d stdout %q stderr %q, want %q", code, out, errOut, want)
	}
	// Without the record (and without -n) the only attached route is found too.
	if err := c.Kube().CoreV1().ConfigMaps(ns).Delete(ctx, rec.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "", "hi", "--route", ns+"/agentcore")
	if code != 1 || !strings.Contains(errOut, "agentgateway-proxy not found") {
		// no record → default gateway agentgateway-system/agentgateway-proxy, which this cluster lacks
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
}

func mustAtoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
