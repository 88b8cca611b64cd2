package k8sres_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
)

func TestDiscoverKindsOnRealCluster(t *testing.T) {
	c := clustertest.Shared(t)
	k, err := k8sres.DiscoverKinds(discovery.NewDiscoveryClientForConfigOrDie(c.Config))
	if err != nil {
		t.Fatal(err)
	}
	if !k.Gateway || !k.HTTPRoute || !k.Backend || !k.Policy || !k.EnterprisePolicy || !k.EnterpriseBackend || !k.RateLimitConfig {
		t.Fatalf("the test cluster serves every kind, discovered %+v", k)
	}
	if gvk, _ := k.PolicyGVK(); gvk != k8sres.GVKEnterprisePolicy {
		t.Fatalf("policy kind follows Enterprise when served, got %v", gvk)
	}
	if gvk, _ := k.BackendGVK(); gvk != k8sres.GVKBackend {
		t.Fatalf("backend kind prefers the OSS backend, got %v", gvk)
	}
	if err := k.Require(); err != nil {
		t.Fatal(err)
	}
}

func TestKindsRequireNamesWhatToInstall(t *testing.T) {
	err := k8sres.Kinds{Gateway: true, HTTPRoute: true}.Require()
	if err == nil || !strings.Contains(err.Error(), "AgentgatewayBackend") || !strings.Contains(err.Error(), "Install Agent Gateway") {
		t.Fatalf("got %v", err)
	}
	if gvk, ok := (k8sres.Kinds{Policy: true}).PolicyGVK(); !ok || gvk != k8sres.GVKPolicy {
		t.Fatalf("OSS-only cluster: got %v %v", gvk, ok)
	}
	if _, ok := (k8sres.Kinds{}).PolicyGVK(); ok {
		t.Fatal("no policy kind served must say so")
	}
}

func gateway(ns, name, class string, port int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"gatewayClassName": class,
			"listeners":        []any{map[string]any{"name": "http", "protocol": "HTTP", "port": port}},
		},
	}}
}

func TestListAgentGateways(t *testing.T) {
	c := clustertest.Shared(t)
	ctx := context.Background()
	dyn, kube := c.Dynamic(), c.Kube()
	ns := c.Namespace(t, "gw")
	for name, ctrl := range map[string]string{"disc-agentgateway": "agentgateway.dev/agentgateway", "disc-ent": "solo.io/enterprise-agentgateway", "disc-other": "example.com/nginx"} {
		gc := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
			"metadata": map[string]any{"name": name}, "spec": map[string]any{"controllerName": ctrl},
		}}
		if _, err := dyn.Resource(k8sres.GVRGatewayClass).Create(ctx, gc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = dyn.Resource(k8sres.GVRGatewayClass).Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	for _, g := range []*unstructured.Unstructured{gateway(ns, "proxy", "disc-agentgateway", 8080), gateway(ns, "ent", "disc-ent", 80), gateway(ns, "web", "disc-other", 80)} {
		if _, err := dyn.Resource(k8sres.GVRGateway).Namespace(ns).Create(ctx, g, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "proxy", Namespace: ns}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Name: "http", Port: 8080}},
	}}
	created, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "lb.example.com"}}
	if _, err := kube.CoreV1().Services(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	gws, err := k8sres.ListAgentGateways(ctx, dyn, kube)
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]k8sres.GatewayInfo{}
	for _, g := range gws {
		if g.Namespace == ns {
			byRef[g.Name] = g
		}
	}
	if len(byRef) != 2 {
		t.Fatalf("want the two Agent Gateway Gateways (not the nginx one), got %+v", byRef)
	}
	p := byRef["proxy"]
	if p.Endpoint() != "lb.example.com:8080" || p.Service != "proxy" || p.Enterprise || p.Controller != "agentgateway.dev/agentgateway" {
		t.Fatalf("proxy gateway: %+v (endpoint %q)", p, p.Endpoint())
	}
	if !byRef["ent"].Enterprise {
		t.Fatalf("enterprise controller not recognised: %+v", byRef["ent"])
	}
	if _, err := k8sres.GetGateway(ctx, dyn, kube, ns, "missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing gateway: %v", err)
	}
	got, err := k8sres.GetGateway(ctx, dyn, kube, ns, "proxy")
	if err != nil || got.Endpoint() != "lb.example.com:8080" {
		t.Fatalf("GetGateway: %+v %v", got, err)
	}
}

