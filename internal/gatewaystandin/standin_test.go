package gatewaystandin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const testARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/echo_agent-Ab12Cd34Ef"

type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (s *seen) last() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return nil
	}
	return s.reqs[len(s.reqs)-1]
}

type env struct {
	t      *testing.T
	c      *clustertest.Cluster
	ns     string
	gwNS   string
	si     *StandIn
	up     *seen
	logA   string
	cancel context.CancelFunc
}

func start(t *testing.T) *env {
	t.Helper()
	c := clustertest.Shared(t)
	e := &env{t: t, c: c, ns: c.Namespace(t, "route"), gwNS: c.Namespace(t, "gw"), up: &seen{}}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		r2 := r.Clone(context.Background())
		e.up.mu.Lock()
		e.up.reqs = append(e.up.reqs, r2)
		e.up.mu.Unlock()
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"message":"Missing or malformed Authorization header; a Bearer token is required."}`)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(upstream.Close)
	e.logA = filepath.Join(t.TempDir(), "agentgateway.log")
	e.apply(fmt.Sprintf(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: proxy, namespace: %s}
spec:
  gatewayClassName: agentgateway
  listeners: [{name: http, protocol: HTTP, port: 8080}]
`, e.gwNS))
	si, err := New(Options{Config: c.Config, GatewayNamespace: e.gwNS, GatewayName: "proxy", Upstream: upstream.URL,
		LogFiles: []string{e.logA}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	done := make(chan error, 1)
	go func() { done <- si.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-si.Synced():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("stand-in did not sync")
	}
	e.si = si
	return e
}

func (e *env) apply(y string) {
	e.t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(y), &obj); err != nil {
		e.t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: obj}
	gvr := gvrOf(u)
	_, err := e.c.Dynamic().Resource(gvr).Namespace(u.GetNamespace()).Apply(context.Background(), u.GetName(), u, metav1.ApplyOptions{FieldManager: "test", Force: true})
	if err != nil {
		e.t.Fatalf("applying %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

func gvrOf(u *unstructured.Unstructured) schema.GroupVersionResource {
	gv, _ := schema.ParseGroupVersion(u.GetAPIVersion())
	res := strings.ToLower(u.GetKind()) + "s"
	if strings.HasSuffix(u.GetKind(), "Policy") {
		res = strings.ToLower(strings.TrimSuffix(u.GetKind(), "y")) + "ies"
	}
	return gv.WithResource(res)
}

func (e *env) secret(name, value string) {
	e.t.Helper()
	kc := e.c.Kube().CoreV1().Secrets(e.ns)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns}, Data: map[string][]byte{"Authorization": []byte(value)}}
	if _, err := kc.Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		if _, err := kc.Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// call posts to the stand-in until the answer satisfies ok (the stand-in picks changes up asynchronously).
func (e *env) call(path string, ok func(int) bool) (int, string) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := e.post(path, "")
		if ok(code) || time.Now().After(deadline) {
			return code, body
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// post sends one prompt to the stand-in, with an Authorization header when auth is not empty.
func (e *env) post(path, auth string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.si.URL()+path, strings.NewReader(`{"prompt":"hi"}`))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// waitTable waits until the stand-in's routing table satisfies ok (it rebuilds after each change it sees).
func (e *env) waitTable(what string, ok func(*table) bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		e.si.mu.RLock()
		tb := e.si.table
		e.si.mu.RUnlock()
		if ok(tb) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("the stand-in's table never had %s", what)
}

func (e *env) waitCond(gvr schema.GroupVersionResource, name string, check func(*unstructured.Unstructured) bool) *unstructured.Unstructured {
	e.t.Helper()
	var last *unstructured.Unstructured
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		o, err := e.c.Dynamic().Resource(gvr).Namespace(e.ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			last = o
			if check(o) {
				return o
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("%s %s never reached the expected status: %v", gvr.Resource, name, last.Object["status"])
	return nil
}

func conds(o *unstructured.Unstructured, path ...string) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _, _ := unstructured.NestedSlice(o.Object, path...)
	for _, c := range list {
		m := c.(map[string]any)
		out[m["type"].(string)] = m
	}
	return out
}

func firstConds(o *unstructured.Unstructured, list string) map[string]map[string]any {
	items, _, _ := unstructured.NestedSlice(o.Object, "status", list)
	if len(items) == 0 {
		return nil
	}
	return conds(&unstructured.Unstructured{Object: items[0].(map[string]any)}, "conditions")
}

// rewriteSetup is the published recipe: the static backend, a policy on it sending the token Secret
// agentcore-jwt, and the route rewriting to the runtime's invocation path.
func (e *env) rewriteSetup() {
	e.staticBackend()
	e.apply(fmt.Sprintf(`
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: agentcore, namespace: %[1]s}
spec:
  targetRefs: [{group: agentgateway.dev, kind: AgentgatewayBackend, name: agentcore}]
  backend:
    tls: {}
    auth: {secretRef: {name: agentcore-jwt}}
`, e.ns))
	e.rewriteRoute()
}

// staticBackend is the AgentgatewayBackend agentcore: AgentCore's data-plane host, port 443.
func (e *env) staticBackend() {
	e.apply(fmt.Sprintf(`
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayBackend
metadata: {name: agentcore, namespace: %[1]s}
spec: {static: {host: bedrock-agentcore.us-east-1.amazonaws.com, port: 443}}
`, e.ns))
}

// rewriteRoute is the HTTPRoute agentcore on the Gateway proxy: /agentcore rewritten to the runtime's invocation
// path, to the backend agentcore.
func (e *env) rewriteRoute() {
	e.apply(fmt.Sprintf(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: agentcore, namespace: %[1]s}
spec:
  parentRefs: [{name: proxy, namespace: %[2]s}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /agentcore}}]
    filters:
    - type: URLRewrite
      urlRewrite:
        hostname: bedrock-agentcore.us-east-1.amazonaws.com
        path: {type: ReplaceFullPath, replaceFullPath: %[3]q}
    backendRefs: [{group: agentgateway.dev, kind: AgentgatewayBackend, name: agentcore}]
`, e.ns, e.gwNS, mustARN(testARN).InvocationPath()))
}

func mustARN(s string) awsops.RuntimeARN {
	a, err := awsops.ParseRuntimeARN(s)
	if err != nil {
		panic(err)
	}
	return a
}

func TestRewriteModeForwardsWithSecretAndLeavesOSSStatuses(t *testing.T) {
	e := start(t)
	e.secret("agentcore-jwt", "Bearer tok-1")
	e.rewriteSetup()

	code, body := e.call("/agentcore", func(c int) bool { return c == 200 })
	if code != 200 || body != `{"ok":true}` {
		t.Fatalf("got %d %s", code, body)
	}
	r := e.up.last()
	if r.URL.EscapedPath() != mustARN(testARN).InvocationPath() || r.Host != "bedrock-agentcore.us-east-1.amazonaws.com" || r.Header.Get("Authorization") != "Bearer tok-1" {
		t.Fatalf("upstream saw path %s host %s auth %q", r.URL.EscapedPath(), r.Host, r.Header.Get("Authorization"))
	}

	// The stand-in writes no status of the open-source kinds (the real controller does; none runs here).
	for _, o := range []struct {
		gvr  schema.GroupVersionResource
		ns   string
		name string
	}{{GVRBackend, e.ns, "agentcore"}, {GVRHTTPRoute, e.ns, "agentcore"}, {GVRPolicy, e.ns, "agentcore"}, {schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}, e.gwNS, "proxy"}} {
		u, err := e.c.Dynamic().Resource(o.gvr).Namespace(o.ns).Get(context.Background(), o.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range u.GetManagedFields() {
			if f.Manager == "agentgateway-demo-standin" {
				t.Errorf("%s %s: the stand-in wrote %s", o.gvr.Resource, o.name, f.Subresource)
			}
		}
	}

	// The Secret changes: the next requests carry the new token (no restart).
	e.secret("agentcore-jwt", "tok-2") // without "Bearer ": it is added
	deadline := time.Now().Add(30 * time.Second)
	for e.up.last().Header.Get("Authorization") != "Bearer tok-2" && time.Now().Before(deadline) {
		e.call("/agentcore", func(int) bool { return true })
	}
	if got := e.up.last().Header.Get("Authorization"); got != "Bearer tok-2" {
		t.Fatalf("after the Secret changed the upstream saw %q", got)
	}

	// The Secret is deleted: the request goes on without a token → upstream 401.
	if err := e.c.Kube().CoreV1().Secrets(e.ns).Delete(context.Background(), "agentcore-jwt", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	code, _ = e.call("/agentcore", func(c int) bool { return c == 401 })
	if code != 401 || e.up.last().Header.Get("Authorization") != "" {
		t.Fatalf("without the Secret: %d, auth %q", code, e.up.last().Header.Get("Authorization"))
	}

	// Access lines, agentgateway text format, CRI-wrapped.
	b, _ := os.ReadFile(e.logA)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	first := ""
	for _, l := range lines {
		if strings.Contains(l, "http.status=200") {
			first = l
			break
		}
	}
	for _, want := range []string{" stdout F ", "\tinfo\trequest gateway=" + e.gwNS + "/proxy", "listener=http", "route=" + e.ns + "/agentcore",
		"endpoint=bedrock-agentcore.us-east-1.amazonaws.com:443", "http.method=POST", "http.path=/agentcore", "http.status=200", "protocol=http", "duration="} {
		if !strings.Contains(first, want) {
			t.Errorf("access line lacks %q: %s", want, first)
		}
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, "http.status=401") || !strings.Contains(last, `error="Missing or malformed Authorization header; a Bearer token is required."`) {
		t.Errorf("last access line: %s", last)
	}
}

func TestNativeModeRateLimitAndMissingBackend(t *testing.T) {
	e := start(t)
	e.secret("agentcore-jwt", "tok-native")
	e.apply(fmt.Sprintf(`
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayBackend
metadata: {name: native, namespace: %[1]s}
spec:
  aws: {agentCore: {agentRuntimeArn: %[2]q, qualifier: DEFAULT}}
  policies: {auth: {secretRef: {name: agentcore-jwt}}}
`, e.ns, testARN))
	e.apply(fmt.Sprintf(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: native, namespace: %[1]s}
spec:
  parentRefs: [{name: proxy, namespace: %[2]s}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /native}}]
    backendRefs: [{group: agentgateway.dev, kind: AgentgatewayBackend, name: native}]
  - matches: [{path: {type: PathPrefix, value: /broken}}]
    backendRefs: [{group: agentgateway.dev, kind: AgentgatewayBackend, name: does-not-exist}]
`, e.ns, e.gwNS))
	code, _ := e.call("/native/anything", func(c int) bool { return c == 200 })
	r := e.up.last()
	if code != 200 || r.URL.EscapedPath() != mustARN(testARN).InvocationPath() || r.URL.RawQuery != "qualifier=DEFAULT" ||
		r.Host != "bedrock-agentcore.us-east-1.amazonaws.com" || r.Header.Get("Authorization") != "Bearer tok-native" {
		t.Fatalf("%d: upstream path %s?%s host %s auth %q", code, r.URL.EscapedPath(), r.URL.RawQuery, r.Host, r.Header.Get("Authorization"))
	}
	if code, _ := e.call("/broken", func(c int) bool { return c == 500 }); code != 500 {
		t.Fatalf("broken backend: %d", code)
	}
	if code, _ := e.call("/nothing-here", func(c int) bool { return c == 404 }); code != 404 {
		t.Fatalf("no route: %d", code)
	}

	// A local rate limit of 2 per minute on the route: the third call within the minute is 429.
	e.apply(fmt.Sprintf(`
apiVersion: agentgateway.dev/v1alpha1
kind: AgentgatewayPolicy
metadata: {name: limit, namespace: %[1]s}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: native}]
  traffic: {rateLimit: {local: [{requests: 2, unit: Minutes}]}}
`, e.ns))
	e.waitTable("a rate limit on route native", func(tb *table) bool {
		for _, r := range tb.routes {
			if r.key == e.ns+"/native" && r.rate != nil {
				return true
			}
		}
		return false
	})
	codes := []int{}
	for i := 0; i < 3; i++ {
		c, _ := e.call("/native", func(int) bool { return true })
		codes = append(codes, c)
	}
	if fmt.Sprint(codes) != "[200 200 429]" {
		t.Fatalf("codes under a 2/minute limit: %v", codes)
	}
	b, _ := os.ReadFile(e.logA)
	if !strings.Contains(string(b), "http.status=429 protocol=http reason=RateLimit") || !strings.Contains(string(b), "reason=NotFound") {
		t.Fatalf("access log:\n%s", b)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{}, {Config: nil, GatewayNamespace: "a", GatewayName: "b", Upstream: "http://x"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestEnterpriseGlobalRateLimit(t *testing.T) {
	e := start(t)
	e.secret("agentcore-jwt", "Bearer tok")
	e.rewriteSetup()
	e.apply(fmt.Sprintf(`
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: {name: agentcore, namespace: %[1]s}
spec:
  raw:
    descriptors:
    - key: generic_key
      value: agentcore
      rateLimit: {requestsPerUnit: 1, unit: HOUR}
    rateLimits:
    - actions: [{genericKey: {descriptorValue: agentcore}}]
`, e.ns))
	e.apply(fmt.Sprintf(`
apiVersion: enterpriseagentgateway.solo.io/v1alpha1
kind: EnterpriseAgentgatewayPolicy
metadata: {name: agentcore-traffic, namespace: %[1]s}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: agentcore}]
  traffic: {entRateLimit: {global: {rateLimitConfigRefs: [{name: agentcore}]}}}
`, e.ns))
	// 1 per hour: once the policy is picked up, the second call is refused.
	code, _ := e.call("/agentcore", func(c int) bool { return c == 429 })
	if code != 429 {
		t.Fatalf("never rate limited: %d", code)
	}
	e.waitCond(GVREnterprisePolicy, "agentcore-traffic", func(o *unstructured.Unstructured) bool {
		c := firstConds(o, "ancestors")
		return c != nil && c["Accepted"]["reason"] == "Valid" && c["Accepted"]["message"] == "Policy accepted" &&
			c["Attached"]["status"] == "True" && c["Attached"]["message"] == "Attached to all targets"
	})
}

// The Enterprise kinds' statuses, which the open-source controller does not write, come from the stand-in in
// that controller's words and shapes (docs/agentgateway-controller.md), quirks included.
func TestEnterpriseStatusesInTheControllersWords(t *testing.T) {
	e := start(t)
	e.apply(fmt.Sprintf(`
apiVersion: enterpriseagentgateway.solo.io/v1alpha1
kind: EnterpriseAgentgatewayBackend
metadata: {name: agentcore, namespace: %[1]s}
spec: {static: {host: bedrock-agentcore.us-east-1.amazonaws.com, port: 443}}
`, e.ns))
	e.apply(fmt.Sprintf(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: agentcore, namespace: %[1]s}
spec:
  parentRefs: [{name: proxy, namespace: %[2]s}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /agentcore}}]
    backendRefs: [{group: enterpriseagentgateway.solo.io, kind: EnterpriseAgentgatewayBackend, name: agentcore}]
`, e.ns, e.gwNS))
	e.apply(fmt.Sprintf(`
apiVersion: enterpriseagentgateway.solo.io/v1alpha1
kind: EnterpriseAgentgatewayPolicy
metadata: {name: agentcore, namespace: %[1]s}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: agentcore}]
  backend: {auth: {secretRef: {name: agentcore-jwt}}}
`, e.ns))
	e.waitCond(GVREnterpriseBackend, "agentcore", func(o *unstructured.Unstructured) bool {
		c := conds(o, "status", "conditions")["Accepted"]
		return c != nil && c["status"] == "True" && c["reason"] == "Accepted" && c["message"] == "Backend successfully accepted"
	})
	ref := e.ns + "/agentcore-jwt"
	ancestor := func(o *unstructured.Unstructured) (map[string]any, map[string]map[string]any) {
		items, _, _ := unstructured.NestedSlice(o.Object, "status", "ancestors")
		if len(items) != 1 {
			return nil, nil
		}
		m := items[0].(map[string]any)
		r, _ := m["ancestorRef"].(map[string]any)
		return r, conds(&unstructured.Unstructured{Object: m}, "conditions")
	}
	// No Secret: Accepted True PartiallyValid "secret <ns>/<name> not found", and no Attached.
	e.waitCond(GVREnterprisePolicy, "agentcore", func(o *unstructured.Unstructured) bool {
		r, c := ancestor(o)
		return c != nil && r["kind"] == "Gateway" && r["name"] == "proxy" && r["namespace"] == e.gwNS &&
			c["Accepted"]["status"] == "True" && c["Accepted"]["reason"] == "PartiallyValid" && c["Accepted"]["message"] == "secret "+ref+" not found" &&
			c["Attached"] == nil
	})
	// The key missing: "secret <ns>/<name> missing Authorization value".
	if _, err := e.c.Kube().CoreV1().Secrets(e.ns).Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agentcore-jwt"},
		Data: map[string][]byte{"authorization": []byte("Bearer tok")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitCond(GVREnterprisePolicy, "agentcore", func(o *unstructured.Unstructured) bool {
		_, c := ancestor(o)
		return c != nil && c["Accepted"]["message"] == "secret "+ref+" missing Authorization value" && c["Attached"] == nil
	})
	// Valid: Accepted Valid "Policy accepted", Attached True "Attached to all targets".
	e.secret("agentcore-jwt", "Bearer tok")
	e.waitCond(GVREnterprisePolicy, "agentcore", func(o *unstructured.Unstructured) bool {
		_, c := ancestor(o)
		return c != nil && c["Accepted"]["reason"] == "Valid" && c["Accepted"]["message"] == "Policy accepted" &&
			c["Attached"]["status"] == "True" && c["Attached"]["reason"] == "Attached" && c["Attached"]["message"] == "Attached to all targets"
	})
	// The Secret deleted again: PartiallyValid, and the old Attached=True stays.
	if err := e.c.Kube().CoreV1().Secrets(e.ns).Delete(context.Background(), "agentcore-jwt", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitCond(GVREnterprisePolicy, "agentcore", func(o *unstructured.Unstructured) bool {
		_, c := ancestor(o)
		return c != nil && c["Accepted"]["reason"] == "PartiallyValid" && c["Attached"]["status"] == "True"
	})
	// A policy whose target route does not exist: the StatusSummary ancestor, Attached False Pending.
	e.apply(fmt.Sprintf(`
apiVersion: enterpriseagentgateway.solo.io/v1alpha1
kind: EnterpriseAgentgatewayPolicy
metadata: {name: orphan, namespace: %[1]s}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: agentcore-typo}]
  backend: {auth: {secretRef: {name: agentcore-jwt}}}
`, e.ns))
	e.waitCond(GVREnterprisePolicy, "orphan", func(o *unstructured.Unstructured) bool {
		r, c := ancestor(o)
		return c != nil && r["group"] == "agentgateway.dev" && r["name"] == "StatusSummary" && r["kind"] == "Gateway" &&
			c["Attached"]["status"] == "False" && c["Attached"]["reason"] == "Pending" &&
			c["Attached"]["message"] == "Policy is not attached: HTTPRoute "+e.ns+"/agentcore-typo not found"
	})

	// Settled statuses are not written again: once the stand-in's cache holds what the apiserver has, a rebuild
	// changes no resourceVersion (the merged conditions compare equal to the stored ones).
	for _, o := range []struct {
		gvr  schema.GroupVersionResource
		name string
	}{{GVREnterpriseBackend, "agentcore"}, {GVREnterprisePolicy, "agentcore"}, {GVREnterprisePolicy, "orphan"}} {
		var rv string
		deadline := time.Now().Add(30 * time.Second)
		for {
			live, err := e.c.Dynamic().Resource(o.gvr).Namespace(e.ns).Get(context.Background(), o.name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if cached := e.si.get(o.gvr, e.ns, o.name); cached != nil && cached.GetResourceVersion() == live.GetResourceVersion() {
				rv = live.GetResourceVersion()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the stand-in's cache never caught up with %s %s", o.gvr.Resource, o.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
		e.si.rebuild(context.Background())
		live, err := e.c.Dynamic().Resource(o.gvr).Namespace(e.ns).Get(context.Background(), o.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if live.GetResourceVersion() != rv {
			t.Errorf("%s %s: a rebuild with nothing changed rewrote its status (resourceVersion %s → %s): %v", o.gvr.Resource, o.name, rv, live.GetResourceVersion(), live.Object["status"])
		}
	}
}