func TestDefaultGatewayPrefersTheKnownNames(t *testing.T) {
	gws := []k8sres.GatewayInfo{{Namespace: "a", Name: "b"}, {Namespace: "enterprise-agentgateway", Name: "agentgateway"}}
	if g, ok := k8sres.DefaultGateway(gws); !ok || g.Namespace != "enterprise-agentgateway" {
		t.Fatalf("got %+v %v", g, ok)
	}
	gws = append(gws, k8sres.GatewayInfo{Namespace: "agentgateway-system", Name: "agentgateway-proxy"})
	if g, _ := k8sres.DefaultGateway(gws); g.Namespace != "agentgateway-system" {
		t.Fatalf("got %+v", g)
	}
	if _, ok := k8sres.DefaultGateway(gws[:1]); !ok {
		t.Fatal("the only gateway is the default")
	}
	if _, ok := k8sres.DefaultGateway([]k8sres.GatewayInfo{{Name: "x"}, {Name: "y"}}); ok {
		t.Fatal("two unknown gateways: no default")
	}
}

type countRequests struct {
	rt    http.RoundTripper
	paths *[]string
	mu    *sync.Mutex
}

func (c countRequests) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	*c.paths = append(*c.paths, r.URL.Path)
	c.mu.Unlock()
	return c.rt.RoundTrip(r)
}

// TestDiscoverKindsAggregated: a client that asks the server each time reads the kinds from one aggregated
// discovery document (one GET /apis), and finds what client-go's own discovery (a memory cache: /api, /apis,
// then each group version) finds.
func TestDiscoverKindsAggregated(t *testing.T) {
	c := clustertest.Shared(t)
	var paths []string
	cfg := rest.CopyConfig(c.Config)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countRequests{rt, &paths, &sync.Mutex{}} }
	got, err := k8sres.DiscoverKinds(discovery.NewDiscoveryClientForConfigOrDie(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(paths, []string{"/apis"}) {
		t.Fatalf("requests %q, want one GET /apis", paths)
	}
	want, err := k8sres.DiscoverKinds(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(c.Config)))
	if err != nil {
		t.Fatal(err)
	}
	if got != want || !got.Gateway || !got.RateLimitConfig {
		t.Fatalf("aggregated %+v, client-go's discovery %+v", got, want)
	}
}

// TestDiscoverKindsOldServer: a server without aggregated discovery (before Kubernetes 1.26; a stand-in here, the
// test cluster has it) answers /apis with the plain group list: the kinds come from each group version instead.
func TestDiscoverKindsOldServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api":
			_, _ = w.Write([]byte(`{"kind":"APIVersions","versions":["v1"]}`))
		case "/apis":
			_, _ = w.Write([]byte(`{"kind":"APIGroupList","apiVersion":"v1","groups":[` +
				`{"name":"gateway.networking.k8s.io","versions":[{"groupVersion":"gateway.networking.k8s.io/v1","version":"v1"}]},` +
				`{"name":"agentgateway.dev","versions":[{"groupVersion":"agentgateway.dev/v1alpha1","version":"v1alpha1"}]}]}`))
		case "/apis/gateway.networking.k8s.io/v1":
			_, _ = w.Write([]byte(`{"kind":"APIResourceList","groupVersion":"gateway.networking.k8s.io/v1","resources":[` +
				`{"name":"gateways","kind":"Gateway","namespaced":true,"verbs":["get"]},{"name":"gatewayclasses","kind":"GatewayClass","verbs":["get"]},` +
				`{"name":"httproutes","kind":"HTTPRoute","namespaced":true,"verbs":["get"]}]}`))
		case "/apis/agentgateway.dev/v1alpha1":
			_, _ = w.Write([]byte(`{"kind":"APIResourceList","groupVersion":"agentgateway.dev/v1alpha1","resources":[` +
				`{"name":"agentgatewaybackends","kind":"AgentgatewayBackend","namespaced":true,"verbs":["get"]},` +
				`{"name":"agentgatewaypolicies","kind":"AgentgatewayPolicy","namespaced":true,"verbs":["get"]}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	k, err := k8sres.DiscoverKinds(discovery.NewDiscoveryClientForConfigOrDie(&rest.Config{Host: srv.URL}))
	want := k8sres.Kinds{Gateway: true, HTTPRoute: true, Backend: true, Policy: true}
	if err != nil || k != want {
		t.Fatalf("kinds %+v %v, want %+v", k, err, want)
	}
}
